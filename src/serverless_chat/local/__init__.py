"""The chat on the local gateway: the hook that wires the chat's own functions in-process.

Dev-time only. The template names it (``Metadata: LocalGateway: Hook:
serverless_chat.local:chat_app``); the gateway calls :func:`chat_app` once with its
:class:`~local_gateway.server.app_hook.hook.LocalServices` and asks the app, function by
function, for a handler. The chat's entry modules (``serverless_chat.handlers.*``) get one
built from their ``build_handler`` with local adapters: connections in memory (or in the
state dir's SQLite file), history in SQLite, the gateway's callbacks in-process, fan-out
pages through its asynchronous invoke. Any other function of the template runs as Lambda
runs it, isolated. ``serve --no-hook`` runs the chat's functions isolated too.

The chat's handler modules, and the modules a handler is built with, are imported when a
handler is built, never when this module is: on ``--watch`` the gateway forgets the modules
imported after the hook's own module and asks for the handlers again, so that an edit to
``handlers/dependencies.py`` or ``chat/service.py`` takes effect while the app, which holds
the live connections' rows, stays. Those imports are named by ``import_module`` at run time
and, for the type checker and the import contracts, under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from local_gateway import FunctionSpec, Handler, LocalServices
from serverless_chat.adapters.dynamodb import DynamoDbTables
from serverless_chat.adapters.metrics import CountingMetrics
from serverless_chat.adapters.sqlite import SqliteDatabase
from serverless_chat.devsecret import dev_secret
from serverless_chat.local.adapters import (
    LocalConnections,
    LocalFanoutPages,
    StateDirStores,
    StoreFactory,
)
from serverless_chat.local.web import web_routes
from serverless_chat.ports import (
    Connections,
    MaintainedConnectionStore,
    MaintainedMessageStore,
)
from serverless_chat.routes import ENTRY_MODULES

if TYPE_CHECKING:
    from serverless_chat.chat import service as chat_service
    from serverless_chat.handlers import dependencies as handler_dependencies

log = logging.getLogger("serverless_chat.local")


class ChatLocalApp:
    """The chat's functions on the gateway's services (a LocalApp)."""

    def __init__(self, services: LocalServices) -> None:
        self._services = services
        self._stores = _stores(services)
        self._connection_stores: dict[str, MaintainedConnectionStore] = {}
        self._message_stores: dict[tuple[str, str], MaintainedMessageStore] = {}
        self.metrics = CountingMetrics()

    def handler(self, function: FunctionSpec) -> Handler | None:
        """One of the chat's entry modules (the function table's), built with local adapters;
        None for the rest."""
        if function.module_name not in ENTRY_MODULES or function.attribute != "handler":
            return None
        module = importlib.import_module(function.module_name)
        handler: Handler = module.build_handler(self._dependencies(function))
        return handler

    def web_routes(self) -> list[web.RouteDef]:
        return web_routes(self._services.stage)

    def close(self) -> None:
        self._stores.close()

    def _dependencies(self, function: FunctionSpec) -> handler_dependencies.Dependencies:
        """The function's Dependencies (its tables' stores, in-process callbacks). The
        classes are looked up at each build, so that --watch builds with reloaded code."""
        env = function.environment
        # The gateway's faces as this function calls them: held to its role in the template,
        # as its calls are on AWS (serve --iam).
        connections: Connections = LocalConnections(
            self._services.callbacks_for(function.logical_id)
        )

        def connections_for(_event: Any) -> Connections:
            return connections

        pages = None
        if env.get("FANOUT_FUNCTION"):
            invoke = self._services.invoke_async_for(function.logical_id)
            pages = LocalFanoutPages(invoke, env["FANOUT_FUNCTION"])
        dependencies = importlib.import_module("serverless_chat.handlers.dependencies")
        service = importlib.import_module("serverless_chat.chat.service")
        settings: chat_service.ChatSettings = service.ChatSettings.from_env(env)
        built: handler_dependencies.Dependencies = dependencies.Dependencies(
            self.connection_store(env.get("CONNECTIONS_TABLE", "")),
            self.message_store(env.get("MESSAGES_TABLE", ""), env.get("DIRECT_MESSAGES_TABLE", "")),
            connections_for,
            settings,
            self.metrics,
            dict(env),
            dev_secret,
            pages,
        )
        return built

    def connection_store(self, table: str) -> MaintainedConnectionStore:
        """One store a table; rows left by an earlier run are purged as it opens (those
        sockets are gone)."""
        if table not in self._connection_stores:
            store = self._connection_stores[table] = self._stores.connection_store(table)
            purged = store.purge()
            if purged:
                log.info("purged %d connection(s) left in %s by an earlier run", purged, table)
        return self._connection_stores[table]

    def message_store(self, table: str, direct_table: str = "") -> MaintainedMessageStore:
        """One store a table (and its direct messages' table); messages past their
        retention go as it opens (on DynamoDB, its own TTL does that)."""
        key = (table, direct_table)
        if key not in self._message_stores:
            messages = self._message_stores[key] = self._stores.message_store(table, direct_table)
            expired = messages.expire()
            if expired:
                log.info("removed %d message(s) past their retention from %s", expired, table)
        return self._message_stores[key]


def _stores(services: LocalServices) -> StoreFactory:
    """History in SQLite under the state dir, connections in memory (or in that file with
    ``--connections-store sqlite``); or the template's tables on the DynamoDB endpoint."""
    if services.dynamodb_client is None:
        database = SqliteDatabase(services.state_dir / "chat.sqlite3")
        in_file = services.options.get("connections-store", "memory") == "sqlite"
        return StateDirStores(database, in_file)
    return DynamoDbTables(services.dynamodb_client())


def chat_app(services: LocalServices) -> ChatLocalApp:
    """The hook the chat's template names."""
    return ChatLocalApp(services)
