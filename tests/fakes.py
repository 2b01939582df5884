"""Fakes of the ports: they implement the same Protocols and pass the same contract suites."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

from serverless_chat.chat.limits import take
from serverless_chat.errors import CallbackError, ConnectionGone, PayloadTooLarge, StoreError
from serverless_chat.ports import ChatMessage, ConnectionInfo, ConnectionRecord, name_key

MAX_POST_BYTES = 128 * 1024


class MemoryConnectionStore:
    """A ConnectionStore in dicts; ``fail_on`` makes named operations raise StoreError."""

    def __init__(self) -> None:
        self.rows: dict[str, ConnectionRecord] = {}
        self.claims: dict[tuple[str, str], str] = {}
        self.buckets: dict[str, tuple[float | None, int]] = {}
        self.fail_on: set[str] = set()
        self.scanned_pages = 0
        self.items_read = 0
        self._lock = threading.Lock()

    def _check(self, operation: str) -> None:
        if operation in self.fail_on:
            raise StoreError(operation, "ProvisionedThroughputExceededException: injected")

    def put(self, record: ConnectionRecord) -> None:
        self._check("PutItem")
        with self._lock:
            self.rows[record.connection_id] = record

    def move(self, record: ConnectionRecord) -> None:
        self._check("UpdateItem")
        with self._lock:
            if record.connection_id in self.rows:
                self.rows[record.connection_id] = record

    def delete(self, connection_id: str) -> None:
        self._check("DeleteItem")
        with self._lock:
            self.rows.pop(connection_id, None)

    def get(self, connection_id: str) -> ConnectionRecord | None:
        self._check("GetItem")
        return self.rows.get(connection_id)

    def _pages(self, records: list[ConnectionRecord], page_size: int) -> Iterator[ConnectionRecord]:
        ordered = sorted(records, key=lambda r: r.connection_id)
        for start in range(0, len(ordered), page_size):
            self.scanned_pages += 1
            page = ordered[start : start + page_size]
            self.items_read += len(page)
            yield from page

    def scan(self, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        self._check("Scan")
        return self._pages(list(self.rows.values()), page_size)

    def members(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        self._check("Query")
        return self._pages([r for r in self.rows.values() if r.room == room], page_size)

    def listeners(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        self._check("Query")
        return self._pages(
            [r for r in self.rows.values() if r.room == room and r.format != "raw"], page_size
        )

    def named(self, name: str) -> list[ConnectionRecord]:
        self._check("Query")
        key = name_key(name)
        return sorted(
            (r for r in self.rows.values() if r.name_key == key), key=lambda r: r.connection_id
        )

    def claim_name(
        self, room: str, name: str, connection_id: str, expires_at: int, replace_owner: str = ""
    ) -> str | None:
        self._check("PutItem")
        with self._lock:
            holder = self.claims.get((room, name_key(name)))
            if holder not in (None, connection_id, replace_owner or None):
                return holder
            self.claims[(room, name_key(name))] = connection_id
            return None

    def release_name(self, room: str, name: str, connection_id: str) -> None:
        self._check("DeleteItem")
        with self._lock:
            if self.claims.get((room, name_key(name))) == connection_id:
                del self.claims[(room, name_key(name))]

    def take_token(self, connection_id: str, rate: float, burst: int, now_ms: int) -> bool:
        self._check("UpdateItem")
        with self._lock:
            tokens, at = self.buckets.get(connection_id, (None, 0))
            allowed, left = take(tokens, at, rate, burst, now_ms)
            self.buckets[connection_id] = (left, now_ms)
            return allowed


class MemoryMessageStore:
    """A MessageStore in a list."""

    def __init__(self) -> None:
        self.messages: list[ChatMessage] = []
        self.fail_on: set[str] = set()

    def append(self, message: ChatMessage) -> None:
        if "PutItem" in self.fail_on:
            raise StoreError("PutItem", "injected")
        self.messages.append(message)

    def latest(self, room: str, limit: int, before: str | None = None) -> list[ChatMessage]:
        if "Query" in self.fail_on:
            raise StoreError("Query", "injected")
        found = [
            m for m in self.messages if m.room == room and (before is None or m.sort_key < before)
        ]
        return sorted(found, key=lambda m: m.sort_key, reverse=True)[:limit]


class FakeConnections:
    """A Connections port that records posts. Unknown ids are gone, as on API Gateway."""

    def __init__(self, *connection_ids: str) -> None:
        self.open: set[str] = set(connection_ids)
        self.posts: list[tuple[str, bytes]] = []
        self.failures: dict[str, CallbackError] = {}
        self._lock = threading.Lock()

    def received(self, connection_id: str) -> list[bytes]:
        return [data for cid, data in self.posts if cid == connection_id]

    def _check(self, connection_id: str) -> None:
        if connection_id in self.failures:
            raise self.failures[connection_id]
        if connection_id not in self.open:
            raise ConnectionGone(connection_id)

    def post(self, connection_id: str, data: bytes) -> None:
        if len(data) > MAX_POST_BYTES:
            raise PayloadTooLarge(connection_id)
        self._check(connection_id)
        with self._lock:
            self.posts.append((connection_id, data))

    def info(self, connection_id: str) -> ConnectionInfo:
        self._check(connection_id)
        when = datetime(2024, 2, 9, 18, 11, 43, tzinfo=UTC)
        return ConnectionInfo(when, when, "192.0.2.1", "fake-agent")

    def close(self, connection_id: str) -> None:
        self._check(connection_id)
        self.open.discard(connection_id)


class FakeFanoutPages:
    """A FanoutPages port that keeps each page (through JSON, as a payload would travel), or
    refuses every page with ``failure``."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.pages: list[dict[str, object]] = []
        self.failure = failure

    def dispatch(self, page: dict[str, object]) -> None:
        if self.failure is not None:
            raise self.failure
        self.pages.append(json.loads(json.dumps(page)))
