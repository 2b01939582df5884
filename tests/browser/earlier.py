"""Messages said on earlier days, written into a served gateway's history file.

A gateway stamps each message with its own clock, so a page can only show a day separator
("Yesterday", a date) for messages that were kept with an earlier ``sentAt``: these are
written where the gateway keeps history (its state folder's SQLite file, the table its
own messages went to), as they would stand after a day of chatting. The room must have
one message said through the gateway first, so that the table is known.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from pathlib import Path

from serverless_chat.adapters.sqlite import SqliteDatabase, SqliteMessageStore
from serverless_chat.ports import ChatMessage

DAY_MS = 24 * 60 * 60 * 1000


def keep_earlier(state_dir: Path, room: str, said: Sequence[tuple[str, str, int]]) -> None:
    """Keep ``said`` — (name, text, sentAt in epoch ms) — in ``room``'s history."""
    database = SqliteDatabase(state_dir / "chat.sqlite3")
    try:
        rows = database.run(
            "Query", "SELECT DISTINCT table_name FROM messages WHERE room = ?", (room,)
        )
        (table,) = [str(row[0]) for row in rows]
        store = SqliteMessageStore(database, table)
        expires = int(time.time()) + 7 * 24 * 3600
        for i, (name, text, sent_at) in enumerate(said):
            message_id = f"{sent_at:013d}{i:03d}{secrets.token_hex(3)}"
            store.append(ChatMessage(message_id, room, name, text, sent_at, expires))
    finally:
        database.close()
