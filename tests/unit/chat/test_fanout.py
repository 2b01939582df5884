from concurrent.futures import ThreadPoolExecutor

import pytest

from serverless_chat.chat.fanout import deliver, recipients
from serverless_chat.errors import CallbackError, CallbackThrottled
from serverless_chat.ports import ConnectionRecord
from tests.fakes import FakeConnections, MemoryConnectionStore


def _records(*ids: str) -> list[ConnectionRecord]:
    return [ConnectionRecord.opened(cid, 0) for cid in ids]


def test_recipients_exclude_the_sender_and_duplicates() -> None:
    assert recipients(_records("a", "b", "a", "c", "b"), "a") == ["b", "c"]


@pytest.fixture
def pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(4)


def test_every_target_gets_the_bytes(pool: ThreadPoolExecutor) -> None:
    connections = FakeConnections("b", "c")
    report = deliver(b"Hello AWS", ["b", "c"], connections, MemoryConnectionStore(), pool)
    assert report.delivered == ["b", "c"]
    assert connections.received("b") == [b"Hello AWS"]
    assert connections.received("c") == [b"Hello AWS"]


def test_a_gone_target_has_its_row_deleted_and_others_still_receive(
    pool: ThreadPoolExecutor,
) -> None:
    store = MemoryConnectionStore()
    for record in _records("b", "gone", "c"):
        store.put(record)
    connections = FakeConnections("b", "c")
    report = deliver(b"hi", ["b", "gone", "c"], connections, store, pool)
    assert report.gone == ["gone"]
    assert store.get("gone") is None
    assert store.get("b") is not None
    assert report.delivered == ["b", "c"]


def test_other_failures_are_logged_not_deleted(
    pool: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryConnectionStore()
    store.put(ConnectionRecord.opened("slow", 0))
    connections = FakeConnections("slow", "ok", "broken")
    connections.failures["slow"] = CallbackThrottled("slow", "buffer full")
    connections.failures["broken"] = CallbackError("broken", 500, "InternalServerError", "boom")
    report = deliver(b"hi", ["slow", "ok", "broken"], connections, store, pool)
    assert report.delivered == ["ok"]
    assert set(report.failed) == {"slow", "broken"}
    assert store.get("slow") is not None
    assert "slow" in caplog.text
    assert "LimitExceededException" in caplog.text


def test_an_adapter_bug_does_not_stop_the_others(pool: ThreadPoolExecutor) -> None:
    class Exploding(FakeConnections):
        def post(self, connection_id: str, data: bytes) -> None:
            if connection_id == "x":
                raise RuntimeError("adapter bug")
            super().post(connection_id, data)

    connections = Exploding("x", "y")
    report = deliver(b"hi", ["x", "y"], connections, MemoryConnectionStore(), pool)
    assert report.delivered == ["y"]
    assert "adapter bug" in report.failed["x"]


def test_failure_to_delete_a_stale_row_is_logged(
    pool: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryConnectionStore()
    store.fail_on.add("DeleteItem")
    report = deliver(b"hi", ["gone"], FakeConnections(), store, pool)
    assert report.gone == ["gone"]
    assert "could not delete stale connection gone" in caplog.text
