"""The local gateway's server: WebSocket at /{stage}, the callback API beside it (aiohttp).

Thin by design: route selection and event shapes come from ``routing`` and
``events``; functions run through ``functions.FunctionRunner``; this module
moves frames between sockets and those.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import string
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from serverless_chat.adapters.sqlite import SqliteDatabase
from serverless_chat.gateway import events
from serverless_chat.gateway.callback_api import CallbackApi
from serverless_chat.gateway.functions import FunctionRunner, Invocation
from serverless_chat.gateway.local_adapters import (
    DynamoDbStores,
    InProcessConnections,
    LocalDependencies,
    StateDirStores,
    StoreFactory,
)
from serverless_chat.gateway.registry import MAX_POST_BYTES, ConnectionRegistry, LiveConnection
from serverless_chat.gateway.routing import select_route, selection_path
from serverless_chat.gateway.tables import code_snapshot, create_table
from serverless_chat.gateway.template import AuthorizerSpec, WebSocketApiSpec, read_api
from serverless_chat.gateway.web import web_routes
from serverless_chat.handlers.dependencies import DEFAULT_FANOUT_CONCURRENCY

log = logging.getLogger("serverless_chat.gateway")

_ID_ALPHABET = string.ascii_letters + string.digits
GOING_AWAY = 1001
MESSAGE_TOO_BIG = 1009


def policy_decision(result: Any) -> dict[str, Any] | None:
    """The authorizer context when the policy allows execute-api:Invoke, else None.

    The context is principalId plus the policy's ``context`` values, as API Gateway passes
    them on in requestContext.authorizer."""
    if not isinstance(result, dict):
        return None
    statements = (result.get("policyDocument") or {}).get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    effects = {str(s.get("Effect", "")).lower() for s in statements if isinstance(s, dict)}
    if "allow" not in effects or "deny" in effects:
        return None
    context = result.get("context") or {}
    allowed: dict[str, Any] = {"principalId": result.get("principalId", "")}
    allowed.update(
        {str(k): v for k, v in context.items() if isinstance(v, str | int | float | bool)}
    )
    return allowed


def _size(body: str | bytes, limit: int) -> int:
    """The frame's size in bytes; text is only encoded when it might be over the limit."""
    if isinstance(body, bytes) or len(body) * 4 <= limit:  # UTF-8 needs at most 4 bytes
        return len(body)
    return len(body.encode())


def new_connection_id() -> str:
    """An id shaped like API Gateway's (16 characters ending in '='), safe in a URL path."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(15)) + "="


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class GatewayConfig:
    """What ``serverless-chat serve`` was asked for."""

    template: Path
    host: str = "127.0.0.1"
    port: int = 8080
    state_dir: Path = Path(".serverless-chat")
    parameters: Mapping[str, str] = field(default_factory=dict)
    stack_name: str = "serverless-chat"
    region: str = "us-east-1"
    # Invocations that may run at once, each in a thread of this one process. One thread
    # runs them while it keeps up; more are called only when work waits on a busy one
    # (gateway/pool.py), so this is a ceiling, for functions that wait.
    workers: int = 64
    watch: bool = False
    watch_interval: float = 1.0
    dynamodb_endpoint: str | None = None
    # Connections in memory (they die with the sockets anyway), or in the state dir's SQLite
    # file beside the history ("sqlite"), where other programs can read them.
    connections_store: str = "memory"
    # API Gateway's limits, configurable for tests.
    idle_timeout: float = 600.0
    max_connection_duration: float = 7200.0
    max_frame_bytes: int = 32 * 1024
    ping_interval: float | None = 30.0  # a client that misses a pong is gone
    callback_latency: float = 0.0  # seconds added to each callback call, as on AWS
    # permessage-deflate: a connection's compressor holds ~90 KB once it has sent a frame
    # (15,000 connections: 1.3 GB), and on loopback it saves nothing. Off unless asked for.
    compress: bool = False


class LocalGateway:
    """One WebSocket API of a template, served on one port."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.api: WebSocketApiSpec = read_api(
            config.template, config.parameters, config.stack_name, config.region
        )
        self._path = selection_path(self.api.route_selection_expression)
        self.registry = ConnectionRegistry(config.callback_latency)
        self._runner: web.AppRunner | None = None
        self._functions: FunctionRunner | None = None
        self._database: SqliteDatabase | None = None
        self._fanout_pool: ThreadPoolExecutor | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._port = config.port

    # -- lifecycle -------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"ws://{self.config.host}:{self._port}/{self.api.stage}"

    @property
    def page_url(self) -> str:
        return f"http://{self.config.host}:{self._port}/"

    @property
    def callback_url(self) -> str:
        return f"http://{self.config.host}:{self._port}/{self.api.stage}"

    @property
    def functions(self) -> FunctionRunner:
        assert self._functions is not None, "the gateway is not started"
        return self._functions

    def application(self) -> web.Application:
        app = web.Application()
        callbacks = CallbackApi(self.registry, self.api.stage, self.config.callback_latency)
        app.router.add_routes(callbacks.routes())
        app.router.add_routes(web_routes(self.api.stage))
        app.router.add_get(f"/{self.api.stage}", self._websocket)
        app.on_shutdown.append(self._close_all)
        return app

    async def start(self) -> str:
        """Listen, load the functions, purge stale rows; returns the ws:// URL."""
        self._runner = web.AppRunner(self.application(), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self._port = sockets[0].getsockname()[1]
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        self._fanout_pool = ThreadPoolExecutor(DEFAULT_FANOUT_CONCURRENCY, "fanout")
        self._loop = asyncio.get_running_loop()
        connections = InProcessConnections(self.registry, self._loop)
        self.local = LocalDependencies(
            self._stores(), connections, self._fanout_pool, self._invoke_async
        )
        self._functions = FunctionRunner(
            self.api.functions,
            self.local,
            self.config.workers,
            self.config.region,
            self._function_environment(),
        )
        await asyncio.to_thread(self.local.purge)
        if self.config.watch:
            self._watch_task = asyncio.create_task(self._watch())
        return self.url

    def _invoke_async(self, function_name: str, event: dict[str, Any]) -> None:
        """Lambda's InvocationType=Event for a template function (its name or logical id):
        queued on the loop, not waited for. Callable from worker threads. LookupError when
        the template has no such function."""
        spec = next(
            (f for f in self.api.functions.values() if function_name in (f.name, f.logical_id)),
            None,
        )
        if spec is None:
            raise LookupError(f"no function {function_name!r} in the template")
        assert self._loop is not None, "the gateway is not started"
        asyncio.run_coroutine_threadsafe(self.functions.invoke(spec, event), self._loop)

    def _stores(self) -> StoreFactory:
        """History in SQLite under --state-dir and connections in memory (or in that file
        with --connections-store sqlite), or the template's tables on --dynamodb-endpoint."""
        endpoint = self.config.dynamodb_endpoint
        if not endpoint:
            self._database = SqliteDatabase(self.config.state_dir / "chat.sqlite3")
            return StateDirStores(self._database, self.config.connections_store == "sqlite")
        import boto3

        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name=self.config.region,
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "local"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
        )
        for table in self.api.tables.values():
            if create_table(client, table):
                log.info("created table %s on %s", table.name, endpoint)
        return DynamoDbStores(client)

    def _function_environment(self) -> dict[str, str]:
        """What functions that call AWS themselves need to reach the local services."""
        env = {
            "CALLBACK_URL": self.callback_url,
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", self.config.region),
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
        }
        if self.config.dynamodb_endpoint:
            env["AWS_ENDPOINT_URL_DYNAMODB"] = self.config.dynamodb_endpoint
        return env

    async def _watch(self) -> None:
        """Reload the functions when a .py file under their Code folders changes; the
        connections stay open."""
        folders = {f.code_dir for f in self.api.functions.values() if f.code_dir is not None}
        snapshot = await asyncio.to_thread(code_snapshot, folders)
        while True:
            await asyncio.sleep(self.config.watch_interval)
            current = await asyncio.to_thread(code_snapshot, folders)
            if current != snapshot:
                snapshot = current
                reloaded = await asyncio.to_thread(self.functions.reload)
                log.info("code changed: reloaded %d function(s)", reloaded)

    async def stop(self) -> None:
        """Close every client with 1001 (running $disconnect for each), then stop."""
        if self._watch_task is not None:
            self._watch_task.cancel()
            self._watch_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._functions is not None:
            self._functions.shutdown()
        if self._fanout_pool is not None:
            self._fanout_pool.shutdown(wait=False)
        if self._database is not None:
            self._database.close()

    async def _close_all(self, _app: web.Application) -> None:
        self.registry.flush()  # posts already taken reach their clients before the close
        for connection_id in self.registry.ids():
            connection = self.registry.remove(connection_id)
            if connection is None:
                continue
            connection.closing = True
            if connection.socket is not None and not connection.socket.closed:
                await connection.socket.close(code=GOING_AWAY, message=b"Going away")
            await self._run_disconnect(connection, GOING_AWAY, "Going away")

    # -- one client --------------------------------------------------------------
    def _api_context(self) -> events.ApiContext:
        return events.ApiContext(
            self.api.api_id, self.api.stage, f"{self.config.host}:{self._port}"
        )

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse(
            max_msg_size=MAX_POST_BYTES,
            heartbeat=self.config.ping_interval,
            compress=self.config.compress,
        )
        if not socket.can_prepare(request).ok:
            return web.Response(status=426, text="This is a WebSocket endpoint; upgrade required.")
        meta = events.ConnectionMeta(
            connection_id=new_connection_id(),
            connected_at=_now_ms(),
            source_ip=request.remote or "",
            user_agent=request.headers.get("User-Agent", ""),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers],
            query=list(request.query.items()),
        )
        connect_route = self.api.routes.get("$connect")
        if connect_route is not None and connect_route.authorizer is not None:
            allowed = await self._authorize(connect_route.authorizer, meta)
            if isinstance(allowed, web.Response):
                return allowed
            meta = replace(meta, authorizer=allowed)
        connection = self.registry.open(meta)
        refusal = await self._run_connect(meta)
        if refusal is not None:
            self.registry.remove(meta.connection_id)
            return refusal
        await socket.prepare(request)
        # (no transport: the client left during the handshake; its posts are dropped)
        self.registry.attach(meta.connection_id, socket, request.transport)
        reason = ""
        try:
            reason = await self._receive_loop(connection, socket)
        finally:
            removed = self.registry.remove(meta.connection_id)
            if removed is not None:
                code = socket.close_code or 1006
                reason = reason or f"Client-side close frame status code '{code}'"
                await asyncio.shield(self._run_disconnect(removed, code, reason))
        return socket

    async def _receive_loop(self, connection: LiveConnection, socket: web.WebSocketResponse) -> str:
        """Dispatch frames until the client leaves or a limit closes it; says which limit."""
        limits = self.config
        started = time.monotonic()
        while True:
            now = time.monotonic()
            idle_left = limits.idle_timeout - (now - connection.idle_since)
            life_left = limits.max_connection_duration - (now - started)
            try:
                message = await socket.receive(timeout=max(0.0, min(idle_left, life_left)))
            except TimeoutError:
                why = "Idle timeout" if idle_left <= life_left else "Connection duration exceeded"
                await socket.close(code=GOING_AWAY, message=why.encode())
                return why
            if message.type == WSMsgType.TEXT:
                body: str | bytes = message.data
            elif message.type == WSMsgType.BINARY:
                body = message.data
            else:
                return ""
            size = _size(body, limits.max_frame_bytes)
            if size > limits.max_frame_bytes:
                why = f"Frame of {size} bytes is over {limits.max_frame_bytes}"
                await socket.close(code=MESSAGE_TOO_BIG, message=why.encode()[:120])
                return why
            connection.touch()
            connection.idle_since = time.monotonic()
            await self._dispatch(connection, body)

    async def _authorize(
        self, authorizer: AuthorizerSpec, meta: events.ConnectionMeta
    ) -> dict[str, Any] | web.Response:
        """Run a REQUEST authorizer: the context it allows, or the response that refuses.
        A missing identity source or an "Unauthorized" error is 401, a Deny is 403."""
        if not all(events.identity_present(s, meta) for s in authorizer.identity_sources):
            return web.json_response({"message": "Unauthorized"}, status=401)
        if authorizer.function is None:
            return web.json_response({"message": "Internal server error"}, status=500)
        event = events.authorizer_event(
            self._api_context(),
            meta,
            _now_ms(),
            events.new_request_id(),
            events.new_extended_request_id(),
            self.config.region,
        )
        outcome = await self.functions.invoke(authorizer.function, event)
        if not outcome.ok:
            if "Unauthorized" in str(outcome.error):
                return web.json_response({"message": "Unauthorized"}, status=401)
            return web.json_response({"message": "Internal server error"}, status=500)
        decision = policy_decision(outcome.result)
        if decision is None:
            return web.json_response({"message": "Forbidden"}, status=403)
        return decision

    async def _run_connect(self, meta: events.ConnectionMeta) -> web.Response | None:
        """None to accept; else the HTTP response that refuses the handshake."""
        route = self.api.routes.get("$connect")
        if route is None or route.function is None:
            return None
        now = _now_ms()
        event = events.connect_event(
            self._api_context(),
            meta,
            now,
            events.new_request_id(),
            events.new_extended_request_id(),
        )
        outcome = await self.functions.invoke(route.function, event)
        if not outcome.ok:
            return web.Response(status=500, text="Internal server error")
        if not 200 <= outcome.status_code < 300:
            return web.Response(status=outcome.status_code, text=outcome.body or "Forbidden")
        return None

    async def _run_disconnect(self, connection: LiveConnection, code: int, reason: str) -> None:
        route = self.api.routes.get("$disconnect")
        if route is None or route.function is None:
            return
        event = events.disconnect_event(
            self._api_context(),
            connection.meta,
            code,
            reason,
            _now_ms(),
            events.new_request_id(),
            events.new_extended_request_id(),
        )
        await self.functions.invoke(route.function, event)

    async def _dispatch(self, connection: LiveConnection, body: str | bytes) -> None:
        """Select the route, invoke its function, answer errors and two-way replies."""
        meta = connection.meta
        route_key = select_route(body, self._path, self.api.routes)
        route = self.api.routes.get(route_key) if route_key else None
        request_id = events.new_request_id()
        if route is None or route.function is None:
            await self._reply_error(connection, "Forbidden", request_id)
            return
        event = events.message_event(
            self._api_context(),
            meta,
            route.route_key,
            body,
            _now_ms(),
            request_id,
            events.new_extended_request_id(),
            events.new_extended_request_id(),
        )
        outcome: Invocation = await self.functions.invoke(route.function, event)
        if not outcome.ok:
            await self._reply_error(connection, "Internal server error", outcome.request_id)
        elif route.two_way and outcome.body is not None:
            await self._send(connection, outcome.body.encode())

    async def _reply_error(self, connection: LiveConnection, message: str, request_id: str) -> None:
        frame = {
            "message": message,
            "connectionId": connection.meta.connection_id,
            "requestId": request_id,
        }
        await self._send(connection, json.dumps(frame).encode())

    async def _send(self, connection: LiveConnection, data: bytes) -> None:
        try:
            await self.registry.post(connection.meta.connection_id, data)
        except Exception as error:
            log.info("could not answer %s: %s", connection.meta.connection_id, error)
