"""The gateway's own adapters of the ports, given to functions that accept injection.

Handlers run in worker threads; the sockets live on the event loop. The
in-process callback adapter hands each call to the loop and waits for it, so
the hot path has no HTTP round trip and no botocore.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Executor

from serverless_chat.adapters.sqlite import (
    SqliteConnectionStore,
    SqliteDatabase,
    SqliteMessageStore,
)
from serverless_chat.chat.service import ChatSettings
from serverless_chat.gateway.registry import ConnectionRegistry
from serverless_chat.gateway.template import FunctionSpec
from serverless_chat.handlers.dependencies import Dependencies
from serverless_chat.handlers.event import WebSocketEvent
from serverless_chat.ports import ConnectionInfo, Connections

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

    def info(self, connection_id: str) -> ConnectionInfo:
        self._check_thread()

        async def info() -> ConnectionInfo:
            return self._registry.info(connection_id)

        return asyncio.run_coroutine_threadsafe(info(), self._loop).result(CALL_TIMEOUT_SECONDS)

    def close(self, connection_id: str) -> None:
        self._check_thread()
        future = asyncio.run_coroutine_threadsafe(self._registry.close(connection_id), self._loop)
        future.result(CALL_TIMEOUT_SECONDS)


class LocalDependencies:
    """Builds each function's Dependencies: SQLite store of its table, in-process callbacks."""

    def __init__(self, database: SqliteDatabase, connections: Connections, executor: Executor):
        self._database = database
        self._connections = connections
        self._executor = executor
        self.stores: dict[str, SqliteConnectionStore] = {}
        self.message_stores: dict[str, SqliteMessageStore] = {}

    def store_for(self, table_name: str) -> SqliteConnectionStore:
        if table_name not in self.stores:
            self.stores[table_name] = SqliteConnectionStore(self._database, table_name)
        return self.stores[table_name]

    def messages_for(self, table_name: str) -> SqliteMessageStore:
        if table_name not in self.message_stores:
            self.message_stores[table_name] = SqliteMessageStore(self._database, table_name)
        return self.message_stores[table_name]

    def __call__(self, spec: FunctionSpec) -> Dependencies:
        env = spec.environment
        store = self.store_for(env.get("CONNECTIONS_TABLE", ""))
        messages = self.messages_for(env.get("MESSAGES_TABLE", ""))
        connections = self._connections

        def connections_for(_event: WebSocketEvent) -> Connections:
            return connections

        return Dependencies(
            store, messages, connections_for, self._executor, ChatSettings.from_env(env)
        )
