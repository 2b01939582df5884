"""join, setName, history, who and rooms through their Lambda entry modules."""

import json

from serverless_chat.chat.model import open_connection
from serverless_chat.handlers import history, join, set_name, who
from serverless_chat.handlers.dependencies import Dependencies
from tests.conftest import EventFactory
from tests.fakes import FakeConnections, MemoryConnectionStore


def _ready(store: MemoryConnectionStore, connections: FakeConnections) -> None:
    store.put(open_connection("a", 0, name="ana", format="json"))
    store.claim_name("general", "ana", "a", 0)
    connections.open.add("a")


def test_each_request_handler_answers_its_action(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    _ready(store, connections)
    cases = [
        (join, "join", {"room": "dev"}, "welcome"),
        (set_name, "setName", {"name": "anita"}, "welcome"),
        (history, "history", {"limit": 5}, "history"),
        (who, "who", {}, "who"),
        (who, "rooms", {}, "rooms"),
    ]
    for module, action, fields, frame_type in cases:
        connections.posts.clear()
        body = json.dumps({"action": action, **fields})
        result = module.build_handler(deps)(make_event("a", action, body), None)
        assert result["statusCode"] == 200, action
        assert json.loads(connections.received("a")[0])["type"] == frame_type


def test_a_refused_request_is_400_with_one_error_frame(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    _ready(store, connections)
    result = join.build_handler(deps)(make_event("a", "join", '{"room": 7}'), None)
    assert result["statusCode"] == 400
    (frame,) = connections.received("a")
    assert json.loads(frame)["code"] == "INVALID_FIELD"
