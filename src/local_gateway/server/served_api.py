"""One WebSocket API of a template as the gateway serves it (``ServedApi``): on ports of its
own, with its own connections, callback endpoint and semantics.

On AWS each API has a host of its own, ``{apiId}.execute-api.{region}.amazonaws.com``, where
its stages and its callback API (``/{stage}/@connections/{id}``) live; a connection of one
API is not one of another's ("Use @connections commands in your backend service", API
Gateway Developer Guide). Locally a port stands for that host: each API listens on a port
(and a TLS port) of its own, so a client's URL keeps AWS's shape ``ws://HOST:PORT/{stage}``
whatever the stage names, and two APIs with the same stage name have distinct callback
endpoints. The gateway (``gateway.py``) makes one for each WEBSOCKET API of the template and
shares among them what the template shares: the functions, the tables, the services.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket as sockets
import ssl
from collections.abc import Callable

from aiohttp import web

from local_gateway.apigateway.connection import LiveConnection
from local_gateway.apigateway.core import GatewayCore
from local_gateway.aws.execute_api import handshake_verifier
from local_gateway.aws.iam.access import Authorize
from local_gateway.aws.management_api.http import CallbackApi
from local_gateway.aws.management_api.model import ConnectionRegistry
from local_gateway.errors import CannotListen
from local_gateway.functions.credentials import SigningKey
from local_gateway.server.listening import listen
from local_gateway.server.websocket import GOING_AWAY, Limits, WebSocketEndpoint
from local_gateway.template.intrinsics import ACCOUNT_ID
from local_gateway.template.model import WebSocketApiSpec

LAST_PORT = 65535


class ServedApi:
    """One WEBSOCKET API of the template: its listeners, connections and core."""

    def __init__(
        self, spec: WebSocketApiSpec, host: str, region: str, registry: ConnectionRegistry
    ) -> None:
        self.spec = spec
        self.registry = registry
        self._host = host
        self._region = region
        self.port = 0
        self.tls_port = 0
        self._socket: sockets.socket | None = None
        self._tls_socket: sockets.socket | None = None
        self._runner: web.AppRunner | None = None
        self.core: GatewayCore | None = None
        self.endpoint: WebSocketEndpoint | None = None

    # -- where it is -------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"ws://{self._host}:{self.port}/{self.spec.stage}"

    @property
    def tls_url(self) -> str:
        return f"wss://{self._host}:{self.tls_port}/{self.spec.stage}"

    @property
    def callback_url(self) -> str:
        """Its callback (Management) API: ``https://{apiId}.execute-api…/{stage}`` on AWS."""
        return f"http://{self._host}:{self.port}/{self.spec.stage}"

    @property
    def execute_api_host(self) -> str:
        """The API's own host name, as on AWS: requestContext.domainName."""
        return f"{self.spec.api_id}.execute-api.{self._region}.amazonaws.com"

    @property
    def stage_arn(self) -> str:
        """arn:aws:execute-api:REGION:ACCOUNT:API/STAGE, what ManageConnections and Invoke
        resources of this API begin with."""
        return (
            f"arn:aws:execute-api:{self._region}:{ACCOUNT_ID}:{self.spec.api_id}/{self.spec.stage}"
        )

    def named(self, name: str) -> bool:
        """Whether ``name`` is this API's logical id, Name or (local) API id."""
        return name in (self.spec.logical_id, self.spec.name, self.spec.api_id)

    # -- lifecycle ---------------------------------------------------------------
    def listen(self, port: int, tls_port: int) -> None:
        """Listen on ``port`` and ``tls_port`` (0: free ones); CannotListen says why not."""
        for asked in (port, tls_port):
            if asked > LAST_PORT:
                raise CannotListen(
                    f"{self._host}:{asked}",
                    f"beyond the last port, {LAST_PORT} (API {self.spec.logical_id})",
                )
        self._socket = listen(self._host, port)
        self.port = self._socket.getsockname()[1]
        self._tls_socket = listen(self._host, tls_port)
        self.tls_port = self._tls_socket.getsockname()[1]

    def callback_routes(self, authorize: Authorize) -> list[web.RouteDef]:
        """Its callback API at ``/{stage}/@connections/{id}``, held to the callers' roles on
        this API's own ARNs."""
        return CallbackApi(self.registry, self.spec.stage, authorize, self.stage_arn).routes()

    def websocket_routes(
        self,
        limits: Limits,
        refusal: Callable[[], str],
        key_for: Callable[[str], SigningKey | None],
        authorize: Authorize,
        rate: Callable[[], bool] | None = None,
    ) -> list[web.RouteDef]:
        """Its WebSocket endpoint at ``/{stage}`` (``$connect``'s IAM authorization on this
        API's ARN, when it has one)."""
        connect = self.spec.routes.get("$connect")
        verify = (
            handshake_verifier(key_for, authorize, self._region, self.stage_arn + "/$connect")
            if connect is not None and connect.iam_auth
            else None
        )
        self.endpoint = endpoint = WebSocketEndpoint(
            self._core,
            self.registry,
            limits,
            lambda: (self.port, self.tls_port),
            refusal,
            verify,
            rate,
        )
        return [
            web.get(f"/{self.spec.stage}", endpoint.handle),
            web.get(f"/{self.spec.stage}/", endpoint.handle),
        ]

    def _core(self) -> GatewayCore:
        assert self.core is not None, "the gateway is not started"
        return self.core

    async def serve(
        self, app: web.Application, tls: ssl.SSLContext, keepalive_timeout: float
    ) -> None:
        """Serve ``app`` on its listeners (plain and TLS)."""
        assert self._socket is not None, "not listening"
        assert self._tls_socket is not None, "not listening"
        self._runner = web.AppRunner(app, handle_signals=False, keepalive_timeout=keepalive_timeout)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()
        await web.SockSite(self._runner, self._tls_socket, ssl_context=tls).start()

    async def stop_listening(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for listener in (self._socket, self._tls_socket):
            if listener is not None and listener.fileno() != -1:
                listener.close()

    async def close_all(self) -> None:
        """Every connection closed with 1001 "Going away" and its $disconnect run."""
        self.registry.flush()  # posts already taken reach their clients before the close
        connections = [self.registry.remove(cid) for cid in self.registry.ids()]
        await asyncio.gather(*(self._close_one(c) for c in connections if c is not None))

    async def _close_one(self, connection: LiveConnection) -> None:
        connection.closing = True
        connection.found_gone()
        if connection.socket is not None and not connection.socket.closed:
            with contextlib.suppress(Exception):
                await connection.socket.close(code=GOING_AWAY, message=b"Going away")
        await self._core().disconnect(connection.meta, GOING_AWAY, "Going away")

    async def drain(self) -> None:
        """Messages still in flight end with their functions."""
        if self.endpoint is not None:
            await self.endpoint.drain()
