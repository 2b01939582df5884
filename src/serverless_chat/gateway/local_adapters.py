"""The gateway's own adapters of the ports, given to functions that accept injection.

Handlers run in worker threads; the sockets live on the event loop. The
in-process callback adapter hands each call to the loop and waits for it, so
the hot path has no HTTP round trip and no botocore.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, Protocol

from serverless_chat.adapters.dynamodb import DynamoDbConnectionStore, DynamoDbMessageStore
from serverless_chat.adapters.memory import MemoryConnectionStore
from serverless_chat.adapters.metrics import CountingMetrics
from serverless_chat.adapters.sqlite import (
    SqliteConnectionStore,
    SqliteDatabase,
    SqliteMessageStore,
)
from serverless_chat.devsecret import dev_secret
from serverless_chat.errors import DispatchError
from serverless_chat.gateway.registry import ConnectionRegistry
from serverless_chat.gateway.template import FunctionSpec
from serverless_chat.ports import ConnectionInfo, Connections

log = logging.getLogger("serverless_chat.gateway")

# How long a worker waits for the loop to carry out one callback call.
CALL_TIMEOUT_SECONDS = 10.0


class InProcessConnections:
    """The Connections port over the gateway's registry, callable from worker threads."""

    def __init__(self, registry: ConnectionRegistry, loop: asyncio.AbstractEventLoop) -> None:
        self._registry = registry
        self._loop = loop
        self._loop_thread = threading.get_ident() if loop.is_running() else None

    def _check_thread(self) -> None:
        if self._loop_thread == threading.get_ident():
            raise RuntimeError("InProcessConnections is for worker threads, not the event loop")

    def post(self, connection_id: str, data: bytes) -> None:
        self._check_thread()
        future = asyncio.run_coroutine_threadsafe(
            self._registry.post(connection_id, data), self._loop
        )
        future.result(CALL_TIMEOUT_SECONDS)

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
        """A whole fan-out in one hop to the loop (the hot path of the local gateway).

        As on AWS, a post succeeds once the gateway has taken it, not once the client has
        read it: the verdicts (gone, too large) are given here, from the worker thread, and
        the frames are handed to the loop without waiting for them to be written. With a
        simulated callback latency the handler waits for the posts, as it would on AWS."""
        self._check_thread()
        if self._registry.latency:
            future = asyncio.run_coroutine_threadsafe(
                self._registry.post_many(deliveries), self._loop
            )
            return future.result(CALL_TIMEOUT_SECONDS + len(deliveries) / 1000)
        failures, accepted = self._registry.accept(deliveries)
        if accepted:
            self._loop.call_soon_threadsafe(self._registry.send_accepted, accepted)
        return failures

    def info(self, connection_id: str) -> ConnectionInfo:
        self._check_thread()

        async def info() -> ConnectionInfo:
            return self._registry.info(connection_id)

        return asyncio.run_coroutine_threadsafe(info(), self._loop).result(CALL_TIMEOUT_SECONDS)

    def close(self, connection_id: str) -> None:
        self._check_thread()
        future = asyncio.run_coroutine_threadsafe(self._registry.close(connection_id), self._loop)
        future.result(CALL_TIMEOUT_SECONDS)


# What Lambda accepts as the payload of one asynchronous invocation.
MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024


class LocalFanoutPages:
    """The FanoutPages port in the gateway: the fan-out function runs on the worker pool, as
    Lambda runs an asynchronous invocation in a container of its own. ``dispatch`` returns
    once the page is queued; the page goes through JSON, as a real payload would."""

    def __init__(self, invoke_async: Callable[[str, Any], None], function_name: str) -> None:
        self._invoke_async = invoke_async
        self.function_name = function_name

    def dispatch(self, page: dict[str, object]) -> None:
        payload = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(payload) > MAX_ASYNC_PAYLOAD_BYTES:
            raise DispatchError(
                f"RequestEntityTooLargeException: {len(payload)} bytes is over"
                f" {MAX_ASYNC_PAYLOAD_BYTES}"
            )
        try:
            self._invoke_async(self.function_name, json.loads(payload))
        except LookupError as error:
            raise DispatchError(f"ResourceNotFoundException: {error}") from error
        except RuntimeError as error:  # the gateway's loop is closing: nothing runs any more
            raise DispatchError(f"ServiceException: {error}") from error


class StoreFactory(Protocol):
    """Where the local gateway keeps our handlers' tables: SQLite, or a DynamoDB endpoint."""

    def connection_store(self, table_name: str) -> Any: ...

    def message_store(self, table_name: str) -> Any: ...


class StateDirStores:
    """History in one SQLite file; connections in memory (the default: they live and die
    with the gateway's sockets, and reading them from SQLite was most of the gateway's
    per-message cost) or, with ``connections_in_file``, in that file too, where other
    programs can read them while the gateway runs."""

    def __init__(self, database: SqliteDatabase, connections_in_file: bool = False) -> None:
        self.database = database
        self.connections_in_file = connections_in_file

    def connection_store(self, table_name: str) -> MemoryConnectionStore | SqliteConnectionStore:
        if self.connections_in_file:
            return SqliteConnectionStore(self.database, table_name)
        return MemoryConnectionStore()

    def message_store(self, table_name: str) -> SqliteMessageStore:
        return SqliteMessageStore(self.database, table_name)


class DynamoDbStores:
    """The template's tables on a DynamoDB-compatible endpoint (--dynamodb-endpoint)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def connection_store(self, table_name: str) -> DynamoDbConnectionStore:
        return DynamoDbConnectionStore(self.client, table_name)

    def message_store(self, table_name: str) -> DynamoDbMessageStore:
        return DynamoDbMessageStore(self.client, table_name)


class LocalDependencies:
    """Builds each function's Dependencies: its tables' stores, in-process callbacks.

    The Dependencies and ChatSettings classes are looked up at each build, not imported
    once, so that --watch can reload the chat's modules and build with the new ones."""

    def __init__(
        self,
        stores: StoreFactory,
        connections: Connections,
        executor: Executor,
        invoke_async: Callable[[str, Any], None] | None = None,
    ):
        self._factory = stores
        self._invoke_async = invoke_async  # a template function by name, without waiting
        self._connections = connections
        self._executor = executor
        self.stores: dict[str, Any] = {}
        self.message_stores: dict[str, Any] = {}
        self.metrics = CountingMetrics()

    def store_for(self, table_name: str) -> Any:
        if table_name not in self.stores:
            self.stores[table_name] = self._factory.connection_store(table_name)
        return self.stores[table_name]

    def messages_for(self, table_name: str) -> Any:
        if table_name not in self.message_stores:
            self.message_stores[table_name] = self._factory.message_store(table_name)
        return self.message_stores[table_name]

    def __call__(self, spec: FunctionSpec) -> Any:
        env = spec.environment
        store = self.store_for(env.get("CONNECTIONS_TABLE", ""))
        messages = self.messages_for(env.get("MESSAGES_TABLE", ""))
        connections = self._connections

        def connections_for(_event: Any) -> Connections:
            return connections

        pages = None
        if env.get("FANOUT_FUNCTION") and self._invoke_async is not None:
            pages = LocalFanoutPages(self._invoke_async, env["FANOUT_FUNCTION"])
        dependencies = importlib.import_module("serverless_chat.handlers.dependencies")
        service = importlib.import_module("serverless_chat.chat.service")
        return dependencies.Dependencies(
            store,
            messages,
            connections_for,
            self._executor,
            service.ChatSettings.from_env(env),
            self.metrics,
            dict(env),
            dev_secret,
            pages,
        )

    def purge(self) -> None:
        """Rows of connections from an earlier run are stale: those sockets are gone."""
        for table, store in self.stores.items():
            purged = store.purge()
            if purged:
                log.info("purged %d connection(s) left in %s by an earlier run", purged, table)
        for table, messages in self.message_stores.items():
            expire = getattr(messages, "expire", None)  # DynamoDB's own TTL does this
            expired = expire() if expire is not None else 0
            if expired:
                log.info("removed %d message(s) past their retention from %s", expired, table)
