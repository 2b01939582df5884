"""Structured JSON logs for Lambda, with the standard library only.

Every line is one JSON object with the invocation's requestId, connectionId and route, so
CloudWatch Logs Insights can filter on them. Lambda runs one invocation at a time per
container, so the current invocation's fields live in one shared mapping that the fan-out
threads see too (a contextvar would not reach them).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from serverless_chat.handlers.event_view import WebSocketEvent

_current: dict[str, str] = {"requestId": "", "connectionId": "", "route": ""}
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """timestamp, level, logger, message, the invocation's fields, and any ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_current,
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure() -> None:
    """Give the root logger's handlers (Lambda installs one) the JSON formatter."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stdout))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
    logging.getLogger("botocore").setLevel(logging.WARNING)


def begin(event: Any, context: Any) -> None:
    """Remember this invocation's ids for every log line it writes."""
    ev = WebSocketEvent(event if isinstance(event, dict) else {})
    _current["requestId"] = str(getattr(context, "aws_request_id", "") or "")
    _current["connectionId"] = ev.connection_id
    _current["route"] = ev.route_key
