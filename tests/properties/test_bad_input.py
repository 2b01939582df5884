"""Property tests: arbitrary bodies and handshakes never crash a handler or route selection;
a refused request is one error frame to its sender, with nothing stored or broadcast."""

from __future__ import annotations

import importlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_gateway.apigateway.routing import RouteSelector, select_route
from serverless_chat.chat.model import open_connection
from serverless_chat.chat.service import Chat, ChatSettings
from serverless_chat.handlers.dependencies import Dependencies
from serverless_chat.routes import ACTIONS, ENTRY_MODULE_BY_ROUTE
from tests.conftest import CHAT_ROUTES, load_event
from tests.fakes import FakeConnections, MemoryConnectionStore, MemoryMessageStore

SETTINGS = ChatSettings(rate_per_second=1000, burst=1000)
ROUTES = set(CHAT_ROUTES)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
field_values = (
    json_values
    | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=50)
    | st.just("x" * 5000)
    | st.just("\x00\u202e\ufeff")
    # lone surrogates: valid JSON ("\ud800"), never UTF-8, so nothing can render or store them
    | st.text(alphabet=st.characters(categories=("Cs", "Ll")), min_size=1, max_size=8)
    | st.sampled_from(["\ud800", "ana\udfff", "1707502303419#\udc00"])
    | st.sampled_from(["ana", "general", ""])
)
requests = st.fixed_dictionaries(
    {},
    optional={
        "action": st.sampled_from(sorted(ROUTES)) | st.text(max_size=10),
        "message": field_values,
        "to": field_values,
        "room": field_values,
        "name": field_values,
        "limit": field_values,
        "before": field_values,
        "ref": field_values,
    },
).map(json.dumps)
bodies = (
    requests
    | st.text()
    | st.binary().map(lambda b: b.decode("utf-8", "replace"))
    | json_values.map(json.dumps)
    | st.just("[" * 5000 + "]" * 5000)
    | st.just("{" * 3000)
)


def _world() -> tuple[Chat, MemoryConnectionStore, MemoryMessageStore, FakeConnections]:
    store, messages, connections = MemoryConnectionStore(), MemoryMessageStore(), FakeConnections()
    for cid, name, room in (("s", "sam", "general"), ("o", "olga", "general"), ("d", "dan", "dev")):
        store.put(open_connection(cid, 0, room=room, name=name, format="json"))
        store.claim_name(room, name, cid, 0)
        connections.open.add(cid)
    chat = Chat(store, messages, connections, SETTINGS)
    return chat, store, messages, connections


def _request(
    action: str,
    body: str | None,
    store: MemoryConnectionStore,
    messages: MemoryMessageStore,
    connections: FakeConnections,
) -> int:
    """The status the action's own entry module answers ``body`` from "s" with."""
    module = importlib.import_module(ENTRY_MODULE_BY_ROUTE[action])
    handler = module.build_handler(
        Dependencies(store, messages, lambda _event: connections, SETTINGS)
    )
    event = load_event("powertools/apiGatewayWebSocketApiMessage")
    event["requestContext"].update(connectionId="s", routeKey=action)
    event["body"] = body
    status: int = handler(event, None)["statusCode"]
    return status


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(action=st.sampled_from(sorted(ACTIONS)), body=bodies | st.none())
def test_any_body_to_any_action_is_answered_never_raised(action: str, body: str | None) -> None:
    _, store, messages, connections = _world()
    before = dict(store.rows)
    status = _request(action, body, store, messages, connections)
    sender_frames = [json.loads(d) for d in connections.received("s")]
    others = (
        connections.posts[len(sender_frames) :]
        if False
        else [p for p in connections.posts if p[0] != "s"]
    )
    if status != 200:
        assert status == 400
        assert len(sender_frames) == 1
        assert sender_frames[0]["type"] == "error"
        assert sender_frames[0]["code"]
        assert others == []
        assert messages.messages == []
        assert store.rows == before
    else:
        assert all(frame["type"] != "error" for frame in sender_frames)
    for message in messages.messages:  # whatever was kept can be stored as UTF-8
        message.text.encode()


@settings(max_examples=300, deadline=None)
@given(body=bodies | st.none())
def test_route_selection_never_raises(body: Any) -> None:
    route = select_route(body, RouteSelector("$request.body.action"), ROUTES)
    assert route is None or route in ROUTES
    assert route not in {"$connect", "$disconnect"}


@settings(max_examples=200, deadline=None)
@given(
    query=st.dictionaries(
        st.sampled_from(["room", "name", "format", "token", "x"]), field_values.map(str), max_size=4
    )
)
def test_any_handshake_query_is_accepted_or_refused_cleanly(query: dict[str, str]) -> None:
    from serverless_chat.chat.protocol import ProtocolError

    chat, store, _, _ = _world()
    refused = ""
    try:
        record = chat.connect("new", 0, query)
    except ProtocolError as error:
        refused = error.code
    if refused:
        assert refused in {
            "INVALID_ROOM",
            "INVALID_NAME",
            "INVALID_FORMAT",
            "INVALID_TEXT",
            "NAME_TAKEN",
        }
        assert store.get("new") is None
    else:
        assert store.get("new") == record
