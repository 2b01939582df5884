import json

import pytest

from serverless_chat.chat.fanout import decode_page
from serverless_chat.chat.model import open_connection
from serverless_chat.handlers.connect import build_handler
from serverless_chat.handlers.dependencies import Dependencies
from tests.conftest import EventFactory
from tests.fakes import FakeConnections, FakeFanoutPages, MemoryConnectionStore


def _connect(deps: Dependencies, make_event: EventFactory, cid: str, **query: str) -> dict:
    event = make_event(cid, "$connect")
    if query:
        event["queryStringParameters"] = query
    return build_handler(deps)(event, None)


def test_connect_stores_the_connection_and_returns_200(
    deps: Dependencies, store: MemoryConnectionStore, make_event: EventFactory
) -> None:
    assert _connect(deps, make_event, "c1")["statusCode"] == 200
    record = store.get("c1")
    assert record is not None
    assert record.connected_at == 1731324924553  # the recorded CONNECT's
    assert record.expires_at == 1731324924 + 2 * 3600
    assert (record.room, record.format) == ("general", "raw")


def test_connect_reads_the_query_options(
    deps: Dependencies, store: MemoryConnectionStore, make_event: EventFactory
) -> None:
    _connect(deps, make_event, "c1", room="dev", name="ana", format="json")
    record = store.get("c1")
    assert record is not None
    assert (record.room, record.name, record.format) == ("dev", "ana", "json")


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"room": "Bad Room"}, 400, "INVALID_ROOM"),
        ({"format": "xml"}, 400, "INVALID_FORMAT"),
        ({"name": "ana"}, 409, "NAME_TAKEN"),
    ],
)
def test_connect_refusals(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
    query: dict[str, str],
    status: int,
    code: str,
) -> None:
    connections.open.add("first")  # still there: its name stays its own
    _connect(deps, make_event, "first", name="ana")
    result = _connect(deps, make_event, "c1", **query)
    assert result["statusCode"] == status
    assert json.loads(result["body"])["code"] == code
    assert store.get("c1") is None


def test_connect_refuses_the_handshake_when_the_store_fails(
    deps: Dependencies, store: MemoryConnectionStore, make_event: EventFactory
) -> None:
    store.fail_on.add("PutItem")
    assert _connect(deps, make_event, "c1")["statusCode"] == 500
    assert store.rows == {}


def test_presence_to_a_room_over_the_page_size_is_paged_too(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    for i in range(25):
        store.put(open_connection(f"l{i:02d}", 0, room="big", name=f"n{i}", format="json"))
        connections.open.add(f"l{i:02d}")
    pages = FakeFanoutPages()
    deps.pages = pages
    deps.settings = deps.settings._replace(fanout_page_size=10)
    assert _connect(deps, make_event, "c1", room="big", name="ana")["statusCode"] == 200
    handed_off = [cid for page in pages.pages for cid, _ in decode_page(page)]
    posted_here = [cid for cid, _ in connections.posts]
    assert (len(posted_here), len(handed_off)) == (10, 15)
    assert sorted(posted_here + handed_off) == [f"l{i:02d}" for i in range(25)]
    assert json.loads(decode_page(pages.pages[0])[0][1])["event"] == "joined"


def _signed_in(deps: Dependencies, make_event: EventFactory, cid: str, sub: str) -> dict:
    event = make_event(cid, "$connect")
    event["requestContext"]["authorizer"] = {"sub": sub, "name": "ana", "principalId": sub}
    return build_handler(deps)(event, None)


def test_one_person_on_two_devices_is_let_in_on_both_and_nobody_else_as_them(
    deps: Dependencies,
    store: MemoryConnectionStore,
    connections: FakeConnections,
    make_event: EventFactory,
) -> None:
    connections.open.update({"laptop", "phone"})
    assert _signed_in(deps, make_event, "laptop", "u-ana")["statusCode"] == 200
    assert _signed_in(deps, make_event, "phone", "u-ana")["statusCode"] == 200
    refused = _signed_in(deps, make_event, "mallory", "u-mallory")
    assert (refused["statusCode"], json.loads(refused["body"])["code"]) == (409, "NAME_TAKEN")
    assert {r.connection_id for r in store.named("ana")} == {"laptop", "phone"}
