"""The project's own errors, so that callers never see boto3's or sqlite3's.

Tree::

    ChatError
     ├── StoreError              a connection store failed (DynamoDB, SQLite)
     ├── DispatchError           a fan-out page could not be handed to its function
     ├── SettingsError           a function's settings it will not start with
     └── CallbackError           the callback (management) API refused a call
          ├── ConnectionGone     410: the connection is closed or never existed
          ├── PayloadTooLarge    413: the data is over 128 KB
          └── CallbackThrottled  429: too many requests, or the client's buffer is full
"""

from __future__ import annotations


class ChatError(Exception):
    """Root of every error this package raises on purpose."""


class StoreError(ChatError):
    """A store operation failed; ``operation`` names it, ``reason`` says why."""

    def __init__(self, operation: str, reason: str) -> None:
        super().__init__(f"{operation} failed: {reason}")
        self.operation = operation
        self.reason = reason


class DispatchError(ChatError):
    """A fan-out page could not be handed to the fan-out function; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"fan-out page not dispatched: {reason}")
        self.reason = reason


class SettingsError(ChatError):
    """A function's environment it refuses to start with; ``setting`` names the variable,
    ``reason`` says why."""

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"{setting}: {reason}")
        self.setting = setting
        self.reason = reason


class CallbackError(ChatError):
    """A callback API call failed for ``connection_id`` with HTTP ``status``."""

    def __init__(self, connection_id: str, status: int, code: str, reason: str = "") -> None:
        super().__init__(f"{code} ({status}) for connection {connection_id}: {reason}".rstrip(": "))
        self.connection_id = connection_id
        self.status = status
        self.code = code
        self.reason = reason


class ConnectionGone(CallbackError):
    """The connection no longer exists (HTTP 410 GoneException)."""

    def __init__(self, connection_id: str, reason: str = "") -> None:
        super().__init__(connection_id, 410, "GoneException", reason)


class PayloadTooLarge(CallbackError):
    """The data is over the callback API's 128 KB limit (HTTP 413)."""

    def __init__(self, connection_id: str, reason: str = "") -> None:
        super().__init__(connection_id, 413, "PayloadTooLargeException", reason)


class CallbackThrottled(CallbackError):
    """Too many requests, or the client's buffer is full (HTTP 429)."""

    def __init__(self, connection_id: str, reason: str = "") -> None:
        super().__init__(connection_id, 429, "LimitExceededException", reason)
