"""AuthMode under the local gateway: the template's authorizer runs, with the dev secret
that `serverless-chat token` signs with, or against a JWKS URL."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from local_gateway import LocalGateway
from tests.conftest import TEMPLATE
from tests.integration.conftest import recv, start_gateway

SECRET = "the-development-secret-for-these-tests-0123456789"


@pytest.fixture
async def secured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LocalGateway]:
    monkeypatch.setenv("SERVERLESS_CHAT_DEV_SECRET", SECRET)
    gateway = await start_gateway(TEMPLATE, tmp_path / "state", parameters={"AuthMode": "hs256"})
    yield gateway
    await gateway.stop()


def mint(name: str, key: Any = SECRET, algorithm: str = "HS256", ttl: int = 60) -> str:
    now = int(time.time())
    return jwt.encode(
        {"sub": f"id-{name}", "name": name, "iat": now, "exp": now + ttl}, key, algorithm=algorithm
    )


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 401),
        ("?token=garbage", 401),
        (f"?token={mint('ana', ttl=-120)}", 401),
        (f"?token={mint('ana', key='x' * 40)}", 401),
    ],
)
async def test_missing_invalid_or_expired_tokens_are_refused(
    secured: LocalGateway, query: str, status: int
) -> None:
    with pytest.raises(InvalidStatus) as caught:
        await connect(secured.url + query)
    assert caught.value.response.status_code == status


async def test_the_name_comes_from_the_token_and_cannot_be_changed(secured: LocalGateway) -> None:
    url = f"{secured.url}?format=json&name=mallory&token={mint('ana')}"
    async with connect(url) as ana, connect(f"{secured.url}?token={mint('bob')}") as bob:
        assert json.loads(await recv(ana))["name"] == "bob"  # bob joined
        await ana.send(json.dumps({"action": "who"}))
        assert json.loads(await recv(ana))["names"] == ["ana", "bob"]
        await ana.send(json.dumps({"action": "setName", "name": "bob2"}))
        assert json.loads(await recv(ana))["code"] == "NAME_FROM_TOKEN"
        await bob.send(json.dumps({"action": "sendMessage", "message": "hi"}))
        assert json.loads(await recv(ana))["from"] == "bob"


def test_the_token_command_signs_with_the_shared_dev_secret(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = [sys.executable, "-m", "serverless_chat.cli", "token", "--name", "ana"]
    first = subprocess.run(run, capture_output=True, text=True, env=env, check=True).stdout.strip()
    secret_file = tmp_path / "serverless-chat" / "dev-secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    claims = jwt.decode(first, secret_file.read_text().strip(), algorithms=["HS256"])
    assert (claims["sub"], claims["name"]) == ("ana", "ana")
    assert claims["exp"] - claims["iat"] == 3600
    second = subprocess.run(run, capture_output=True, text=True, env=env, check=True).stdout
    jwt.decode(second.strip(), secret_file.read_text().strip(), algorithms=["HS256"])


async def test_jwks_mode_checks_rs256_tokens_against_the_key_set(tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    keys = {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}
    app = web.Application()
    app.router.add_get("/jwks.json", lambda _request: web.json_response(keys))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    gateway = await start_gateway(
        TEMPLATE,
        tmp_path / "state",
        parameters={
            "AuthMode": "jwks",
            "JwksUrl": f"http://127.0.0.1:{port}/jwks.json",
            "JwtAudience": "chat-app",
        },
    )
    try:
        now = int(time.time())

        def cognito(**claims: object) -> str:
            body = {"sub": "c-1", "cognito:username": "zoe", "exp": now + 60, **claims}
            return jwt.encode(body, private, algorithm="RS256", headers={"kid": "k1"})

        token = cognito(token_use="id", aud="chat-app")  # an ID token of our app client
        for other in (cognito(token_use="id", aud="other-app"), cognito(token_use="access")):
            with pytest.raises(InvalidStatus) as refused:  # another app's, or no audience
                await connect(f"{gateway.url}?token={other}")
            assert refused.value.response.status_code == 401
        async with connect(f"{gateway.url}?format=json&token={token}") as zoe:
            await zoe.send(json.dumps({"action": "who"}))
            assert json.loads(await recv(zoe))["names"] == ["zoe"]
        with pytest.raises(InvalidStatus) as caught:
            await connect(f"{gateway.url}?token={mint('ana')}")  # HS256 is not accepted here
        assert caught.value.response.status_code == 401
    finally:
        await gateway.stop()
        await runner.cleanup()


def test_serve_refuses_jwks_mode_without_an_audience(tmp_path: Path) -> None:
    """(issue 25) The template's rule: without JwtAudience any app client's token of the
    user pool would pass, so serve does not start, and says why."""
    serve = [sys.executable, "-m", "serverless_chat.cli", "serve", "--port", "0"]
    options = ["--state-dir", str(tmp_path / "state"), "--parameter", "AuthMode=jwks"]
    done = subprocess.run(
        [*serve, *options, "--parameter", "JwksUrl=http://127.0.0.1:9/jwks.json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "AuthMode jwks needs JwtAudience" in done.stderr
    assert "(rule JwksNeedsAudience)" in done.stderr


async def test_a_signed_in_person_reads_their_direct_messages_on_a_later_connection(
    secured: LocalGateway,
) -> None:
    """Issue 26: a signed-in person's direct messages are bound to the token's subject (the
    authorizer context's ``sub``), with no resume token, on any later connection."""
    async with (
        connect(f"{secured.url}?format=json&token={mint('ana')}") as ana,
        connect(f"{secured.url}?format=json&token={mint('bob')}") as bob,
    ):
        await bob.send(json.dumps({"action": "sendMessage", "to": "ana", "message": "psst"}))
        while json.loads(await recv(ana)).get("type") != "direct":
            pass
    async with connect(f"{secured.url}?format=json&room=dev&token={mint('ana')}") as again:
        await again.send(json.dumps({"action": "directHistory", "ref": "d"}))
        page = json.loads(await recv(again))
        assert page["type"] == "directHistory"
        assert [(m["from"], m["text"]) for m in page["messages"]] == [("bob", "psst")]
