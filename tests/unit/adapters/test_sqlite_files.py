"""The SQLite file and its -wal and -shm are their owner's alone (issue 25)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from serverless_chat.adapters.sqlite import SqliteDatabase, SqliteMessageStore
from serverless_chat.ports import ChatMessage


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_wal_and_shm_are_created_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "chat.sqlite3"
        store = SqliteMessageStore(SqliteDatabase(path), "messages")
        store.append(ChatMessage("m1", "lobby", "ana", "hi", 1, 0))
    finally:
        os.umask(old)
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    assert all(each.exists() for each in files)
    assert {each.name: _mode(each) for each in files} == {each.name: 0o600 for each in files}


def test_a_file_an_older_run_left_readable_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    SqliteDatabase(path)
    path.chmod(0o644)
    SqliteDatabase(path)
    assert _mode(path) == 0o600
