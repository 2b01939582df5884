"""The ConnectionsTable in the local gateway's memory.

Live connections cannot outlive the gateway process that holds their sockets, so the
gateway keeps this table where they live, like DynamoDB Local's ``-inMemory``. It is the
gateway's hot path: a fan-out reads a room's members here with no query, no JSON to decode
and no SQLite statement handing the interpreter lock to the sending loop and back
(docs/performance.md has what that costs). History stays in SQLite, which is durable.

Rooms and names are indexed as the table's GSIs are (and a room's presence listeners, as the
SQLite file's partial index), each room kept sorted by connectionId, the GSI's range key, so
a fan-out reads its recipients without sorting or scanning the table, and a connect into a
big room costs no sort. Threads share one store: every change happens under one lock, and
readers get a snapshot.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, insort
from collections.abc import Iterator
from operator import attrgetter

from serverless_chat.chat.limits import take
from serverless_chat.chat.model import hears_presence, name_key
from serverless_chat.ports import Admission, ConnectionRecord, Move

_BY_ID = attrgetter("connection_id")


class MemoryConnectionStore:
    """A ConnectionStore in dicts, indexed by room and by name, safe across threads."""

    def __init__(self) -> None:
        self.rows: dict[str, ConnectionRecord] = {}
        # Each room's members, and those that hear presence, sorted by connectionId
        # as the GSI's range key: lists, kept in order as rows come and go (a connect into a
        # room of 15,000 is a binary search and a move of pointers, not a sort).
        self._rooms: dict[str, list[ConnectionRecord]] = {}
        self._hearing: dict[str, list[ConnectionRecord]] = {}
        self._names: dict[str, list[ConnectionRecord]] = {}
        self._claims: dict[tuple[str, str], str] = {}
        self._buckets: dict[str, tuple[float | None, int]] = {}
        self._lock = threading.Lock()

    # -- writes (under the lock) -----------------------------------------------------------
    def put(self, record: ConnectionRecord) -> None:
        with self._lock:
            self._remove(record.connection_id)
            self._add(record)

    def move(
        self, record: ConnectionRecord, *, room: str | None = None, name: str | None = None
    ) -> Move:
        with self._lock:
            old = self.rows.get(record.connection_id)  # a gone connection stays gone
            if old is None or (old.room, old.name) != (record.room, record.name):
                return Move(old, False)
            self._remove(record.connection_id)
            self._add(old.moved(room, name))
            return Move(self.rows[record.connection_id], True)

    def identify(self, connection_id: str, guest: str) -> None:
        with self._lock:
            old = self.rows.get(connection_id)
            if old is not None:  # a gone connection stays gone
                self._remove(connection_id)
                self._add(old._replace(guest=guest))

    def delete(self, connection_id: str) -> ConnectionRecord | None:
        with self._lock:
            self._buckets.pop(connection_id, None)
            return self._remove(connection_id)

    def delete_stale(self, connection_id: str, connected_before_ms: int) -> ConnectionRecord | None:
        with self._lock:
            old = self.rows.get(connection_id)
            if old is None or old.connected_at >= connected_before_ms:
                return None
            self._remove(connection_id)
            self._buckets.pop(connection_id, None)
            return old

    def _add(self, record: ConnectionRecord) -> None:
        self.rows[record.connection_id] = record
        insort(self._rooms.setdefault(record.room, []), record, key=_BY_ID)
        if hears_presence(record.format):
            insort(self._hearing.setdefault(record.room, []), record, key=_BY_ID)
        self._names.setdefault(name_key(record.name), []).append(record)

    def _remove(self, connection_id: str) -> ConnectionRecord | None:
        old = self.rows.pop(connection_id, None)
        if old is None:
            return None
        _take_out(self._rooms, old.room, old)
        if hears_presence(old.format):
            _take_out(self._hearing, old.room, old)
        named = self._names[name_key(old.name)]
        named.remove(old)
        if not named:
            del self._names[name_key(old.name)]
        return old

    def claim_name(
        self, room: str, name: str, connection_id: str, expires_at: int, replace_owner: str = ""
    ) -> str | None:
        key = (room, name_key(name))
        with self._lock:
            holder = self._claims.get(key)
            if holder is not None and holder not in (connection_id, replace_owner):
                return holder
            self._claims[key] = connection_id
            return None

    def release_name(self, room: str, name: str, connection_id: str) -> None:
        key = (room, name_key(name))
        with self._lock:
            if self._claims.get(key) == connection_id:
                del self._claims[key]

    def admit(self, connection_id: str, rate: float, burst: int, now_ms: int) -> Admission:
        with self._lock:
            record = self.rows.get(connection_id)
            if record is None:
                return Admission(None, False)
            return Admission(record, self._take(connection_id, rate, burst, now_ms))

    def _take(self, connection_id: str, rate: float, burst: int, now_ms: int) -> bool:
        tokens, refilled_at = self._buckets.get(connection_id, (None, 0))
        allowed, left = take(tokens, refilled_at, rate, burst, now_ms)
        self._buckets[connection_id] = (left, now_ms)
        return allowed

    def purge(self) -> int:
        """Forget every connection, claim and bucket; how many connections there were."""
        with self._lock:
            purged = len(self.rows)
            for index in (self.rows, self._rooms, self._hearing, self._names):
                index.clear()
            self._claims.clear()
            self._buckets.clear()
            return purged

    # -- reads: snapshots, which later changes do not touch -------------------------------
    def get(self, connection_id: str) -> ConnectionRecord | None:
        return self.rows.get(connection_id)

    def members(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        with self._lock:
            members = tuple(self._rooms.get(room, ()))
        return self._pages(members, page_size)

    def listeners(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        with self._lock:
            hearing = tuple(self._hearing.get(room, ()))
        return self._pages(hearing, page_size)

    def present(self, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        with self._lock:
            everyone = [r for members in self._rooms.values() for r in members]
        return self._pages(everyone, page_size)

    def named(self, name: str) -> list[ConnectionRecord]:
        with self._lock:
            found = list(self._names.get(name_key(name), ()))
        return sorted(found, key=_BY_ID)

    def _pages(
        self, records: tuple[ConnectionRecord, ...] | list[ConnectionRecord], page_size: int
    ) -> Iterator[ConnectionRecord]:
        """The records a page at a time, as a Query hands them over (fakes count the pages)."""
        for start in range(0, len(records), page_size):
            yield from records[start : start + page_size]


def _take_out(
    index: dict[str, list[ConnectionRecord]], room: str, record: ConnectionRecord
) -> None:
    """Remove ``record`` from its room's sorted list (found by binary search)."""
    members = index[room]
    del members[bisect_left(members, record.connection_id, key=_BY_ID)]
    if not members:
        del index[room]
