"""`serverless-chat serve` as a subprocess on a free port, three real clients, Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_gateway.functions.isolated.interpreters import find_interpreter
from serverless_chat.adapters.sqlite import SqliteConnectionStore, SqliteDatabase
from tests.conftest import ROOT
from tests.scenarios import three_clients_hello_aws
from tests.stores import every_row

URL = re.compile(r"on (ws://\S+)")


@pytest.fixture(params=["memory", "sqlite"])
def served(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """The gateway as a user starts it: connections in memory (the default), or in the state
    dir's SQLite file, where this test reads them from outside the process."""
    state = tmp_path / "state"
    log = (tmp_path / "serve.log").open("w+")  # a file, not a pipe: a full pipe would block
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "serverless_chat.cli",
            "serve",
            "--port",
            "0",
            "--state-dir",
            str(state),
            "--connections-store",
            request.param,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = URL.search(line)
    assert match, f"no URL in {line!r}; stderr: {(tmp_path / 'serve.log').read_text()}"
    yield process, match.group(1), state
    if process.poll() is None:
        process.kill()
        process.wait()


async def test_hello_aws_across_three_clients_then_ctrl_c(
    served: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, url, state = served
    assert url.endswith("/production")
    a, c = await three_clients_hello_aws(url)
    store = SqliteConnectionStore(
        SqliteDatabase(state / "chat.sqlite3"), "serverless-chat-ConnectionsTable"
    )
    in_file = "sqlite" in process.args  # type: ignore[operator]
    assert len(every_row(store)) == (2 if in_file else 0)  # B's row went with B

    process.send_signal(signal.SIGINT)
    for client in (a, c):
        await asyncio.wait_for(client.wait_closed(), 30)
        assert client.close_code == 1001
    assert await asyncio.to_thread(process.wait, 10) == 0
    assert every_row(store) == []
    log = (state.parent / "serve.log").read_text()
    assert "START RequestId:" in log
    assert "REPORT RequestId:" in log
    assert "Traceback" not in log


def test_bad_template_is_one_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "serverless_chat.cli",
            "serve",
            "--template",
            str(tmp_path / "missing.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "cannot read template" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_parameter_is_one_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "serverless_chat.cli", "serve", "--parameter", "Nope=1"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "unknown parameter(s): Nope" in result.stderr


RUNTIMES_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: runtimes
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: dev, AutoDeploy: true}
  Current:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: fn/}
  Retired:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.8, Handler: app.handler, CodeUri: fn/}
  Node:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: app.handler, CodeUri: fn/}
"""


def test_serve_names_each_runtimes_python_and_refuses_a_retired_runtime(tmp_path: Path) -> None:
    """Lambda runs python3.12 on Python 3.12, and no longer creates python3.8 functions
    ("Lambda runtimes", https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html;
    the refusal in CreateFunction's words); a Node function cannot run here at all."""
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    template = tmp_path / "template.yaml"
    template.write_text(RUNTIMES_TEMPLATE)
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "serverless_chat.cli", "serve", "--template", str(template)),
            *("--port", "0", "--state-dir", str(tmp_path / "state")),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    try:
        lines = []
        while not any("python3.12 functions" in line for line in lines):
            line = process.stdout.readline()
            assert line, (tmp_path / "serve.log").read_text()
            lines.append(line)
    finally:
        process.kill()
        process.wait()
    said = next(line for line in lines if "python3.12 functions" in line)
    if find_interpreter("python3.12") is not None:
        assert said.startswith("python3.12 functions run on /"), said
    else:
        assert said.startswith("warning: python3.12 functions run on this gateway's Python")
    refusal = (
        "The runtime parameter of python3.8 is no longer supported for creating or updating"
        " AWS Lambda functions. We recommend you use a supported runtime while creating or"
        " updating functions."
    )
    assert (
        f"warning: function Retired will fail: {refusal}\n" in (tmp_path / "serve.log").read_text()
    )
    # A function of another language is named once, with the one thing that would help.
    assert (
        "warning: function Node will fail: runtime 'nodejs20.x' is not Python; the local"
        " gateway runs Python functions only\n"
    ) in (tmp_path / "serve.log").read_text()
