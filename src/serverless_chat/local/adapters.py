"""The chat's ports over the local gateway's services (dev-time only).

The gateway's in-process @connections API raises the gateway's errors, named as API
Gateway names them; these adapters turn them into the chat's own, as the boto3 adapters
turn a ClientError into them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from local_gateway import (
    FunctionNotFound,
    GatewayClosing,
    GoneException,
    InProcessCallbacks,
    LambdaApiError,
    LimitExceededException,
    ManagementApiError,
    PayloadTooLargeException,
    RequestTooLarge,
)
from serverless_chat.adapters.memory import MemoryConnectionStore
from serverless_chat.adapters.sqlite import (
    SqliteConnectionStore,
    SqliteDatabase,
    SqliteMessageStore,
)
from serverless_chat.errors import (
    CallbackError,
    CallbackThrottled,
    ConnectionGone,
    DispatchError,
    PayloadTooLarge,
)
from serverless_chat.ports import ConnectionInfo, MaintainedConnectionStore, MaintainedMessageStore

log = logging.getLogger("serverless_chat.local")


def chat_error(error: ManagementApiError) -> CallbackError:
    """The chat's error for what the gateway's @connections API refused."""
    cid = error.connection_id
    if isinstance(error, GoneException):
        return ConnectionGone(cid, error.message)
    if isinstance(error, PayloadTooLargeException):
        return PayloadTooLarge(cid, error.message)
    if isinstance(error, LimitExceededException):
        return CallbackThrottled(cid, error.message)
    return CallbackError(cid, error.status, error.code, error.message)


class LocalConnections:
    """The Connections port over the gateway's in-process callbacks (no HTTP, no botocore):
    a Connections whose post_many takes a whole fan-out in one hop."""

    def __init__(self, callbacks: InProcessCallbacks) -> None:
        self._callbacks = callbacks

    def post(self, connection_id: str, data: bytes) -> None:
        try:
            self._callbacks.post(connection_id, data)
        except ManagementApiError as error:
            raise chat_error(error) from None

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
        failures = self._callbacks.post_many(deliveries)
        return {cid: chat_error(error) for cid, error in failures.items()}

    def info(self, connection_id: str) -> ConnectionInfo:
        try:
            details = self._callbacks.info(connection_id)
        except ManagementApiError as error:
            raise chat_error(error) from None
        return ConnectionInfo(*details)

    def close(self, connection_id: str) -> None:
        try:
            self._callbacks.close(connection_id)
        except ManagementApiError as error:
            raise chat_error(error) from None


class LocalFanoutPages:
    """The FanoutPages port in the gateway: the fan-out function is invoked asynchronously
    through the gateway, as Lambda would run it (the page through JSON, within Lambda's
    payload limit). ``dispatch`` returns once the page is queued."""

    def __init__(
        self, invoke_async: Callable[[str, dict[str, Any]], None], function_name: str
    ) -> None:
        self._invoke_async = invoke_async
        self.function_name = function_name

    def dispatch(self, page: dict[str, object]) -> None:
        try:
            self._invoke_async(self.function_name, dict(page))
        except RequestTooLarge as error:
            raise DispatchError(f"RequestEntityTooLargeException: {error}") from error
        except FunctionNotFound as error:
            raise DispatchError(f"ResourceNotFoundException: {error}") from error
        except GatewayClosing as error:  # nothing runs any more
            raise DispatchError(f"ServiceException: {error}") from error
        except LambdaApiError as error:  # AccessDeniedException, as Lambda names it
            raise DispatchError(f"{error.code}: {error.message}") from error


class StoreFactory(Protocol):
    """Where the chat keeps its tables under the local gateway."""

    def connection_store(self, table_name: str) -> MaintainedConnectionStore: ...

    def message_store(self, table_name: str, direct_table: str = "") -> MaintainedMessageStore: ...

    def close(self) -> None: ...


class StateDirStores:
    """History in one SQLite file; connections in memory (the default: they live and die
    with the gateway's sockets, and a dict lookup is cheaper than any read of a file) or,
    with ``connections_in_file``, in that file too, where other
    programs can read them while the gateway runs."""

    def __init__(self, database: SqliteDatabase, connections_in_file: bool = False) -> None:
        self.database = database
        self.connections_in_file = connections_in_file

    def connection_store(self, table_name: str) -> MemoryConnectionStore | SqliteConnectionStore:
        if self.connections_in_file:
            return SqliteConnectionStore(self.database, table_name)
        return MemoryConnectionStore()

    def message_store(self, table_name: str, direct_table: str = "") -> SqliteMessageStore:
        return SqliteMessageStore(self.database, table_name, direct_table)

    def close(self) -> None:
        self.database.close()
