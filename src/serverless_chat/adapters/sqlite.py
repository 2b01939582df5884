"""The stores on an embedded SQLite file: the one-machine stand-in for DynamoDB.

It mirrors the DynamoDB tables: one SQL table holds the rows of every
ConnectionsTable the template declares, keyed by (table name, connectionId),
with indexes on room and name as the GSIs; name claims and messages have
tables of their own. Each thread gets its own sqlite3 connection (sqlite3
objects may not cross threads); WAL mode lets readers run beside the writer.
Writers in one process queue on a lock of their own rather than on SQLite's
busy handler, which sleeps in steps of up to 100 ms: with a few handlers
writing at once, that sleeping, not the writes, set the gateway's latency.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from serverless_chat.chat.limits import take
from serverless_chat.chat.model import MESSAGES_ONLY, name_key
from serverless_chat.errors import StoreError
from serverless_chat.ports import (
    Admission,
    ChatMessage,
    ConnectionRecord,
    DirectMessage,
    Move,
    Revision,
)

SCHEMA_VERSION = 5
# chat.model.hears_presence, in SQL: the partial index and the query that it serves share it.
_HEARS_PRESENCE = f"format != '{MESSAGES_ONLY}'"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS connections (
    table_name    TEXT    NOT NULL,
    connection_id TEXT    NOT NULL,
    connected_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    room          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    name_key      TEXT    NOT NULL,
    format        TEXT    NOT NULL,
    principal     TEXT    NOT NULL DEFAULT '',
    guest         TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (table_name, connection_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS connections_by_room ON connections (table_name, room, connection_id);
CREATE INDEX IF NOT EXISTS connections_hearing_presence
    ON connections (table_name, room, connection_id) WHERE {_HEARS_PRESENCE};
CREATE INDEX IF NOT EXISTS connections_by_name ON connections (table_name, name_key);
CREATE TABLE IF NOT EXISTS name_claims (
    table_name TEXT    NOT NULL,
    room       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL,
    owner      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (table_name, room, name_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS buckets (
    table_name    TEXT    NOT NULL,
    connection_id TEXT    NOT NULL,
    tokens        REAL    NOT NULL,
    refilled_at   INTEGER NOT NULL,
    PRIMARY KEY (table_name, connection_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    table_name TEXT    NOT NULL,
    room       TEXT    NOT NULL,
    sort_key   TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    sender     TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    sent_at    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    owner      TEXT    NOT NULL DEFAULT '',
    edited_at  INTEGER NOT NULL DEFAULT 0,
    deleted    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (table_name, room, sort_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS directs (
    table_name   TEXT    NOT NULL,
    conversation TEXT    NOT NULL,
    sort_key     TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    sender       TEXT    NOT NULL,
    recipient    TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    sent_at      INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    reader_a     TEXT    NOT NULL,
    reader_b     TEXT    NOT NULL,
    PRIMARY KEY (table_name, conversation, sort_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS directs_by_reader_a ON directs (table_name, reader_a, sort_key)
    WHERE reader_a != '';
CREATE INDEX IF NOT EXISTS directs_by_reader_b ON directs (table_name, reader_b, sort_key)
    WHERE reader_b != '';
"""
# Columns added to the messages table since it was first made: a file an earlier version
# wrote gets them (its messages: nobody's to edit, never edited, not deleted).
_ADDED_MESSAGE_COLUMNS = {
    "owner": "TEXT NOT NULL DEFAULT ''",
    "edited_at": "INTEGER NOT NULL DEFAULT 0",
    "deleted": "INTEGER NOT NULL DEFAULT 0",
}
_MESSAGE_COLUMNS = "id, room, sender, text, sent_at, expires_at, owner, edited_at, deleted"
_COLUMNS = "connection_id, connected_at, expires_at, room, name, format, principal, guest"
_DIRECT_COLUMNS = (
    "id, conversation, sender, recipient, text, sent_at, expires_at, reader_a, reader_b"
)


# The history is the users' messages: their owner's alone, whatever the umask.
PRIVATE_FILE_MODE = 0o600


def _make_private(path: str) -> None:
    """Create the database file 0600 before SQLite opens it (SQLite gives its -wal and -shm
    files the database file's mode), and take back what an older run left readable."""
    if path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE_MODE))
        for each in (path, f"{path}-wal", f"{path}-shm"):
            if os.path.exists(each) and os.stat(each).st_mode & 0o077:
                os.chmod(each, PRIVATE_FILE_MODE)
    except OSError as error:
        raise StoreError("open", f"{path}: {error}") from error


class SqliteDatabase:
    """One SQLite file, opened lazily once per thread."""

    def __init__(self, path: Path | str, busy_timeout_ms: int = 5000) -> None:
        self.path = str(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one writer at a time in this process
        _make_private(self.path)
        conn = self.connection()
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                # Older files held only live connections, which are purged at start anyway.
                conn.execute("DROP TABLE IF EXISTS connections")
            conn.executescript(_SCHEMA)
            present = {row[1] for row in conn.execute("PRAGMA table_info(messages)")}
            for column, declaration in _ADDED_MESSAGE_COLUMNS.items():
                if column not in present:
                    conn.execute(f"ALTER TABLE messages ADD COLUMN {column} {declaration}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as error:
            raise StoreError("open", f"{self.path}: {error}") from error

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit), opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self.path,
                    timeout=self._busy_timeout_ms / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as error:
                raise StoreError("open", f"{self.path}: {error}") from error
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def run(self, operation: str, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        """One statement; sqlite3's errors become StoreError naming the operation."""
        try:
            return self.connection().execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise StoreError(operation, str(error)) from error

    def write(self, operation: str, sql: str, params: tuple[object, ...]) -> int:
        """One write statement, its own transaction; how many rows it changed."""
        with self._write_lock:
            try:
                return self.connection().execute(sql, params).rowcount
            except sqlite3.Error as error:
                raise StoreError(operation, str(error)) from error

    @contextmanager
    def transaction(self, operation: str) -> Iterator[sqlite3.Connection]:
        """A read-then-write transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error)."""
        with self._write_lock:
            conn = self.connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                raise StoreError(operation, str(error)) from error

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class SqliteConnectionStore:
    """The rows of one logical ConnectionsTable inside a :class:`SqliteDatabase`."""

    def __init__(self, database: SqliteDatabase, table_name: str) -> None:
        self._db = database
        self.table_name = table_name

    @property
    def database(self) -> SqliteDatabase:
        """The file this table is in (what a tool or a test reads it with)."""
        return self._db

    def put(self, record: ConnectionRecord) -> None:
        self._db.write(
            "PutItem",
            "INSERT OR REPLACE INTO connections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.table_name,
                record.connection_id,
                record.connected_at,
                record.expires_at,
                record.room,
                record.name,
                name_key(record.name),
                record.format,
                record.principal,
                record.guest,
            ),
        )

    def identify(self, connection_id: str, guest: str) -> None:
        self._db.write(
            "UpdateItem",
            "UPDATE connections SET guest = ? WHERE table_name = ? AND connection_id = ?",
            (guest, self.table_name, connection_id),
        )

    def move(
        self, record: ConnectionRecord, *, room: str | None = None, name: str | None = None
    ) -> Move:
        """Read, check and write in one BEGIN IMMEDIATE transaction, as :meth:`delete_stale`
        does: no writer comes between the check and the write."""
        key = (self.table_name, record.connection_id)
        with self._db.transaction("UpdateItem") as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM connections WHERE table_name = ? AND connection_id = ?",
                key,
            ).fetchone()
            old = None if row is None else _record(row)
            if old is None or (old.room, old.name) != (record.room, record.name):
                return Move(old, False)
            new = old.moved(room, name)
            conn.execute(
                "UPDATE connections SET room = ?, name = ?, name_key = ?"
                " WHERE table_name = ? AND connection_id = ?",
                (new.room, new.name, name_key(new.name), *key),
            )
        return Move(new, True)

    def delete(self, connection_id: str) -> ConnectionRecord | None:
        """Read and delete in one transaction, the bucket with the row."""
        key = (self.table_name, connection_id)
        with self._db.transaction("DeleteItem") as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM connections WHERE table_name = ? AND connection_id = ?",
                key,
            ).fetchone()
            for table in ("connections", "buckets"):
                conn.execute(f"DELETE FROM {table} WHERE table_name = ? AND connection_id = ?", key)
        return None if row is None else _record(row)

    def delete_stale(self, connection_id: str, connected_before_ms: int) -> ConnectionRecord | None:
        """Read and delete in one BEGIN IMMEDIATE transaction, as :meth:`claim_name` does, so
        that no writer comes between the check and the delete; the bucket goes with the row,
        as in :meth:`delete`."""
        key = (self.table_name, connection_id)
        with self._db.transaction("DeleteItem") as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM connections WHERE table_name = ? AND connection_id = ?"
                " AND connected_at < ?",
                (*key, connected_before_ms),
            ).fetchone()
            if row is None:
                return None  # too young to be stale, or gone already
            for table in ("connections", "buckets"):
                conn.execute(f"DELETE FROM {table} WHERE table_name = ? AND connection_id = ?", key)
        return _record(row)

    def get(self, connection_id: str) -> ConnectionRecord | None:
        rows = self._db.run(
            "GetItem",
            f"SELECT {_COLUMNS} FROM connections WHERE table_name = ? AND connection_id = ?",
            (self.table_name, connection_id),
        )
        return _record(rows[0]) if rows else None

    def _pages(
        self, where: str, params: tuple[object, ...], page_size: int
    ) -> Iterator[ConnectionRecord]:
        # Keyset pagination, like DynamoDB's LastEvaluatedKey: no page holds a lock. Each
        # page comes back as one JSON row: sqlite3 lets go of the GIL at every row it steps
        # to, and in the gateway each of those hand-overs is a thread switch on the hot path.
        after = ""
        while True:
            found = self._db.run(
                "Query",
                f"SELECT json_group_array(json_array({_COLUMNS})) FROM"
                f" (SELECT {_COLUMNS} FROM connections WHERE table_name = ? {where}"
                " AND connection_id > ? ORDER BY connection_id LIMIT ?)",
                (self.table_name, *params, after, page_size),
            )
            rows = json.loads(str(found[0][0]))
            for row in rows:
                yield ConnectionRecord._make(row)
            if len(rows) < page_size:
                return
            after = max(str(row[0]) for row in rows)

    def members(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        return self._pages("AND room = ?", (room,), page_size)

    def listeners(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        return self._pages(f"AND room = ? AND {_HEARS_PRESENCE}", (room,), page_size)

    def present(self, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        return self._pages("", (), page_size)

    def named(self, name: str) -> list[ConnectionRecord]:
        rows = self._db.run(
            "Query",
            f"SELECT {_COLUMNS} FROM connections WHERE table_name = ? AND name_key = ?"
            " ORDER BY connection_id",
            (self.table_name, name_key(name)),
        )
        return [_record(row) for row in rows]

    def claim_name(
        self, room: str, name: str, connection_id: str, expires_at: int, replace_owner: str = ""
    ) -> str | None:
        key = (self.table_name, room, name_key(name))
        with self._db.transaction("PutItem") as conn:
            row = conn.execute(
                "SELECT owner FROM name_claims WHERE table_name = ? AND room = ? AND name_key = ?",
                key,
            ).fetchone()
            holder = None if row is None else str(row[0])
            if holder is not None and holder not in (connection_id, replace_owner):
                return holder
            conn.execute(
                "INSERT OR REPLACE INTO name_claims VALUES (?, ?, ?, ?, ?)",
                (*key, connection_id, expires_at),
            )
        return None

    def release_name(self, room: str, name: str, connection_id: str) -> None:
        self._db.write(
            "DeleteItem",
            "DELETE FROM name_claims WHERE table_name = ? AND room = ? AND name_key = ?"
            " AND owner = ?",
            (self.table_name, room, name_key(name), connection_id),
        )

    def admit(self, connection_id: str, rate: float, burst: int, now_ms: int) -> Admission:
        """The row and the token in one BEGIN IMMEDIATE transaction."""
        with self._db.transaction("UpdateItem") as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM connections WHERE table_name = ? AND connection_id = ?",
                (self.table_name, connection_id),
            ).fetchone()
            if row is None:
                return Admission(None, False)
            return Admission(_record(row), self._take(conn, connection_id, rate, burst, now_ms))

    def _take(
        self, conn: sqlite3.Connection, connection_id: str, rate: float, burst: int, now_ms: int
    ) -> bool:
        key = (self.table_name, connection_id)
        row = conn.execute(
            "SELECT tokens, refilled_at FROM buckets WHERE table_name = ? AND connection_id = ?",
            key,
        ).fetchone()
        allowed, left = take(
            None if row is None else float(row[0]),
            0 if row is None else int(row[1]),
            rate,
            burst,
            now_ms,
        )
        conn.execute("INSERT OR REPLACE INTO buckets VALUES (?, ?, ?, ?)", (*key, left, now_ms))
        return allowed

    def purge(self) -> int:
        """Delete every connection and name claim; the gateway does this at start."""
        purged = self._db.write(
            "Purge", "DELETE FROM connections WHERE table_name = ?", (self.table_name,)
        )
        self._db.write("Purge", "DELETE FROM name_claims WHERE table_name = ?", (self.table_name,))
        self._db.write("Purge", "DELETE FROM buckets WHERE table_name = ?", (self.table_name,))
        return purged


class SqliteMessageStore:
    """The rows of one logical MessagesTable, and of its DirectMessagesTable (``direct_table``);
    expired rows are skipped, as TTL would remove them."""

    def __init__(self, database: SqliteDatabase, table_name: str, direct_table: str = "") -> None:
        self._db = database
        self.table_name = table_name
        self.direct_table = direct_table

    def append(self, message: ChatMessage) -> None:
        self._db.write(
            "PutItem",
            f"INSERT OR REPLACE INTO messages (table_name, sort_key, {_MESSAGE_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.table_name, message.sort_key, *message[:8], int(message.deleted)),
        )

    def latest(self, room: str, limit: int, before: str | None = None) -> list[ChatMessage]:
        rows = self._db.run(
            "Query",
            f"SELECT {_MESSAGE_COLUMNS} FROM messages"
            " WHERE table_name = ? AND room = ? AND sort_key < ?"
            " AND (expires_at = 0 OR expires_at > ?) ORDER BY sort_key DESC LIMIT ?",
            (self.table_name, room, before or "~", int(time.time()), limit),
        )
        return [_message(row) for row in rows]

    def append_direct(self, message: DirectMessage) -> None:
        first, second = (*message.readers, "", "")[:2]
        self._db.write(
            "PutItem",
            f"INSERT OR REPLACE INTO directs (table_name, sort_key, {_DIRECT_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.direct_table, message.sort_key, *message[:7], first, second),
        )

    def directs(
        self, reader: str, limit: int, before: str | None = None, conversation: str | None = None
    ) -> list[DirectMessage]:
        where = "" if conversation is None else " AND conversation = ?"
        rows = self._db.run(
            "Query",
            f"SELECT {_DIRECT_COLUMNS} FROM directs"
            " WHERE table_name = ? AND (reader_a = ? OR reader_b = ?) AND sort_key < ?"
            f" AND (expires_at = 0 OR expires_at > ?){where} ORDER BY sort_key DESC LIMIT ?",
            (
                self.direct_table,
                reader,
                reader,
                before or "~",
                int(time.time()),
                *(() if conversation is None else (conversation,)),
                limit,
            ),
        )
        return [_direct(row) for row in rows]

    def revise(
        self, room: str, sort_key: str, owner: str, text: str | None, at_ms: int
    ) -> Revision:
        where = " WHERE table_name = ? AND room = ? AND sort_key = ?"
        key = (self.table_name, room, sort_key)
        with self._db.transaction("UpdateItem") as conn:
            found = conn.execute(f"SELECT {_MESSAGE_COLUMNS} FROM messages{where}", key).fetchall()
            if not found:
                return Revision(None, False)
            message = _message(found[0])
            if not message.owner or message.owner != owner or message.deleted:
                return Revision(message, False)
            revised = message._replace(text=text or "", edited_at=at_ms, deleted=text is None)
            conn.execute(
                f"UPDATE messages SET text = ?, edited_at = ?, deleted = ?{where}",
                (revised.text, at_ms, int(revised.deleted), *key),
            )
        return Revision(revised, True)

    def expire(self) -> int:
        """Delete rows whose TTL has passed (messages and direct messages)."""
        now = int(time.time())
        return sum(
            self._db.write(
                "Expire",
                f"DELETE FROM {table} WHERE table_name = ? AND expires_at > 0 AND expires_at <= ?",
                (name, now),
            )
            for table, name in (("messages", self.table_name), ("directs", self.direct_table))
        )


def _message(row: tuple[object, ...]) -> ChatMessage:
    """A messages row (its _MESSAGE_COLUMNS) as a message."""
    i, room, sender, text, sent_at, expires_at, owner, edited_at, deleted = row
    return ChatMessage(
        str(i),
        str(room),
        str(sender),
        str(text),
        int(str(sent_at)),
        int(str(expires_at)),
        str(owner),
        int(str(edited_at)),
        bool(deleted),
    )


def _direct(row: tuple[object, ...]) -> DirectMessage:
    """A directs row (its _DIRECT_COLUMNS) as a direct message."""
    i, conversation, sender, to, text, sent_at, expires_at, first, second = row
    return DirectMessage(
        str(i),
        str(conversation),
        str(sender),
        str(to),
        str(text),
        int(str(sent_at)),
        int(str(expires_at)),
        tuple(str(r) for r in (first, second) if r),
    )


def _record(row: tuple[object, ...]) -> ConnectionRecord:
    """A row as a record: the columns are declared in the record's order and types."""
    return ConnectionRecord._make(row)
