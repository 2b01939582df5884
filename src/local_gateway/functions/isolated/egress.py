"""Where isolated functions' network traffic goes: the HTTP(S) proxy of their containers.

Every container gets ``HTTPS_PROXY`` / ``HTTP_PROXY`` pointing here (botocore, requests and
urllib honour them; ``NO_PROXY`` lets the gateway's own endpoints through directly). A
tunnel to one of the gateway's own hosts — the API's execute-api name, which functions use
to build their callback client — is carried to the gateway's TLS port; anything else is
refused with 403 and one line in the log naming the function and the host, so a function
never reaches the internet and the user sees what it tried. The function is named by the
proxy credentials each container carries (``http://LogicalId:PASSWORD@127.0.0.1:PORT``, the
password drawn at random for each function at every start): a request without a function's
own credentials gets 407 and no log line, a request a web page made (``Origin``,
``Sec-Fetch-Site``) 403 and none either, and at most ``MAX_REPORTED`` refusals are named, so
nothing another local program sends can grow the log or the memory without bound.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Mapping

log = logging.getLogger("local_gateway")


MAX_REPORTED = 1000  # (function, host) refusals named in the log; the rest are counted


class EgressProxy:
    """A CONNECT proxy that tunnels only to the gateway's own hosts, for the functions whose
    proxy credentials it knows (``passwords``: logical id -> password)."""

    def __init__(
        self,
        tunnels: Mapping[str, tuple[str, int]],
        passwords: Mapping[str, str],
        max_reported: int = MAX_REPORTED,
    ) -> None:
        self._max_reported = max_reported
        self._tunnels = {host.lower(): target for host, target in tunnels.items()}
        self._passwords = dict(passwords)
        self._server: asyncio.Server | None = None
        self._refused: set[tuple[str, str]] = set()
        self.unreported = 0  # refusals past MAX_REPORTED
        self.port = 0

    async def start(self, host: str = "127.0.0.1") -> int:
        self._server = await asyncio.start_server(self._serve, host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, _, rest = lines[0].partition(" ")
        target = rest.rsplit(" ", 1)[0]
        names = {line.partition(":")[0].strip().lower() for line in lines[1:]}
        if names & {"origin", "sec-fetch-site"}:  # a web page: never a function's
            await _answer(writer, b"403 Forbidden")
            return
        caller, password = _caller(lines[1:])
        if not caller or self._passwords.get(caller) != password:
            await _answer(writer, b"407 Proxy Authentication Required")
            return
        destination = self._tunnels.get(target.lower()) if method == "CONNECT" else None
        if destination is None:
            self._refuse(caller, method, target)
            await _answer(writer, b"403 Forbidden")
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*destination)
        except OSError:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )

    def _refuse(self, caller: str, method: str, target: str) -> None:
        if (caller, target) in self._refused:
            return
        if len(self._refused) >= self._max_reported:
            self.unreported += 1
            return
        self._refused.add((caller, target))
        log.warning(
            "%s tried to reach %s (%s) over the network: refused, the local gateway does not"
            " emulate it and its functions never reach the internet",
            caller or "a function",
            target,
            method,
        )


def _caller(headers: list[str]) -> tuple[str, str]:
    """The function and password a container's proxy credentials give ("" when none)."""
    for header in headers:
        name, _, value = header.partition(":")
        if name.strip().lower() == "proxy-authorization":
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "basic":
                with contextlib.suppress(ValueError):
                    user, _, password = base64.b64decode(token).decode().partition(":")
                    return user, password
    return "", ""


async def _answer(writer: asyncio.StreamWriter, status: bytes) -> None:
    writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def proxy_environment(
    port: int, logical_id: str, password: str, direct: list[str]
) -> dict[str, str]:
    """The proxy variables of one container; ``direct`` hosts bypass it."""
    url = f"http://{logical_id}:{password}@127.0.0.1:{port}"
    bypass = ",".join(direct)
    return {
        "HTTPS_PROXY": url,
        "HTTP_PROXY": url,
        "https_proxy": url,
        "http_proxy": url,
        "NO_PROXY": bypass,
        "no_proxy": bypass,
    }
