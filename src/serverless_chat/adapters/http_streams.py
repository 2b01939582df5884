"""Many HTTP/1.1 requests in flight from one thread: kept-alive connections on an event loop.

A fan-out is thousands of small requests that each wait tens of milliseconds for API
Gateway. Waiting in threads (http.client, urllib3) costs a dozen context switches and GIL
hand-overs per request; coroutines on one event loop cost about half the CPU a post
(docs/performance.md, "Fan-out"). The Lambda runtime has no asyncio HTTP client, so this
module speaks the little of HTTP/1.1 the @connections API needs: one request, one response
with Content-Length or chunked body.

The loop runs in a daemon thread of its own, started at the first batch, so connections
stay open from one invocation to the next, as boto3's pool would keep them.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, NamedTuple

_MAX_HEAD_BYTES = 64 * 1024


class Response(NamedTuple):
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


class HttpStreams:
    """Up to ``concurrency`` kept-alive connections to one host; see the module docstring."""

    def __init__(
        self, host: str, port: int, secure: bool, concurrency: int, timeout: float = 10.0
    ) -> None:
        self._host = host
        self._port = port
        self._ssl = ssl.create_default_context() if secure else None
        self._concurrency = concurrency
        self._timeout = timeout
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def exchange_all(self, requests: list[bytes]) -> list[Response | Exception]:
        """Send every raw request, ``concurrency`` at a time; each one's response, or the
        error that stopped it (after one retry on a fresh connection), in order."""
        if not requests:
            return []
        return self._run(self._exchange_all(requests))

    def close(self) -> None:
        """Close the connections and stop the loop."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is None:
            return

        async def close_all() -> None:
            while self._idle:
                self._idle.pop()[1].close()

        asyncio.run_coroutine_threadsafe(close_all(), loop).result(self._timeout)
        loop.call_soon_threadsafe(loop.stop)

    # -- on the loop ----------------------------------------------------------------------
    def _run(
        self, coroutine: Coroutine[Any, Any, list[Response | Exception]]
    ) -> list[Response | Exception]:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="http-streams", daemon=True).start()
                self._loop = loop
            loop = self._loop
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    async def _exchange_all(self, requests: list[bytes]) -> list[Response | Exception]:
        results: list[Response | Exception] = [TimeoutError("not sent")] * len(requests)
        order: Iterator[int] = iter(range(len(requests)))

        async def worker() -> None:
            connection = None
            for index in order:  # shared: each worker takes the next request
                results[index], connection = await self._exchange(connection, requests[index])
            if connection is not None:
                self._idle.append(connection)

        await asyncio.gather(*(worker() for _ in range(min(self._concurrency, len(requests)))))
        return results

    async def _exchange(
        self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None, raw: bytes
    ) -> tuple[Response | Exception, tuple[asyncio.StreamReader, asyncio.StreamWriter] | None]:
        reused = True
        for _ in (1, 2):  # a kept-alive connection the server closed: once more on a new one
            try:
                if connection is None and self._idle and reused:
                    connection = self._idle.pop()
                elif connection is None:
                    reused = False
                    connection = await self._open()
                reader, writer = connection
                writer.write(raw)
                response = await asyncio.wait_for(_read_response(reader), self._timeout)
            except Exception as e:  # each request fails alone, whatever broke it
                if connection is not None:
                    connection[1].close()
                connection = None
                if not reused:
                    return e, None
                reused = False
                continue
            if response.headers.get("connection", "").lower() == "close":
                writer.close()
                connection = None
            return response, connection
        raise AssertionError("unreachable: the second attempt is on a new connection")

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.wait_for(
            asyncio.open_connection(self._host, self._port, ssl=self._ssl, limit=_MAX_HEAD_BYTES),
            self._timeout,
        )


async def _read_response(reader: asyncio.StreamReader) -> Response:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head[:-4].decode("latin-1").split("\r\n")
    version, status, *_ = status_line.split(" ", 2)
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.x response: {status_line!r}")
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Response(int(status), headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers, then the end
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
