"""A template with two WebSocket APIs (tests/fixtures/two_apis: a chat API and an admin API
over one table) is served whole: each API on its own URL with its own ids in the events, its
own callback endpoint, its connections its own.

AWS: each API has its own host, ``{api-id}.execute-api.{region}.amazonaws.com``, where its
stages and its callback API live ("Use @connections commands in your backend service", API
Gateway Developer Guide,
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html).
A post to a connection the API does not have is 410 GoneException ("How do I troubleshoot
410 GoneException errors in API Gateway WebSocket APIs?", the connection does not exist or
its id is not valid, https://repost.aws/knowledge-center/410-gone-api-gateway); a caller
whose role does not allow execute-api:ManageConnections on the API's ARN is refused with 403
("Control access to WebSocket APIs with IAM authorization",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from local_gateway import CannotListen, GatewayConfig, LocalGateway
from local_gateway.testing import Client, HarnessError, WebSocketApi
from tests.conftest import FIXTURES, ROOT

TWO_APIS = FIXTURES / "two_apis" / "template.yaml"
CHAT, ADMIN = "ChatApi", "ChatAdminApi"

pytestmark = pytest.mark.websocket_api(TWO_APIS)


def _joined(api: WebSocketApi, client_of: str, function: str) -> tuple[Client, str]:
    """A client of ``client_of`` and its connection id (from its $connect's event)."""
    before = len(api.events(function))
    client = api.connect(api=client_of)
    (recorded,) = api.answered(function, before + 1)[before:]
    return client, recorded.event["requestContext"]["connectionId"]


def test_each_api_has_its_own_url_and_its_own_ids_in_the_events(
    websocket_api: WebSocketApi,
) -> None:
    """Each API on a port of its own (the same stage path), as each has a host of its own;
    its functions see its apiId and domainName."""
    chat_url, admin_url = websocket_api.urls[CHAT], websocket_api.urls[ADMIN]
    assert websocket_api.url == chat_url  # the first API stays where single-API users look
    assert urlsplit(chat_url).path == urlsplit(admin_url).path == "/production"
    assert urlsplit(chat_url).port != urlsplit(admin_url).port
    assert websocket_api.callback_urls[CHAT] != websocket_api.callback_urls[ADMIN]
    _joined(websocket_api, CHAT, "ChatConnectFunction")
    _joined(websocket_api, "chat-admin", "AdminConnectFunction")  # by its Name as well
    chat_ctx = websocket_api.events("ChatConnectFunction")[0]["requestContext"]
    admin_ctx = websocket_api.events("AdminConnectFunction")[0]["requestContext"]
    assert chat_ctx["apiId"] != admin_ctx["apiId"]
    assert chat_ctx["domainName"] == f"{chat_ctx['apiId']}.execute-api.us-east-1.amazonaws.com"
    assert admin_ctx["domainName"] == f"{admin_ctx['apiId']}.execute-api.us-east-1.amazonaws.com"


def test_a_message_reaches_the_members_of_its_own_api_only(websocket_api: WebSocketApi) -> None:
    ana, _ = _joined(websocket_api, CHAT, "ChatConnectFunction")
    bob, _ = _joined(websocket_api, CHAT, "ChatConnectFunction")
    admin, _ = _joined(websocket_api, ADMIN, "AdminConnectFunction")
    ana.send({"action": "sendMessage", "text": "hello"})
    assert bob.recv() == "hello"
    assert admin.receives_nothing()
    # a route of the chat API is no route of the admin API: no $default there, Forbidden
    admin.send({"action": "sendMessage", "text": "hello"})
    assert admin.recv_json()["message"] == "Forbidden"


def test_the_admin_api_reaches_chat_members_through_the_chat_api_endpoint(
    websocket_api: WebSocketApi,
) -> None:
    """One API's function may call another API's callback endpoint when its role allows."""
    ana, _ = _joined(websocket_api, CHAT, "ChatConnectFunction")
    bob, _ = _joined(websocket_api, CHAT, "ChatConnectFunction")
    admin, _ = _joined(websocket_api, ADMIN, "AdminConnectFunction")
    admin.send({"action": "announce", "text": "maintenance at noon"})
    assert admin.recv() == "announced to 2"
    assert ana.recv() == bob.recv() == "announcement: maintenance at noon"


def test_a_connection_of_one_api_is_gone_through_the_other_api_endpoint(
    websocket_api: WebSocketApi,
) -> None:
    """From a function: through its own API's endpoint another API's connection is 410
    GoneException; through the other API's endpoint its role (ChatApi only) gets 403."""
    ana, _ = _joined(websocket_api, CHAT, "ChatConnectFunction")
    bob, bob_id = _joined(websocket_api, CHAT, "ChatConnectFunction")
    admin, admin_id = _joined(websocket_api, ADMIN, "AdminConnectFunction")
    ana.send({"action": "probe", "via": "chat", "to": admin_id})
    assert ana.recv_json() == {"status": 410, "code": "GoneException"}
    ana.send({"action": "probe", "via": "admin", "to": admin_id})
    assert ana.recv_json() == {"status": 403, "code": "AccessDeniedException"}
    ana.send({"action": "probe", "via": "chat", "to": bob_id})
    assert ana.recv_json() == {"status": 200, "code": "delivered"}
    assert bob.recv() == "probe"
    assert admin.receives_nothing()


def test_each_management_client_reaches_its_own_api_connections(
    websocket_api: WebSocketApi,
) -> None:
    _, chat_id = _joined(websocket_api, CHAT, "ChatConnectFunction")
    admin, admin_id = _joined(websocket_api, ADMIN, "AdminConnectFunction")
    admin_api = websocket_api.management_client(api=ADMIN)
    assert "ConnectedAt" in admin_api.get_connection(ConnectionId=admin_id)
    admin_api.post_to_connection(ConnectionId=admin_id, Data=b"to the admin")
    assert admin.recv() == "to the admin"
    for client, connection_id in (
        (admin_api, chat_id),
        (websocket_api.management_client(), admin_id),  # the first API's: the chat's
    ):
        with pytest.raises(ClientError) as caught:
            client.post_to_connection(ConnectionId=connection_id, Data=b"x")
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
        assert caught.value.response["Error"]["Code"] == "GoneException"


def test_an_api_not_in_the_template_is_named_with_those_that_are(
    websocket_api: WebSocketApi,
) -> None:
    with pytest.raises(HarnessError, match=r"no WebSocket API 'Nope'.*ChatApi, ChatAdminApi"):
        websocket_api.connect(api="Nope")


def test_serve_lists_every_api_at_start(tmp_path: Path) -> None:
    """``serve`` names each API with its URL, callback API and routes; the first line is the
    first API's, where scripts read the URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "serverless_chat.cli",
            "serve",
            "--template",
            str(TWO_APIS),
            "--port",
            "0",
            "--state-dir",
            str(tmp_path / "state"),
            "--quiet",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("  announce"):  # the admin API's last
            line = process.stdout.readline()
            assert line, f"serve ended: {process.stderr.read() if process.stderr else ''}"
            lines.append(line.rstrip("\n"))
    finally:
        process.terminate()
        process.communicate(timeout=60)
    text = "\n".join(lines)
    assert lines[0].startswith("serverless-chat: chat (stage production) on ws://127.0.0.1:")
    assert "serverless-chat: chat-admin (stage production) on ws://127.0.0.1:" in text
    assert text.count("callback API: http://127.0.0.1:") == 2
    assert text.index("  sendMessage") < text.index("chat-admin") < text.index("  announce")


async def test_a_further_api_past_the_last_port_is_refused_in_one_line(tmp_path: Path) -> None:
    """With --port 65535 the second API would need 65536: the start is refused, saying so."""
    gateway = LocalGateway(
        GatewayConfig(template=TWO_APIS, port=65535, state_dir=tmp_path / "state")
    )
    with pytest.raises(CannotListen) as caught:
        await gateway.start()
    assert str(caught.value) == (
        "cannot listen on 127.0.0.1:65536: beyond the last port, 65535 (API ChatAdminApi)"
    )
