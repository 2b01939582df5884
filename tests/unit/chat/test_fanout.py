import json
from functools import partial

import pytest

from serverless_chat.chat.fanout import (
    MAX_PAGE_PAYLOAD_BYTES,
    THROTTLE_WAITS,
    connection_info,
    decode_page,
    deliver,
    encode_page,
    paginate,
    plan,
)
from serverless_chat.chat.model import open_connection
from serverless_chat.chat.service import Chat
from serverless_chat.errors import CallbackError, CallbackThrottled, StoreError
from serverless_chat.ports import ConnectionInfo, ConnectionRecord
from tests.fakes import FakeConnections, MemoryConnectionStore, MemoryMessageStore

NOW = 1_707_502_303_419  # the fan-out's clock, epoch ms; rows of _record are far older


def _now() -> int:
    return NOW


def _record(cid: str, fmt: str = "raw") -> ConnectionRecord:
    return open_connection(cid, 0, format=fmt)


def test_plan_excludes_the_sender_and_duplicates_and_renders_each_format_once() -> None:
    renders: list[str] = []

    def render(fmt: str) -> bytes | None:
        renders.append(fmt)
        return None if fmt == "raw" else fmt.encode()

    records = [
        _record("a", "json"),
        _record("b", "text"),
        _record("a", "json"),
        _record("c", "raw"),
        _record("d", "json"),
        _record("s", "json"),
    ]
    assert plan(records, render, exclude="s") == [("a", b"json"), ("b", b"text"), ("d", b"json")]
    assert sorted(renders) == ["json", "raw", "text"]


def test_every_target_gets_its_bytes() -> None:
    connections = FakeConnections("b", "c")
    report = deliver([("b", b"one"), ("c", b"two")], connections, MemoryConnectionStore(), _now)
    assert report.delivered == ["b", "c"]
    assert connections.received("b") == [b"one"]
    assert connections.received("c") == [b"two"]


def test_a_gone_target_has_its_row_deleted_and_others_still_receive() -> None:
    store = MemoryConnectionStore()
    for cid in ("b", "gone", "c"):
        store.put(_record(cid))
    connections = FakeConnections("b", "c")
    report = deliver([("b", b"hi"), ("gone", b"hi"), ("c", b"hi")], connections, store, _now)
    assert report.gone == ["gone"]
    assert store.get("gone") is None
    assert store.get("b") is not None
    assert report.delivered == ["b", "c"]


def test_other_failures_are_logged_not_deleted(caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryConnectionStore()
    store.put(_record("slow"))
    connections = FakeConnections("slow", "ok", "broken")
    connections.failures["slow"] = CallbackThrottled("slow", "buffer full")
    connections.failures["broken"] = CallbackError("broken", 500, "InternalServerError", "boom")
    waits: list[float] = []
    report = deliver(
        [("slow", b"x"), ("ok", b"x"), ("broken", b"x")], connections, store, _now, waits.append
    )
    assert waits == list(THROTTLE_WAITS)  # still throttled after every new try
    assert report.delivered == ["ok"]
    assert set(report.failed) == {"slow", "broken"}
    assert store.get("slow") is not None
    assert "slow" in caplog.text
    assert "LimitExceededException" in caplog.text


def test_failure_to_delete_a_stale_row_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryConnectionStore()
    store.fail_on.add("DeleteItem")
    report = deliver([("gone", b"hi")], FakeConnections(), store, _now)
    assert report.gone == ["gone"]
    assert "could not delete stale connection gone" in caplog.text


def test_the_adapter_gets_the_whole_fan_out_in_one_call() -> None:
    from serverless_chat.errors import ConnectionGone

    class Batching(FakeConnections):
        def __init__(self) -> None:
            super().__init__("a", "b")
            self.batches: list[list[tuple[str, bytes]]] = []

        def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
            self.batches.append(deliveries)
            return {"gone": ConnectionGone("gone"), "b": CallbackThrottled("b", "full")}

    store = MemoryConnectionStore()
    store.put(_record("gone"))
    connections = Batching()
    report = deliver(
        [("a", b"x"), ("b", b"x"), ("gone", b"x")], connections, store, _now, lambda _: None
    )
    assert len(connections.batches[0]) == 3  # the whole fan-out, then the throttled again
    assert all(batch == [("b", b"x")] for batch in connections.batches[1:])
    assert report.delivered == ["a"]
    assert report.gone == ["gone"]
    assert "LimitExceededException" in report.failed["b"]
    assert store.get("gone") is None


def test_a_throttled_post_is_posted_again_until_it_goes_through() -> None:
    """The callback API throttles with 429 LimitExceededException ("PostToConnection", API
    Gateway V2 Management API reference; "API Gateway quotas for WebSocket APIs",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html):
    the chat waits and posts it again, so a busy moment loses nothing."""

    class ThrottledTwice(FakeConnections):
        def __init__(self) -> None:
            super().__init__("a", "b")
            self.refusals = 2

        def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
            if self.refusals and any(cid == "b" for cid, _ in deliveries):
                self.refusals -= 1
                super().post_many([d for d in deliveries if d[0] != "b"])
                return {"b": CallbackThrottled("b", "Rate exceeded")}
            return super().post_many(deliveries)

    connections = ThrottledTwice()
    waits: list[float] = []
    report = deliver(
        [("a", b"x"), ("b", b"y")], connections, MemoryConnectionStore(), _now, waits.append
    )
    assert report.delivered == ["a", "b"]
    assert report.failed == {}
    assert connections.received("b") == [b"y"]
    assert waits == [0.1, 0.2]


# -- a 410 during the handshake -------------------------------------------------------------
def _named(cid: str, connected_at: int) -> ConnectionRecord:
    return open_connection(cid, connected_at, room="dev", name=f"{cid}-name")


def _claimed(store: MemoryConnectionStore, record: ConnectionRecord) -> None:
    store.put(record)
    assert store.claim_name(record.room, record.name, record.connection_id, 100) is None


def test_a_410_from_a_young_row_keeps_it_and_its_name() -> None:
    """API Gateway answers 410 to a post made "before the connection was established"
    (https://repost.aws/knowledge-center/410-gone-api-gateway), i.e. while $connect runs,
    and $connect runs up to the 29 s integration timeout (https://docs.aws.amazon.com/
    apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html).
    A row that connected less than 30 s ago may be that handshake: it stays, name and all."""
    store = MemoryConnectionStore()
    young = _named("young", NOW - 29_000)
    _claimed(store, young)
    report = deliver([("young", b"hi")], FakeConnections(), store, _now)
    assert report.gone == ["young"]  # the post failed ...
    assert report.removed == []  # ... but the row was not taken for stale
    assert store.get("young") == young
    assert store.claim_name("dev", young.name, "someone-else", 100) == "young"


def test_a_410_from_an_old_row_deletes_it_and_releases_its_name() -> None:
    """A row older than any handshake can take (API Gateway's 29 s integration timeout,
    https://docs.aws.amazon.com/apigateway/latest/developerguide/
    apigateway-execution-service-websocket-limits-table.html) that answers 410 is gone
    for good (https://repost.aws/knowledge-center/410-gone-api-gateway): its row is deleted
    and its name claim released at once, not left until the claim's TTL."""
    store = MemoryConnectionStore()
    old, live = _named("old", NOW - 31_000), _named("live", NOW - 31_000)
    _claimed(store, old)
    _claimed(store, live)
    report = deliver([("old", b"hi"), ("live", b"hi")], FakeConnections("live"), store, _now)
    assert report.gone == report.removed == ["old"]
    assert report.delivered == ["live"]
    assert store.get("old") is None
    assert store.claim_name("dev", old.name, "newcomer", 100) is None  # the name is free
    assert store.get("live") == live
    assert store.claim_name("dev", live.name, "newcomer", 100) == "live"


def test_a_claim_that_cannot_be_released_is_logged_and_the_row_still_goes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The release after a stale row's delete (the 410 article,
    https://repost.aws/knowledge-center/410-gone-api-gateway; a row older than the 29 s
    integration timeout, https://docs.aws.amazon.com/apigateway/latest/developerguide/
    apigateway-execution-service-websocket-limits-table.html) may fail: that is logged, the
    claim's TTL ends it, and the fan-out goes on."""

    class NoRelease(MemoryConnectionStore):
        def release_name(self, room: str, name: str, connection_id: str) -> None:
            raise StoreError("DeleteItem", "ProvisionedThroughputExceededException: injected")

    store = NoRelease()
    store.put(_named("old", 0))
    report = deliver([("old", b"hi")], FakeConnections(), store, _now)
    assert report.removed == ["old"]
    assert store.get("old") is None
    assert "could not release the name of stale connection old" in caplog.text


def test_the_fan_out_uses_the_chat_clock() -> None:
    """Chat.deliver passes its own clock's now (no I/O in the fan-out): against a clock 40 s
    after the row connected, past the 29 s integration timeout (https://docs.aws.amazon.com/
    apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html),
    the 410 (https://repost.aws/knowledge-center/410-gone-api-gateway) removes the row;
    against one 1 s after, it stays."""

    def clock(elapsed_ms: int) -> float:
        return (NOW + elapsed_ms) / 1000

    for elapsed_ms, removed in ((1_000, []), (40_000, ["c"])):
        store = MemoryConnectionStore()
        store.put(_named("c", NOW))
        chat = Chat(
            store, MemoryMessageStore(), FakeConnections(), clock=partial(clock, elapsed_ms)
        )
        assert chat.deliver([("c", b"hi")]).removed == removed
        assert (store.get("c") is None) == bool(removed)


# -- pages --------------------------------------------------------------------------------
def _deliveries(n: int, frame: bytes = b"hello") -> list[tuple[str, bytes]]:
    return [(f"conn{i:05d}=", frame) for i in range(n)]


def test_paginate_cuts_pages_of_the_size_in_order() -> None:
    deliveries = _deliveries(25)
    pages = paginate(deliveries, 10)
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [d for page in pages for d in page] == deliveries
    assert paginate(deliveries, 100) == [deliveries]
    assert paginate([], 10) == []


def test_paginate_keeps_each_page_under_the_payload_limit() -> None:
    big = b"x" * 100_000  # a near-limit message: few recipients fit beside it
    pages = paginate(_deliveries(50_000, big), 50_000)
    assert len(pages) > 5  # the payload limit cuts, not the page size
    for page in pages:
        payload = json.dumps(encode_page(page, {"domainName": "d", "stage": "s"}))
        assert len(payload.encode()) <= MAX_PAGE_PAYLOAD_BYTES


def test_a_page_round_trips_through_json_with_each_frame_once() -> None:
    text, rich = b"Hello AWS", '{"text": "h\u00e9llo"}'.encode()
    deliveries = [("a", text), ("b", rich), ("c", text)]
    page = json.loads(json.dumps(encode_page(deliveries, {"domainName": "d", "stage": "s"})))
    assert page["fanoutPage"]["frames"] == ["Hello AWS", '{"text": "h\u00e9llo"}']
    assert page["requestContext"] == {"domainName": "d", "stage": "s"}
    assert decode_page(page) == deliveries


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"fanoutPage": []},
        {"fanoutPage": {"frames": ["x"]}},
        {"fanoutPage": {"frames": ["x"], "to": [["a", 1]]}},
        {"fanoutPage": {"frames": ["x"], "to": [["a"]]}},
        {"fanoutPage": {"frames": ["x"], "to": [[7, 0]]}},
    ],
)
def test_a_malformed_page_is_refused_clearly(event: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="page"):
        decode_page(event)


class _InfoThrottled(FakeConnections):
    """GetConnection answers 429 ``refusals`` times, then as a live connection does."""

    def __init__(self, refusals: int) -> None:
        super().__init__("a")
        self.refusals = refusals

    def info(self, connection_id: str) -> ConnectionInfo:
        if self.refusals:
            self.refusals -= 1
            raise CallbackThrottled(connection_id, "Rate exceeded")
        return super().info(connection_id)


def test_a_throttled_getconnection_is_asked_again_until_it_answers() -> None:
    """The callback API throttles GetConnection as it throttles posts: 429
    LimitExceededException, "The client is sending more than the allowed number of requests
    per unit of time" (ApiGatewayManagementApi / Client / exceptions /
    LimitExceededException,
    https://docs.aws.amazon.com/botocore/latest/reference/services/apigatewaymanagementapi/client/exceptions/LimitExceededException.html):
    the chat asks again after the waits a throttled post gets."""
    waits: list[float] = []
    info = connection_info("a", _InfoThrottled(refusals=2), waits.append)
    assert info.source_ip == "192.0.2.1"
    assert waits == [0.1, 0.2]


def test_a_getconnection_throttled_past_every_wait_raises_its_refusal() -> None:
    waits: list[float] = []
    with pytest.raises(CallbackThrottled):
        connection_info("a", _InfoThrottled(refusals=len(THROTTLE_WAITS) + 1), waits.append)
    assert waits == list(THROTTLE_WAITS)


def test_the_usage_reply_waits_out_a_throttled_getconnection() -> None:
    """$default's reply carries the caller's GetConnection: throttled once, it still comes."""
    connections = _InfoThrottled(refusals=1)
    waits: list[float] = []
    chat = Chat(MemoryConnectionStore(), MemoryMessageStore(), connections, sleep=waits.append)
    chat.usage(_record("a", "json"), None)
    assert len(connections.received("a")) == 1
    assert waits == [0.1]
