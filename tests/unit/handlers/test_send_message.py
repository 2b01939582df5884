import json

import pytest

from serverless_chat.chat.fanout import decode_page
from serverless_chat.chat.model import open_connection
from serverless_chat.errors import DispatchError
from serverless_chat.handlers.dependencies import Dependencies
from serverless_chat.handlers.send_message import build_handler
from tests.conftest import EventFactory
from tests.fakes import FakeConnections, FakeFanoutPages, MemoryConnectionStore


@pytest.fixture
def room(store: MemoryConnectionStore, connections: FakeConnections) -> list[str]:
    ids = ["a", "b", "c"]
    for cid in ids:
        store.put(open_connection(cid, 0))
        connections.open.add(cid)
    return ids


def _send(
    deps: Dependencies, make_event: EventFactory, sender: str, body: str
) -> dict[str, object]:
    return build_handler(deps)(make_event(sender, "sendMessage", body), None)


def test_everyone_but_the_sender_gets_the_bare_text(
    deps: Dependencies, connections: FakeConnections, make_event: EventFactory, room: list[str]
) -> None:
    result = _send(deps, make_event, "a", '{"action": "sendMessage", "message": "Hello AWS"}')
    assert result["statusCode"] == 200
    assert connections.received("b") == [b"Hello AWS"]
    assert connections.received("c") == [b"Hello AWS"]
    assert connections.received("a") == []


def test_every_page_of_the_room_is_read(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    for i in range(2500):  # pages of 1,000
        cid = f"c{i:04d}"
        store.put(open_connection(cid, 0))
        connections.open.add(cid)
    _send(deps, make_event, "c0000", '{"action": "sendMessage", "message": "x"}')
    assert store.scanned_pages == 3
    assert len(connections.posts) == 2499


def test_a_gone_recipient_is_removed_and_the_rest_still_receive(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
    room: list[str],
) -> None:
    connections.open.discard("b")
    assert _send(deps, make_event, "a", '{"message": "hi"}')["statusCode"] == 200
    assert store.get("b") is None
    assert connections.received("c") == [b"hi"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "INVALID_JSON"),
        ('{"action": "sendMessage"}', "MISSING_FIELD"),
        ('{"action": "sendMessage", "message": 42}', "INVALID_FIELD"),
        ('{"action": "sendMessage", "message": {"text": "x"}}', "INVALID_FIELD"),
    ],
)
def test_a_bad_body_gets_one_error_to_the_sender_and_nothing_else(
    deps: Dependencies,
    connections: FakeConnections,
    make_event: EventFactory,
    room: list[str],
    body: str,
    code: str,
) -> None:
    result = _send(deps, make_event, "a", body)
    assert result["statusCode"] == 400
    assert len(connections.posts) == 1
    frame = json.loads(connections.received("a")[0])
    assert frame["type"] == "error"
    assert frame["code"] == code


def test_a_store_failure_tells_the_sender_and_posts_nothing_else(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
    room: list[str],
) -> None:
    store.fail_on.add("Query")
    result = _send(deps, make_event, "a", '{"action": "sendMessage", "message": "hi"}')
    assert result["statusCode"] == 500
    assert [json.loads(d)["code"] for d in connections.received("a")] == ["STORE_UNAVAILABLE"]
    assert connections.received("b") == []


def _send_to_a_room_of(
    n: int,
    pages: FakeFanoutPages,
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> dict[str, object]:
    """c0000 sends to a room of ``n`` (itself included), in fan-out pages of 10."""
    for i in range(n):
        cid = f"c{i:04d}"
        store.put(open_connection(cid, 0))
        connections.open.add(cid)
    deps.pages = pages
    deps.settings = deps.settings._replace(fanout_page_size=10)
    return _send(deps, make_event, "c0000", '{"message": "x"}')


def test_a_room_over_the_page_size_hands_its_other_pages_to_the_fanout_function(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    pages = FakeFanoutPages()
    _send_to_a_room_of(26, pages, deps, store, connections, make_event)
    posted_here = {cid for cid, _ in connections.posts}
    handed_off = [decode_page(page) for page in pages.pages]
    assert len(posted_here) == 10
    assert [len(page) for page in handed_off] == [10, 5]
    everyone = posted_here | {cid for page in handed_off for cid, _ in page}
    assert everyone == {f"c{i:04d}" for i in range(1, 26)}  # each once, the sender excluded
    assert pages.pages[0]["requestContext"]["stage"] == "prod"  # the recorded event's stage
    assert deps.metrics.counts["FanoutPages"] == 2


def test_a_room_within_the_page_size_is_posted_by_the_send_function_alone(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    pages = FakeFanoutPages()
    _send_to_a_room_of(11, pages, deps, store, connections, make_event)
    assert pages.pages == []
    assert len(connections.posts) == 10


def test_a_page_that_cannot_be_handed_off_is_posted_here_so_nobody_misses_it(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    pages = FakeFanoutPages(DispatchError("TooManyRequestsException: Rate exceeded"))
    result = _send_to_a_room_of(26, pages, deps, store, connections, make_event)
    assert result["statusCode"] == 200
    assert sorted(cid for cid, _ in connections.posts) == [f"c{i:04d}" for i in range(1, 26)]
