"""The signed HTTP adapter's batch path against a scripted @connections server: throttling
retried with backoff, chunked and closing answers, connections the server dropped."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiohttp import web
from botocore.credentials import Credentials

from serverless_chat.adapters import signed_http
from serverless_chat.adapters.signed_http import SignedHttpConnections
from serverless_chat.errors import CallbackThrottled, ConnectionGone

Script = Callable[[str, int, web.Request], web.StreamResponse]


class ScriptedServer:
    """An aiohttp server on a thread of its own, answering each post as ``script`` says."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.calls: Counter[str] = Counter()
        self.headers: list[dict[str, str]] = []
        self.bodies: list[bytes] = []
        self.loop = asyncio.new_event_loop()
        self.runner: web.AppRunner | None = None
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)

        async def post(request: web.Request) -> web.StreamResponse:
            cid = request.match_info["cid"]
            self.calls[cid] += 1
            self.headers.append(dict(request.headers))
            self.bodies.append(await request.read())
            return await _maybe(self.script(cid, self.calls[cid], request))

        app = web.Application()
        app.router.add_post("/production/@connections/{cid}", post)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self.loop.run_forever()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/production"

    def stop(self) -> None:
        if not self.loop.is_running():
            return

        async def cleanup() -> None:
            assert self.runner is not None
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


async def _maybe(value: Any) -> web.StreamResponse:
    return await value if asyncio.iscoroutine(value) else value  # type: ignore[no-any-return]


@pytest.fixture
def serve() -> Iterator[Callable[[Script], tuple[ScriptedServer, SignedHttpConnections]]]:
    servers: list[ScriptedServer] = []

    def start(script: Script) -> tuple[ScriptedServer, SignedHttpConnections]:
        server = ScriptedServer(script)
        servers.append(server)
        adapter = SignedHttpConnections(
            server.url, Credentials("AKID", "secret", "session-token"), "eu-west-1", concurrency=4
        )
        return server, adapter

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signed_http, "THROTTLE_BACKOFF_SECONDS", 0.001)


def test_a_batch_is_signed_and_delivered(serve: Any) -> None:
    server, adapter = serve(lambda cid, n, request: web.Response(status=200))
    failures = adapter.post_many([(f"c{i}", f"hello {i}".encode()) for i in range(20)])
    assert failures == {}
    assert sorted(server.bodies) == sorted(f"hello {i}".encode() for i in range(20))
    headers = server.headers[0]
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKID/")
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == "session-token"
    assert headers["Host"] == f"127.0.0.1:{server.port}"


def test_throttled_posts_are_sent_again_until_taken(serve: Any) -> None:
    def script(cid: str, n: int, request: web.Request) -> web.Response:
        if cid.startswith("busy") and n < 3:
            return web.json_response({"message": "Rate exceeded"}, status=429)
        return web.Response(status=200)

    server, adapter = serve(script)
    failures = adapter.post_many([("busy1", b"x"), ("calm", b"y"), ("busy2", b"z")])
    assert failures == {}
    assert server.calls == Counter({"busy1": 3, "busy2": 3, "calm": 1})


def test_a_post_throttled_every_time_fails_as_throttled(serve: Any) -> None:
    server, adapter = serve(lambda cid, n, request: web.json_response({}, status=429))
    failures = adapter.post_many([("busy", b"x")])
    assert isinstance(failures["busy"], CallbackThrottled)
    assert server.calls["busy"] == signed_http.THROTTLE_ATTEMPTS


def test_gone_and_chunked_and_closing_answers(serve: Any) -> None:
    async def script(cid: str, n: int, request: web.Request) -> web.StreamResponse:
        if cid == "gone":
            return web.json_response({"message": "Gone"}, status=410)
        if cid == "chunked":
            response = web.StreamResponse(status=200)
            response.enable_chunked_encoding()
            await response.prepare(request)
            await response.write(b"{}")
            await response.write_eof()
            return response
        return web.Response(status=200, headers={"Connection": "close"})

    _, adapter = serve(script)
    deliveries = [("gone", b"a"), ("chunked", b"b")] + [(f"c{i}", b"c") for i in range(10)]
    failures = adapter.post_many(deliveries)
    assert set(failures) == {"gone"}
    assert isinstance(failures["gone"], ConnectionGone)


def test_connections_kept_between_batches_survive_the_server_dropping_them(serve: Any) -> None:
    server, adapter = serve(lambda cid, n, request: web.Response(status=200))
    assert adapter.post_many([(f"a{i}", b"1") for i in range(8)]) == {}
    server.stop()  # every kept-alive connection is closed by the server
    restarted = ScriptedServer(lambda cid, n, request: web.Response(status=200))
    try:
        adapter2 = SignedHttpConnections(restarted.url, Credentials("a", "b"), "eu-west-1")
        assert adapter2.post_many([("x", b"1")]) == {}
        # the first adapter's server is gone: a clear error per post, no hang
        failures = adapter.post_many([("b0", b"2")])
        assert failures["b0"].code in {"ConnectionRefusedError", "OSError"}
    finally:
        restarted.stop()


def test_an_answer_with_an_oversized_head_fails_that_post_alone(serve: Any) -> None:
    def script(cid: str, n: int, request: web.Request) -> web.Response:
        if cid == "huge":
            return web.Response(status=200, headers={"X-Filler": "x" * 70_000})
        return web.Response(status=200)

    _, adapter = serve(script)
    failures = adapter.post_many([("huge", b"a"), ("fine", b"b")])
    assert set(failures) == {"huge"}
