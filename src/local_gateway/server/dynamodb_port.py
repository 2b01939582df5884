"""The embedded DynamoDB as the gateway serves it: moto's server on its private socket
(``aws/dynamodb/endpoint.py``) behind a port of the gateway's own, whose every request is
checked — the Host must be the gateway's, no web page may call it (no ``Origin``, no
``Sec-Fetch-Site``), and it must be signed by known credentials (``aws/dynamodb/http.py``)."""

from __future__ import annotations

import asyncio
import logging
import socket as sockets
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from aiohttp import web

from local_gateway.aws.dynamodb.endpoint import EmbeddedDynamoDb
from local_gateway.aws.dynamodb.http import DynamoDbApi
from local_gateway.aws.dynamodb.tables import provision
from local_gateway.aws.iam.access import Authorize
from local_gateway.functions.credentials import SigningKey
from local_gateway.server.guards.guard import Guard, middleware
from local_gateway.server.listening import listen
from local_gateway.template.specs import TableSpec

log = logging.getLogger("local_gateway")

# DynamoDB's largest item is 400 KB; a BatchWriteItem of 25 of them, and its JSON, fit.
MAX_REQUEST_BYTES = 16 * 1024 * 1024


class DynamoDbPort:
    """Started and stopped with the gateway, when isolated functions need the tables."""

    def __init__(
        self,
        host: str,
        names: Iterable[str],
        state_dir: Path,
        region: str,
        key_for: Callable[[str], SigningKey | None],
        any_host: bool = False,
        authorize: Authorize | None = None,
    ) -> None:
        self._host = host
        self._region = region
        self._names = list(names)
        self._any_host = any_host
        self._moto = EmbeddedDynamoDb(state_dir / "dynamodb.log")
        self._api = DynamoDbApi(self._moto.socket_path, key_for, region, authorize)
        self._socket: sockets.socket | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self, tables: Iterable[TableSpec], credentials: Mapping[str, str]) -> str:
        """Start moto's server, serve the port, make ``tables`` there (signing with
        ``credentials``, the gateway's own); its URL."""
        await self._moto.start()
        self._socket = listen(self._host, 0)
        self.port = self._socket.getsockname()[1]
        guard = Guard.for_gateway(
            self._names, [("http", self.port)], (), self._any_host, programs_only=True
        )
        app = web.Application(client_max_size=MAX_REQUEST_BYTES, middlewares=[middleware(guard)])
        app.router.add_routes(self._api.routes())
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()
        log.info(
            "DynamoDB: the template's tables on %s (moto's server; they start empty at every"
            " start); calls must be signed, by the functions' credentials or by those boto3"
            " finds here",
            self.url,
        )
        await asyncio.to_thread(provision, self.url, self._region, tables, credentials)
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None and self._socket.fileno() != -1:
            self._socket.close()
        await self._api.close()
        await self._moto.stop()
