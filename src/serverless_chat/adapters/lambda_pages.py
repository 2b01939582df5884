"""The FanoutPages port on AWS: Lambda's asynchronous Invoke of the fan-out function.

The boto3 client is made at the first page, not at import: most invocations never
hand off a page, and making a client costs tens of milliseconds of cold start.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from serverless_chat.adapters.aws_errors import describe
from serverless_chat.errors import DispatchError


class LambdaFanoutPages:
    """Invokes ``function_name`` with InvocationType=Event, one page per call."""

    def __init__(self, session: Any, function_name: str, client: Any = None) -> None:
        self._session = session
        self.function_name = function_name
        self._client = client
        self._lock = threading.Lock()

    def _lambda(self) -> Any:
        with self._lock:
            if self._client is None:
                from botocore.config import Config

                self._client = self._session.client(
                    "lambda", config=Config(retries={"mode": "standard"})
                )
            return self._client

    def dispatch(self, page: dict[str, object]) -> None:
        payload = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            answer = self._lambda().invoke(
                FunctionName=self.function_name, InvocationType="Event", Payload=payload
            )
        except ClientError as error:
            raise DispatchError(describe(error)) from error
        except BotoCoreError as error:
            raise DispatchError(f"{type(error).__name__}: {error}") from error
        status = int(answer.get("StatusCode", 0))
        if status != 202:
            raise DispatchError(f"Invoke answered {status}, not 202 Accepted")
