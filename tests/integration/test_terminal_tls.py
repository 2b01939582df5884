"""`serverless-chat connect wss://` to the gateway's own TLS port: its self-signed
certificate trusted from the folder serve runs in (or --state-dir, or --cafile), and each
wrong scheme for a port said in one line."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from local_gateway import LocalGateway
from tests.conftest import ROOT, TEMPLATE
from tests.integration.conftest import recv, start_gateway
from tests.served import ServedGateway

CLIENT = [sys.executable, "-m", "serverless_chat.cli", "connect"]


def _client(
    url: str, stdin: str, *flags: str, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """The client, piped, run from ``cwd`` (the package found wherever that is)."""
    path = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [*CLIENT, url, "--wait", "0", *flags],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
    )


@pytest.fixture
async def beside(tmp_path: Path) -> Iterator[LocalGateway]:
    """A gateway whose state is where serve keeps it by default: .serverless-chat in the
    folder it runs in (tmp_path)."""
    gateway = await start_gateway(TEMPLATE, tmp_path / ".serverless-chat")
    yield gateway
    await gateway.stop()


async def test_wss_trusts_the_gateways_own_certificate_from_the_folder_serve_runs_in(
    beside: LocalGateway, tmp_path: Path
) -> None:
    async with connect(beside.url + "?format=raw") as listener:
        result = await asyncio.to_thread(_client, beside.tls_url, "over tls\n", cwd=tmp_path)
        assert await recv(listener) == "over tls"
    assert result.returncode == 0, result.stderr
    assert f"Connected to {beside.tls_url}" in result.stderr


async def test_from_another_folder_wss_says_how_to_trust_it_and_cafile_does(
    beside: LocalGateway, tmp_path: Path
) -> None:
    refused = await asyncio.to_thread(_client, beside.tls_url, "never\n")
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"error: cannot connect to {beside.tls_url}: its certificate is not trusted"
        " (self-signed certificate): for serve's wss:// port, connect from the folder serve"
        " runs in (its certificate is .serverless-chat/tls/gateway-cert.pem), or pass --cafile"
        " with the certificate to trust"
    ]
    cafile = tmp_path / ".serverless-chat" / "tls" / "gateway-cert.pem"
    trusted = await asyncio.to_thread(_client, beside.tls_url, "", "--cafile", str(cafile))
    assert trusted.returncode == 0, trusted.stderr


async def test_the_wrong_scheme_for_a_port_is_one_line(beside: LocalGateway) -> None:
    """Not OpenSSL's WRONG_VERSION_NUMBER for wss:// to the plain port, nor "did not
    receive a valid HTTP response" for ws:// to the TLS port (which closes without a word):
    which scheme that port wants."""
    plain_port = beside.url.replace("ws://", "wss://", 1)
    tls_port = beside.tls_url.replace("wss://", "ws://", 1)
    wss, ws = await asyncio.gather(
        asyncio.to_thread(_client, plain_port, ""), asyncio.to_thread(_client, tls_port, "")
    )
    assert (wss.returncode, ws.returncode) == (1, 1)
    assert wss.stderr.splitlines() == [
        f"error: cannot connect to {plain_port}: it does not speak TLS: that is a ws:// port"
        " (serve prints its wss:// URL too)"
    ]
    assert ws.stderr.splitlines() == [
        f"error: cannot connect to {tls_port}: it speaks TLS there: use wss:// for that port"
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_tls_port_picks_the_port_and_connect_state_dir_trusts_it(tmp_path: Path) -> None:
    port = _free_port()
    served = ServedGateway(
        tmp_path / "state", tmp_path / "serve.log", "--quiet", "--tls-port", str(port)
    )
    served.start()
    try:
        assert served.process is not None
        assert served.process.stdout is not None
        tls = served.process.stdout.readline()
        assert tls.strip() == f"and wss://127.0.0.1:{port}/production (TLS)"
        url = f"wss://127.0.0.1:{port}/production"
        result = _client(url, "", "--state-dir", str(tmp_path / "state"))
    finally:
        served.stop()
    assert result.returncode == 0, result.stderr


def test_a_cafile_that_holds_no_certificate_is_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    result = _client("wss://127.0.0.1:9/production", "", "--cafile", str(empty))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"serverless-chat connect: error: argument --cafile: '{empty}' holds no certificate"
        " to trust (NO_CERTIFICATE_OR_CRL_FOUND) (see serverless-chat connect --help)"
    ]
