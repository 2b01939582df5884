"""ConnectionStore on an embedded SQLite file: the one-machine store.

It mirrors the DynamoDB table: one SQL table holds the rows of every
DynamoDB table the template declares, keyed by (table name, connectionId).
Each thread gets its own sqlite3 connection (sqlite3 objects may not cross
threads); WAL mode lets readers run beside the one writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from serverless_chat.errors import StoreError
from serverless_chat.ports import ConnectionRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS connections (
    table_name    TEXT    NOT NULL,
    connection_id TEXT    NOT NULL,
    connected_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    PRIMARY KEY (table_name, connection_id)
) WITHOUT ROWID;
"""


class SqliteDatabase:
    """One SQLite file, opened lazily once per thread."""

    def __init__(self, path: Path | str, busy_timeout_ms: int = 5000) -> None:
        self.path = str(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self.connection() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

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

    def _run(
        self, operation: str, sql: str, params: tuple[object, ...]
    ) -> list[tuple[object, ...]]:
        try:
            return self._db.connection().execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise StoreError(operation, str(error)) from error

    def put(self, record: ConnectionRecord) -> None:
        self._run(
            "PutItem",
            "INSERT OR REPLACE INTO connections VALUES (?, ?, ?, ?)",
            (self.table_name, record.connection_id, record.connected_at, record.expires_at),
        )

    def delete(self, connection_id: str) -> None:
        self._run(
            "DeleteItem",
            "DELETE FROM connections WHERE table_name = ? AND connection_id = ?",
            (self.table_name, connection_id),
        )

    def get(self, connection_id: str) -> ConnectionRecord | None:
        rows = self._run(
            "GetItem",
            "SELECT connection_id, connected_at, expires_at FROM connections"
            " WHERE table_name = ? AND connection_id = ?",
            (self.table_name, connection_id),
        )
        return _record(rows[0]) if rows else None

    def scan(self, page_size: int = 100) -> Iterator[ConnectionRecord]:
        # Keyset pagination, like DynamoDB's LastEvaluatedKey: no page holds a lock.
        after = ""
        while True:
            rows = self._run(
                "Scan",
                "SELECT connection_id, connected_at, expires_at FROM connections"
                " WHERE table_name = ? AND connection_id > ? ORDER BY connection_id LIMIT ?",
                (self.table_name, after, page_size),
            )
            for row in rows:
                yield _record(row)
            if len(rows) < page_size:
                return
            after = str(rows[-1][0])

    def purge(self) -> int:
        """Delete every row; the gateway does this at start, since those sockets are gone."""
        try:
            cursor = self._db.connection().execute(
                "DELETE FROM connections WHERE table_name = ?", (self.table_name,)
            )
        except sqlite3.Error as error:
            raise StoreError("Purge", str(error)) from error
        return cursor.rowcount


def _record(row: tuple[object, ...]) -> ConnectionRecord:
    connection_id, connected_at, expires_at = row
    return ConnectionRecord(str(connection_id), int(str(connected_at)), int(str(expires_at)))
