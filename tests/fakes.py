"""Fakes of the ports: they implement the same Protocols and pass the same contract suites."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

from serverless_chat.adapters import memory as adapter
from serverless_chat.errors import CallbackError, ConnectionGone, PayloadTooLarge, StoreError
from serverless_chat.ports import (
    Admission,
    ChatMessage,
    ConnectionInfo,
    ConnectionRecord,
    DirectMessage,
    Move,
    Revision,
)

MAX_POST_BYTES = 128 * 1024


class MemoryConnectionStore(adapter.MemoryConnectionStore):
    """The gateway's in-memory store, plus what tests need: ``fail_on`` makes the named
    operations raise StoreError, and the pages and items read are counted."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_on: set[str] = set()
        self.scanned_pages = 0
        self.items_read = 0

    def _check(self, operation: str) -> None:
        if operation in self.fail_on:
            raise StoreError(operation, "ProvisionedThroughputExceededException: injected")

    def _pages(
        self, records: tuple[ConnectionRecord, ...] | list[ConnectionRecord], page_size: int
    ) -> Iterator[ConnectionRecord]:
        for start in range(0, len(records), page_size):
            self.scanned_pages += 1
            page = records[start : start + page_size]
            self.items_read += len(page)
            yield from page

    def put(self, record: ConnectionRecord) -> None:
        self._check("PutItem")
        super().put(record)

    def move(
        self, record: ConnectionRecord, *, room: str | None = None, name: str | None = None
    ) -> Move:
        self._check("UpdateItem")
        return super().move(record, room=room, name=name)

    def identify(self, connection_id: str, guest: str) -> None:
        self._check("UpdateItem")
        super().identify(connection_id, guest)

    def delete(self, connection_id: str) -> ConnectionRecord | None:
        self._check("DeleteItem")
        return super().delete(connection_id)

    def delete_stale(self, connection_id: str, connected_before_ms: int) -> ConnectionRecord | None:
        self._check("DeleteItem")
        return super().delete_stale(connection_id, connected_before_ms)

    def get(self, connection_id: str) -> ConnectionRecord | None:
        self._check("GetItem")
        return super().get(connection_id)

    def members(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        self._check("Query")
        return super().members(room, page_size)

    def listeners(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        self._check("Query")
        return super().listeners(room, page_size)

    def present(self, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        self._check("Scan")
        return super().present(page_size)

    def named(self, name: str) -> list[ConnectionRecord]:
        self._check("Query")
        return super().named(name)

    def claim_name(
        self, room: str, name: str, connection_id: str, expires_at: int, replace_owner: str = ""
    ) -> str | None:
        self._check("PutItem")
        return super().claim_name(room, name, connection_id, expires_at, replace_owner)

    def release_name(self, room: str, name: str, connection_id: str) -> None:
        self._check("DeleteItem")
        super().release_name(room, name, connection_id)

    def admit(self, connection_id: str, rate: float, burst: int, now_ms: int) -> Admission:
        self._check("UpdateItem")  # on DynamoDB, one conditional UpdateItem
        return super().admit(connection_id, rate, burst, now_ms)


class MemoryMessageStore:
    """A MessageStore in a list."""

    def __init__(self) -> None:
        self.messages: list[ChatMessage] = []
        self.direct: list[DirectMessage] = []
        self.fail_on: set[str] = set()

    def append_direct(self, message: DirectMessage) -> None:
        if "PutItem" in self.fail_on:
            raise StoreError("PutItem", "injected")
        self.direct.append(message)

    def directs(
        self, reader: str, limit: int, before: str | None = None, conversation: str | None = None
    ) -> list[DirectMessage]:
        if "Query" in self.fail_on:
            raise StoreError("Query", "injected")
        found = [
            m
            for m in self.direct
            if reader in m.readers
            and (conversation is None or m.conversation == conversation)
            and (before is None or m.sort_key < before)
        ]
        return sorted(found, key=lambda m: m.sort_key, reverse=True)[:limit]

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

    def revise(
        self, room: str, sort_key: str, owner: str, text: str | None, at_ms: int
    ) -> Revision:
        if "UpdateItem" in self.fail_on:
            raise StoreError("UpdateItem", "injected")
        for i, message in enumerate(self.messages):
            if message.room == room and message.sort_key == sort_key:
                if not message.owner or message.owner != owner or message.deleted:
                    return Revision(message, False)
                revised = message._replace(text=text or "", edited_at=at_ms, deleted=text is None)
                self.messages[i] = revised
                return Revision(revised, True)
        return Revision(None, False)


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

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
        failures: dict[str, Exception] = {}
        for connection_id, data in deliveries:
            try:
                self.post(connection_id, data)
            except CallbackError as error:
                failures[connection_id] = error
        return failures

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
