"""The callback port over boto3's ``apigatewaymanagementapi`` client.

Maps the SDK's errors to ours at the boundary (GoneException → ConnectionGone,
as Chalice does), so the chat logic never imports botocore.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from serverless_chat.adapters.aws_errors import error_code, error_message, error_status
from serverless_chat.errors import (
    CallbackError,
    CallbackThrottled,
    ConnectionGone,
    PayloadTooLarge,
)
from serverless_chat.ports import ConnectionInfo

_ERRORS: dict[str, Callable[[str, str], CallbackError]] = {
    "GoneException": ConnectionGone,
    "PayloadTooLargeException": PayloadTooLarge,
    "LimitExceededException": CallbackThrottled,
}


def translate(connection_id: str, error: Exception) -> CallbackError:
    """Our error for a botocore error raised by a call about ``connection_id``."""
    if isinstance(error, ClientError):
        code, reason = error_code(error) or "Unknown", error_message(error)
        known = _ERRORS.get(code)
        if known is not None:
            return known(connection_id, reason)
        return CallbackError(connection_id, error_status(error) or 500, code, reason)
    return CallbackError(connection_id, 0, type(error).__name__, str(error))


class ManagementApiConnections:
    """API Gateway's @connections API for one stage, through an injected boto3 client; a
    batch is posted on ``executor``, one call a recipient (the client's connection pool
    sized to match)."""

    def __init__(self, client: Any, executor: Executor) -> None:
        self._client = client
        self._executor = executor

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
        futures = [(cid, self._executor.submit(self._post, cid, data)) for cid, data in deliveries]
        return {cid: error for cid, future in futures if (error := future.result()) is not None}

    def _post(self, connection_id: str, data: bytes) -> Exception | None:
        try:
            self.post(connection_id, data)
        except Exception as error:  # one recipient's failure, whatever it is, is its own
            return error
        return None

    def post(self, connection_id: str, data: bytes) -> None:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except (ClientError, BotoCoreError) as error:
            raise translate(connection_id, error) from error

    def info(self, connection_id: str) -> ConnectionInfo:
        try:
            response = self._client.get_connection(ConnectionId=connection_id)
        except (ClientError, BotoCoreError) as error:
            raise translate(connection_id, error) from error
        identity = response.get("Identity", {})
        return ConnectionInfo(
            connected_at=response["ConnectedAt"],
            last_active_at=response.get("LastActiveAt", response["ConnectedAt"]),
            source_ip=identity.get("SourceIp", ""),
            user_agent=identity.get("UserAgent", ""),
        )

    def close(self, connection_id: str) -> None:
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except (ClientError, BotoCoreError) as error:
            raise translate(connection_id, error) from error
