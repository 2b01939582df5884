import json

from serverless_chat.chat.replies import USAGE_PREFIX
from serverless_chat.handlers.default import build_handler
from serverless_chat.handlers.dependencies import Dependencies
from tests.conftest import EventFactory
from tests.fakes import FakeConnections


def test_default_replies_with_usage_and_connection_info(
    deps: Dependencies, connections: FakeConnections, make_event: EventFactory
) -> None:
    connections.open.add("a")
    result = build_handler(deps)(make_event("a", "$default", "whatever"), None)
    assert result["statusCode"] == 200
    (reply,) = connections.received("a")
    text = reply.decode()
    assert text.startswith(USAGE_PREFIX)
    info = json.loads(text[len(USAGE_PREFIX) :])
    assert info["connectionID"] == "a"
    assert info["Identity"]["SourceIp"] == "192.0.2.1"
    assert set(info) == {"ConnectedAt", "Identity", "LastActiveAt", "connectionID"}


def test_default_for_a_vanished_caller_posts_nothing(
    deps: Dependencies, connections: FakeConnections, make_event: EventFactory
) -> None:
    result = build_handler(deps)(make_event("ghost", "$default", "x"), None)
    assert result["statusCode"] == 410
    assert connections.posts == []
