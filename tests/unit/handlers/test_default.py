import json

from serverless_chat.chat.model import open_connection
from serverless_chat.chat.service import ChatSettings
from serverless_chat.chat.usage import USAGE_PREFIX
from serverless_chat.handlers.default import build_handler
from serverless_chat.handlers.dependencies import Dependencies
from serverless_chat.handlers.send_message import build_handler as send_message_handler
from tests.conftest import EventFactory
from tests.fakes import FakeConnections, MemoryConnectionStore


def _connected(store: MemoryConnectionStore, connections: FakeConnections, cid: str) -> None:
    store.put(open_connection(cid, 0, name="ana", format="json"))
    connections.open.add(cid)


def test_default_replies_with_usage_and_connection_info(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    _connected(store, connections, "a")
    result = build_handler(deps)(make_event("a", "$default", "whatever"), None)
    assert result["statusCode"] == 200
    (reply,) = connections.received("a")
    text = reply.decode()
    assert text.startswith(USAGE_PREFIX)
    info = json.loads(text[len(USAGE_PREFIX) :])
    assert info["connectionID"] == "a"
    assert info["Identity"]["SourceIp"] == "192.0.2.1"
    assert set(info) == {"ConnectedAt", "Identity", "LastActiveAt", "connectionID"}


def test_default_takes_a_token_from_the_same_bucket_as_every_route(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    """One connection drove 331,200 $default replies in 2.3 s: each a Lambda, a GetConnection
    and a PostToConnection on AWS, none of them limited."""
    deps.settings = ChatSettings(rate_per_second=1, burst=2)
    _connected(store, connections, "a")
    default = build_handler(deps)
    statuses = [default(make_event("a", "$default", "not json"), None)["statusCode"] for _ in "123"]
    assert statuses == [200, 200, 400]
    usage, _, refused = connections.received("a")
    assert usage.startswith(USAGE_PREFIX.encode())
    error = json.loads(refused)
    assert (error["code"], error["action"]) == ("RATE_LIMITED", "$default")
    body = json.dumps({"action": "sendMessage", "message": "hi"})
    sent = send_message_handler(deps)(make_event("a", "sendMessage", body), None)
    assert sent["statusCode"] == 400  # the bucket is the connection's, whatever the route


def test_default_for_a_caller_without_a_row_is_told_to_reconnect(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    connections.open.add("a")
    result = build_handler(deps)(make_event("a", "$default", "x"), None)
    assert result["statusCode"] == 400
    (error,) = connections.received("a")
    assert json.loads(error)["code"] == "NOT_CONNECTED"


def test_default_for_a_vanished_caller_posts_nothing(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    store.put(open_connection("ghost", 0, name="gus"))  # its row, but no connection
    build_handler(deps)(make_event("ghost", "$default", "x"), None)
    assert connections.posts == []
