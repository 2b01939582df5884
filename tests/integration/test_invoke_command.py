"""serverless-chat invoke: one function run once, in its own container, on the gateway's
event; the result on stdout, Lambda's log lines on stderr; a function error is Lambda's
error body and exit status 1."""

from __future__ import annotations

import json

import pytest

from serverless_chat import cli
from tests.conftest import FIXTURES

SAM_CHAT = str(FIXTURES / "sam_chat" / "template.yaml")


def test_invoke_runs_the_function_and_prints_its_result_and_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = cli.main(
        [
            "invoke",
            "--template",
            SAM_CHAT,
            "ConnectFunction",
            "--event",
            "connect",
            "--query",
            "name=ana",
        ]
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    assert json.loads(out) == {"statusCode": 200}
    assert "START RequestId: " in err
    assert "REPORT RequestId: " in err
    assert "Function: serverless-chat-ConnectFunction" in err
    assert "Function: serverless-chat-WelcomeFunction" in err  # what it invoked, to its end
    # Each line once: the gateway's logger and its Lambda logger share one handler.
    lines = [line for line in err.splitlines() if line.startswith(("START", "END", "REPORT"))]
    assert len(lines) == len(set(lines)) == 6, err


def test_a_function_error_is_lambdas_error_body_and_status_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = cli.main(
        ["invoke", "--template", SAM_CHAT, "SendFunction", "--event", "message", "--body", "x"]
    )
    out, _ = capsys.readouterr()
    assert status == 1
    error = json.loads(out)
    assert error["errorType"] == "JSONDecodeError"
    assert any("send/app.py" in line for line in error["stackTrace"])
