"""The pytest plugin (local_gateway/testing), on the SAM and CDK projects of tests/fixtures:
the websocket_api fixture and its factory, recorded frames, events and logs, signed boto3
clients, invoke, reset, function errors in the report, nothing left running."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from local_gateway.testing import FunctionError, HarnessError, WebSocketApi
from tests.conftest import FIXTURES, ROOT

SAM_CHAT = FIXTURES / "sam_chat" / "template.yaml"
CDK_CHAT = FIXTURES / "cdk_chat" / "cdk.out" / "ChatStack.template.json"


@pytest.mark.websocket_api(SAM_CHAT)
def test_a_plain_test_talks_through_recording_clients(websocket_api: WebSocketApi) -> None:
    ana = websocket_api.connect({"name": "ana"})
    bob = websocket_api.connect("name=bob")
    assert ana.recv(30) == "Welcome aboard, ana (from 127.0.0.1)"
    assert bob.recv(30) == "Welcome aboard, bob (from 127.0.0.1)"
    ana.send({"action": "sendmessage", "message": "Hello AWS"})
    assert bob.recv(30) == "ana: Hello AWS"
    assert ana.sent == ['{"action": "sendmessage", "message": "Hello AWS"}']
    assert [f.direction for f in bob.frames] == ["received", "received"]
    connects = websocket_api.events("ConnectFunction")
    assert [e["queryStringParameters"]["name"] for e in connects] == ["ana", "bob"]
    assert connects[0]["requestContext"]["eventType"] == "CONNECT"
    (message,) = websocket_api.events("SendFunction")
    assert json.loads(message["body"])["message"] == "Hello AWS"
    websocket_api.answered("SendFunction")
    logs = websocket_api.logs("SendFunction")
    assert logs[0].startswith("START RequestId: ")
    assert any(line.startswith("REPORT RequestId: ") for line in logs)


@pytest.mark.websocket_api(SAM_CHAT)
async def test_an_asyncio_test_uses_the_same_gateway(websocket_api: WebSocketApi) -> None:
    async with await websocket_api.connect_async({"name": "cy"}) as cy:
        assert await cy.recv(30) == "Welcome aboard, cy (from 127.0.0.1)"
        assert cy.received == ["Welcome aboard, cy (from 127.0.0.1)"]
    rows = websocket_api.dynamodb_client().scan(TableName=_table(websocket_api))["Items"]
    assert [row["name"]["S"] for row in rows] in ([], ["cy"])  # $disconnect may still run


@pytest.mark.websocket_api(SAM_CHAT)
def test_reset_closes_clients_and_empties_tables_without_a_restart(
    websocket_api: WebSocketApi,
) -> None:
    client = websocket_api.connect({"name": "dee"})
    assert client.recv(30).startswith("Welcome aboard, dee")
    table = _table(websocket_api)
    dynamodb = websocket_api.dynamodb_client()
    dynamodb.put_item(TableName=table, Item={"connectionId": {"S": "stale"}})
    url = websocket_api.url
    websocket_api.reset()
    assert websocket_api.url == url
    assert client.close_code is not None
    assert dynamodb.scan(TableName=table)["Items"] == []
    assert websocket_api.events("ConnectFunction") == []
    assert websocket_api.logs() == []


@pytest.mark.websocket_api(SAM_CHAT)
def test_the_management_client_is_signed_and_answers_as_aws(websocket_api: WebSocketApi) -> None:
    client = websocket_api.connect({"name": "eve"})
    client.recv(30)
    (connect,) = websocket_api.events("ConnectFunction")
    connection_id = connect["requestContext"]["connectionId"]
    management = websocket_api.management_client()
    management.post_to_connection(ConnectionId=connection_id, Data=b"from the test")
    assert client.recv() == "from the test"
    client.close()
    with pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(ConnectionId=connection_id, Data=b"gone")


@pytest.mark.websocket_api(SAM_CHAT)
def test_invoke_runs_a_function_once_and_raises_its_error(websocket_api: WebSocketApi) -> None:
    event = {"requestContext": {"connectionId": "x", "domainName": "d", "stage": "prod"}}
    with pytest.raises(FunctionError) as raised:
        websocket_api.invoke("SendFunction", event)  # no body: the handler's KeyError
    assert "KeyError" in str(raised.value)
    assert "app.py" in str(raised.value)  # the function's own traceback
    assert websocket_api.events("SendFunction") == [event]


def test_the_factory_serves_several_templates(websocket_api_factory: object) -> None:
    assert callable(websocket_api_factory)
    sam = websocket_api_factory(SAM_CHAT)
    cdk = websocket_api_factory(CDK_CHAT, stack_name="ChatStack")
    assert sam.url != cdk.url
    assert sam is websocket_api_factory(SAM_CHAT)  # one gateway a template a session


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ((Path("no/such/template.yaml"),), "no such file"),
        ((SAM_CHAT,), "unknown gateway setting(s) colour"),
    ],
)
def test_bad_requests_are_said(
    websocket_api_factory: object, arguments: tuple[Path], error: str
) -> None:
    assert callable(websocket_api_factory)
    settings = {"colour": "red"} if "colour" in error else {}
    with pytest.raises(HarnessError, match=error.replace("(", r"\(").replace(")", r"\)")):
        websocket_api_factory(*arguments, **settings)


def test_invoking_an_unknown_function_names_the_known_ones(websocket_api_factory: object) -> None:
    assert callable(websocket_api_factory)
    api = websocket_api_factory(SAM_CHAT)
    with pytest.raises(HarnessError, match=r"no function 'Nope'.*ConnectFunction"):
        api.invoke("Nope", {})


def _table(api: WebSocketApi) -> str:
    names = api.dynamodb_client().list_tables()["TableNames"]
    assert len(names) == 1
    return str(names[0])


# -- a session of its own: what a user's suite sees ------------------------------------------
INNER = """
import json, os
import pytest

@pytest.mark.websocket_api(parameters={{}})
def test_a_function_error_fails_the_test_with_its_traceback(websocket_api):
    client = websocket_api.connect({{"name": "ana"}})
    client.recv(30)
    client.send({{"action": "sendmessage"}})  # no "message": SendFunction's KeyError
    client.receives_nothing(1.0)

@pytest.mark.websocket_api
def test_an_expected_error_does_not(websocket_api):
    websocket_api.expect_function_errors()
    client = websocket_api.connect({{"name": "ana"}})
    client.recv(30)
    client.send({{"action": "sendmessage"}})
    assert json.loads(client.recv(30))["message"] == "Internal server error"

def test_record_what_runs(websocket_api, websocket_api_pool):
    gateway = websocket_api.gateway
    with open({record!r}, "w") as out:
        port = int(websocket_api.url.split(":")[2].split("/")[0])
        json.dump({{"ports": [gateway.config.host, port]}}, out)

def test_no_template_is_said(websocket_api_factory, pytestconfig):
    pytestconfig._inicache["websocket_api_template"] = ""
    websocket_api_factory()
"""


def test_a_users_session_reports_function_errors_and_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    record = tmp_path / "record.json"
    (tmp_path / "test_user.py").write_text(textwrap.dedent(INNER.format(record=str(record))))
    (tmp_path / "pytest.ini").write_text(
        f"[pytest]\nwebsocket_api_template = {SAM_CHAT}\nasyncio_mode = auto\n"
    )
    plugin = [] if _installed() else ["-p", "local_gateway.testing.plugin"]
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**_environment(), "PYTHONPATH": str(ROOT / "src")},
    )
    out = finished.stdout
    assert "2 failed, 2 passed" in out, out + finished.stderr
    assert "SendFunction failed" in out
    assert "KeyError: 'message'" in out
    assert "send/app.py" in out  # the function's own traceback
    assert "websocket_api: no template" in out
    host, port = json.loads(record.read_text())["ports"]
    import socket

    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, port), 2):
        pass  # the gateway no longer listens: the session stopped it
    leftovers = subprocess.run(
        ["pgrep", "-f", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert leftovers.stdout == ""


def _installed() -> bool:
    from importlib.metadata import entry_points

    return any(ep.value == "local_gateway.testing.plugin" for ep in entry_points(group="pytest11"))


def _environment() -> dict[str, str]:
    import os

    return dict(os.environ)
