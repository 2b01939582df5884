"""The command line: every command ends in a sentence, never a traceback; every option
has help that shows its default; `bench` takes the benchmark's own options."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from serverless_chat import cli
from serverless_chat.cli.arguments import HelpFormatter
from serverless_chat.cli.serve import OneFunction, OrdinaryRefusals, state_dir
from serverless_chat.loadgen import bench

SAM_CHAT = "tests/fixtures/sam_chat/template.yaml"
NO_WEBSOCKET_API = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"

BAD_ARGUMENTS = [
    # serve: checked by the argument parser, before anything starts
    ["serve", "--port", "99999"],
    ["serve", "--port", "-5"],
    ["serve", "--port", "eighty"],
    ["serve", "--workers", "0"],
    ["serve", "--idle-timeout", "-1"],
    ["serve", "--idle-timeout", "nan"],
    ["serve", "--max-connection-duration", "0"],
    ["serve", "--max-frame-bytes", "0"],
    ["serve", "--max-containers", "0"],
    ["serve", "--max-connections", "0"],
    ["serve", "--ping-interval", "-1"],
    ["serve", "--callback-latency", "-5ms"],
    ["serve", "--callback-latency", "soon"],
    ["serve", "--chaos", "drop-disconnect=2"],
    ["serve", "--chaos", "lose-everything=1"],
    ["serve", "--chaos", "callback-rate=0"],
    ["serve", "--chaos", "lambda-concurrency=lots"],
    ["serve", "--chaos", "integration-latency=later"],
    ["serve", "--quota-new-connections-per-second", "100"],  # a quota increase only raises
    ["serve", "--dynamodb-endpoint", "notaurl"],
    ["serve", "--allow-origin", "example.com"],
    ["serve", "--hook", "no_colon"],
    ["serve", "--parameter", "NoValue"],
    ["serve", "--quiet", "--log-level", "debug"],
    ["serve", "--log-level", "loud"],
    ["serve", "--state-dir", "/proc/nope"],
    ["serve", "--template", "/nonexistent/template.yaml"],
    ["serve", "--port", "0", "--log-function", "NoSuchFunction"],
    ["serve", "--bogus"],
    # connect
    ["connect"],
    ["connect", "notaurl"],
    ["connect", "http://127.0.0.1:9/production"],
    ["connect", "ws://127.0.0.1:9/production", "--wait", "-1"],
    ["connect", "ws://127.0.0.1:9/production", "--format", "xml"],
    ["connect", "ws://127.0.0.1:9/production?format=bogus"],  # refused before connecting
    ["connect", "ws://127.0.0.1:9/production"],  # nothing listens there
    ["connect", "wss://127.0.0.1:9/production", "--cafile", "/nonexistent"],
    ["connect", "wss://127.0.0.1:9/production", "--cafile", "{no_websocket_api}"],  # no cert
    ["serve", "--tls-port", "99999"],
    # deploy, destroy, outputs
    ["deploy", "--parameter", "NoValue"],
    ["deploy", "--parameter", "Nope=1"],
    ["bench", "--url", "notaurl"],
    ["bench", "--template", "/nonexistent"],
    ["serve", "--host", "999.1.1.1", "--port", "0"],
    ["deploy", "--parameter", "Alarms=sometimes"],
    ["deploy", "--endpoint-url", "notaurl"],
    ["destroy", "--endpoint-url", "http://127.0.0.1:4566/some/path"],
    ["outputs", "--bogus"],
    ["deploy", "--profile", "nosuchprofile"],
    ["destroy", "--profile", "nosuchprofile"],
    # template
    ["template", "--template", "/nonexistent/template.yaml"],
    ["template", "--template", "{no_websocket_api}", "--standalone"],
    ["template", "-o", "/nonexistent/dir/x.yaml"],
    # token
    ["token"],
    ["token", "--name", "ana", "--ttl", "-10"],
    ["token", "--name", "ana", "--ttl", "soon"],
    ["token", "--name", "bad name!!"],
    ["token", "--name", "ana", "--sub", " "],
    # invoke: checked before any function runs
    ["invoke", "ConnectFunction"],
    ["invoke", "ConnectFunction", "--event", "bogus"],
    ["invoke", "--template", "/nonexistent/template.yaml", "X", "--event", "connect"],
    ["invoke", "--template", "{no_websocket_api}", "X", "--event", "connect"],
    ["invoke", "--template", SAM_CHAT, "Nope", "--event", "connect"],
    ["invoke", "--template", SAM_CHAT, "ConnectFunction", "--event", "connect", "--body", "x"],
    ["invoke", "--template", SAM_CHAT, "SendFunction", "--event", "message", "--header", "A:b"],
    ["invoke", "--template", SAM_CHAT, "SendFunction", "--event", "disconnect", "--route", "x"],
    ["invoke", "--template", SAM_CHAT, "ConnectFunction", "--event", "message"],
    ["invoke", "--template", SAM_CHAT, "ConnectFunction", "--event", "connect", "--header", "A"],
    ["invoke", "--template", SAM_CHAT, "ConnectFunction", "--event", "connect", "--query", "a"],
    ["invoke", "--template", SAM_CHAT, "ConnectFunction", "--event", "connect", "--bogus"],
    # web-export
    ["web-export"],
    ["web-export", "/etc/passwd/x"],
    ["web-export", "{tmp}/site", "--ws", "not a url"],
    # bench, and no command at all
    ["bench", "--clients", "many"],
    ["bench", "--clients", "0"],
    ["bench", "--clients", "3", "--senders", "9"],
    ["bench", "--rounds", "-1"],
    ["bench", "--pid", "42"],
    [],
    ["frobnicate"],
]


@pytest.mark.parametrize("argv", BAD_ARGUMENTS, ids=" ".join)
def test_bad_arguments_end_in_one_sentence_and_a_non_zero_exit(
    argv: list[str], tmp_path: Path
) -> None:
    template = tmp_path / "no-api.yaml"
    template.write_text(NO_WEBSOCKET_API)
    argv = [a.format(no_websocket_api=template, tmp=tmp_path) for a in argv]
    result = subprocess.run(
        [sys.executable, "-m", "serverless_chat.cli", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(cli.__file__).resolve().parents[3],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_REGION": "us-east-1"},
    )
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith(("error:", "serverless-chat")), lines[0]


def test_a_state_dir_someone_else_may_write_in_is_refused(tmp_path: Path) -> None:
    """The gateway runs the code it keeps under the state folder (``code/``, by digest) and
    serves its certificate from there: a folder others may write in (``/tmp`` itself, a
    shared one) would let them plant code the functions run, so serve refuses it in one
    line (the gateway's own rule: no AWS behaviour)."""
    assert state_dir(tmp_path / "new") is None
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp is
    problem = state_dir(shared)
    assert problem is not None
    assert problem.startswith(f"--state-dir {shared}: someone else may write in it")
    assert "\n" not in problem
    shared.chmod(0o775)  # a group's
    assert state_dir(shared) is not None
    shared.chmod(0o755)
    assert state_dir(shared) is None


def test_a_reader_that_leaves_early_is_no_traceback(tmp_path: Path) -> None:
    """`serverless-chat token … | head -c 30`"""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    command = f"{sys.executable} -m serverless_chat.cli token --name ana | head -c 30"
    for _ in range(5):
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
            cwd=Path(cli.__file__).resolve().parents[3],
        )
        assert len(result.stdout) == 30
        assert result.stderr == ""


def _options() -> list[tuple[str, argparse.Action]]:
    parser = cli.parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for name, command in subparsers.choices.items():
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction):
                found.append((name, action))
    return found


@pytest.mark.parametrize(
    ("command", "action"),
    _options(),
    ids=[f"{c} {a.dest}" for c, a in _options()],
)
def test_every_option_has_help_and_says_its_default(command: str, action: argparse.Action) -> None:
    """Flags (off unless given), required and repeatable options aside, the help says what
    happens without the option."""
    assert action.help, f"{command} {action.option_strings or action.dest} has no help"
    help_text = HelpFormatter(prog="x")._get_help_string(action) or ""
    flag = action.nargs == 0
    repeatable = isinstance(action, argparse._AppendAction) and action.default == []
    if action.option_strings and not (flag or action.required or repeatable):
        assert "default" in help_text, f"{command} {action.option_strings}: {help_text}"


@pytest.mark.parametrize(
    "argv",
    [[], ["serve"], ["connect"], ["deploy"], ["template"], ["token"], ["web-export"]],
)
def test_help_has_no_restructuredtext_markup(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "serverless_chat.cli", *argv, "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    assert not re.search(r"``|`[^`]+`|:\w+:`", result.stdout), result.stdout


def test_bench_passes_its_options_to_the_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, bool, int]] = []

    def run(options: argparse.Namespace) -> int:
        seen.append((options.clients, options.compress, options.rounds))
        return 0

    monkeypatch.setattr(bench, "run", run)
    assert cli.main(["bench", "--clients", "10", "--compress", "--rounds", "1"]) == 0
    assert seen == [(10, True, 1)]


def test_another_command_refuses_an_unknown_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["template", "--bogus"]) == 2
    assert capsys.readouterr().err == (
        "serverless-chat template: error: unrecognized arguments: --bogus"
        " (see serverless-chat template --help)\n"
    )


def test_log_function_keeps_one_functions_invocation_lines() -> None:
    import logging

    keep = OneFunction({"serverless-chat-join"})

    def record(msg: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("local_gateway.lambda", logging.INFO, "", 0, msg, args, None)

    start = "START RequestId: %s Version: $LATEST Function: %s"
    report = "REPORT RequestId: %s Function: %s Duration: %.2f ms"
    lines = [
        record(start, "r1", "serverless-chat-join"),
        record(start, "r2", "serverless-chat-who"),
        record("END RequestId: %s", "r2"),
        record("END RequestId: %s", "r1"),
        record(report, "r2", "serverless-chat-who", 1.0),
        record(report, "r1", "serverless-chat-join", 1.0),
        record("[%s] %s", "serverless-chat-who", "a print"),
        record("[%s] %s", "serverless-chat-join", "its print"),
        record("not an invocation line"),
    ]
    kept = [r.getMessage().split(" ", 2)[:2] for r in lines if keep.filter(r)]
    assert kept == [
        ["START", "RequestId:"],
        ["END", "RequestId:"],
        ["REPORT", "RequestId:"],
        ["[serverless-chat-join]", "its"],
        ["not", "an"],
    ]


def test_an_authorizers_ordinary_refusal_logs_no_traceback() -> None:
    import logging

    def failed(error: BaseException) -> logging.LogRecord:
        return logging.LogRecord(
            "local_gateway.lambda",
            logging.ERROR,
            "",
            0,
            "%s %s failed",
            ("r1", "serverless-chat-authorize"),
            (type(error), error, None),
        )

    keep = OrdinaryRefusals()
    assert not keep.filter(failed(Exception("Unauthorized")))  # the 401 line says it
    assert keep.filter(failed(Exception("boom")))
    assert keep.filter(failed(KeyError("Unauthorized")))


def test_a_malformed_request_is_one_log_line_not_a_traceback() -> None:
    """A NUL in a header: aiohttp answers 400 and logs "Error handling request" with its
    traceback; the gateway's log says what was wrong in one line."""
    import logging

    from aiohttp.http_exceptions import BadHttpMessage

    from serverless_chat.cli.serve import MalformedRequests

    try:
        raise BadHttpMessage("Invalid header value char:\n\n  b'X-Custom: \\x00x'")
    except BadHttpMessage:
        import sys as _sys

        record = logging.LogRecord(
            "aiohttp.server",
            logging.ERROR,
            __file__,
            1,
            "Error handling request from %s",
            ("127.0.0.1",),
            _sys.exc_info(),
        )
    assert MalformedRequests().filter(record)
    assert record.exc_info is None
    assert record.getMessage() == (
        "malformed request refused with 400: Invalid header value char: b'X-Custom: \\x00x'"
    )


def _printed_event(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert cli.main(["invoke", "--template", SAM_CHAT, *argv, "--print-event"]) == 0
    event: dict[str, Any] = json.loads(capsys.readouterr().out)
    return event


def test_invoke_prints_a_connect_event_in_api_gateways_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """CONNECT: the handshake's headers with those API Gateway adds, and the query string
    ("Use $connect and $disconnect routes", API Gateway developer guide; the captures in
    tests/fixtures/events)."""
    event = _printed_event(
        capsys,
        "ConnectFunction",
        "--event",
        "connect",
        "--query",
        "name=ana",
        "--header",
        "User-Agent: test",
    )
    assert event["requestContext"]["eventType"] == "CONNECT"
    assert event["requestContext"]["routeKey"] == "$connect"
    assert event["queryStringParameters"] == {"name": "ana"}
    assert event["multiValueQueryStringParameters"] == {"name": ["ana"]}
    assert event["headers"]["User-Agent"] == "test"
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert {"X-Amzn-Trace-Id", "X-Forwarded-Port", "X-Forwarded-Proto"} <= set(event["headers"])


def test_invoke_prints_a_message_event_for_the_functions_route(
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = _printed_event(capsys, "SendFunction", "--event", "message", "--body", '{"a": 1}')
    assert event["body"] == '{"a": 1}'
    assert event["requestContext"]["routeKey"] == "sendmessage"  # the route it serves
    assert event["requestContext"]["messageId"]
    assert "headers" not in event  # a MESSAGE has none


def test_invoke_prints_disconnect_and_authorizer_events(
    capsys: pytest.CaptureFixture[str],
) -> None:
    disconnect = _printed_event(capsys, "DisconnectFunction", "--event", "disconnect")
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1005
    assert disconnect["requestContext"]["disconnectReason"] == (
        "Client-side close frame status not set"
    )
    authorizer = _printed_event(capsys, "ConnectFunction", "--event", "authorizer")
    assert authorizer["type"] == "REQUEST"
    assert authorizer["methodArn"].endswith("/prod/$connect")
