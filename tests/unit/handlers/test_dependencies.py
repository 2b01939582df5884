import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from serverless_chat.deploy.package import runtime_files
from serverless_chat.handlers.dependencies import (
    DEFAULT_FANOUT_CONCURRENCY,
    Dependencies,
    aws_dependencies,
    fanout_concurrency,
    lambda_entry,
)
from serverless_chat.handlers.event_view import WebSocketEvent
from serverless_chat.routes import ENTRY_MODULES
from tests.conftest import ROOT, load_event


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_entry_modules_load_only_stdlib_and_boto3_in_a_fresh_interpreter() -> None:
    code = (
        "import sys, json\n"
        + "".join(f"import {m}\n" for m in ENTRY_MODULES)
        + "print(json.dumps(sorted(sys.modules)))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
    )
    tops = {name.split(".")[0] for name in loaded}
    assert not tops & {"aiohttp", "websockets", "yaml", "rich", "moto", "cfnlint"}
    dev_time = [
        m
        for m in loaded
        if m.startswith(("local_gateway", "serverless_chat.client", "serverless_chat.cli"))
    ]
    assert dev_time == []


def test_the_authorizer_builds_no_client_nor_pool_of_the_chats() -> None:
    """Its environment has no tables: an invocation (a refused token, AuthMode jwks) loads
    neither boto3 nor a DynamoDB client, and starts no thread."""
    code = (
        "import os, sys, threading\n"
        "os.environ.update(AUTH_MODE='jwks', JWKS_URL='http://127.0.0.1:9/keys',"
        " JWT_AUDIENCE='chat')\n"
        "import serverless_chat.handlers.authorize as a\n"
        "try:\n"
        "    a.handler({'queryStringParameters': {'token': 'x'}, 'methodArn': 'arn'}, None)\n"
        "except Exception as error:\n"
        "    assert str(error) == 'Unauthorized', error\n"
        "print('loaded', sorted(m for m in sys.modules if m.split('.')[0] in ('boto3',"
        " 'botocore')), threading.active_count())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # (its JSON log and metrics lines come first)
    assert done.stdout.splitlines()[-1] == "loaded [] 1"


def test_runtime_source_imports_only_stdlib_boto3_and_runtime_modules() -> None:
    files = runtime_files()
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore"}
    shipped_beside = {"authorize.py": {"jwt"}}  # PyJWT goes into the package with it
    # (the gateway, not a serverless_chat module, fails the allow-list below)
    forbidden_internal = ("serverless_chat.client", "serverless_chat.cli")
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.startswith("serverless_chat"):
                    assert not name.startswith(forbidden_internal), f"{path}: imports {name}"
                else:
                    extra = shipped_beside.get(path.name, set())
                    assert name.split(".")[0] in allowed | extra, f"{path}: imports {name}"


def test_lambda_entry_builds_dependencies_once_per_container(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builds: list[Dependencies] = []

    def build(deps: Dependencies) -> Any:
        builds.append(deps)
        return lambda event, context: {"statusCode": 200, "body": str(len(builds))}

    monkeypatch.setenv("CONNECTIONS_TABLE", "connections")
    handler = lambda_entry(build)
    assert builds == []  # importing builds nothing: the cold start stays cheap
    assert handler({}, None)["body"] == "1"
    assert handler({}, None)["body"] == "1"
    assert len(builds) == 1


def test_aws_dependencies_use_the_table_and_one_client_per_endpoint() -> None:
    deps = aws_dependencies(
        {
            "CONNECTIONS_TABLE": "chat-connections",
            "MESSAGES_TABLE": "chat-messages",
            "MAX_MESSAGE_LENGTH": "100",
        }
    )
    assert deps.store.table_name == "chat-connections"  # type: ignore[attr-defined]
    assert deps.messages.table_name == "chat-messages"  # type: ignore[attr-defined]
    assert deps.settings.max_text_length == 100
    event = WebSocketEvent(load_event("aws-lambda-go/apigw-websocket-request-send-message"))
    first = deps.connections_for(event)
    assert deps.connections_for(event) is first
    assert first._base == "https://dl7ptocha9.execute-api.ap-northeast-1.amazonaws.com"  # type: ignore[attr-defined]
    assert first._prefix == "/prod"  # type: ignore[attr-defined]


def test_callback_url_override() -> None:
    deps = aws_dependencies({"CONNECTIONS_TABLE": "t", "CALLBACK_URL": "http://127.0.0.1:9/p"})
    adapter = deps.connections_for(
        WebSocketEvent(load_event("powertools/apiGatewayWebSocketApiMessage"))
    )
    assert adapter._base == "http://127.0.0.1:9"  # type: ignore[attr-defined]
    assert adapter._prefix == "/p"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("8", 8), ("0", 1), ("junk", DEFAULT_FANOUT_CONCURRENCY), (None, DEFAULT_FANOUT_CONCURRENCY)],
)
def test_fanout_concurrency(value: str | None, expected: int) -> None:
    env = {} if value is None else {"FANOUT_CONCURRENCY": value}
    assert fanout_concurrency(env) == expected


def test_every_template_handler_is_an_entry_module() -> None:
    text = (ROOT / "infra" / "template.yaml").read_text()
    handlers = {line.split(":", 1)[1].strip() for line in text.splitlines() if "Handler: " in line}
    assert handlers == {f"{m}.handler" for m in ENTRY_MODULES}
    assert Path(ROOT / "src").is_dir()
