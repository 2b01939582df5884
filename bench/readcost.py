"""Read cost: a message to a room of 10 while 10,000 other connections sit in other rooms.

Counts the items the store hands back for one sendMessage, on SQLite, in memory (the local
gateway's store) and on DynamoDB
(moto, where ReturnConsumedCapacity is not modelled, so items are counted the same way),
against the baseline of the original design — a Scan of the whole table — measured in
the same run.

    python bench/readcost.py [--others 10000] [--room 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.stores import every_row

from serverless_chat.adapters.memory import MemoryConnectionStore
from serverless_chat.adapters.sqlite import (
    SqliteConnectionStore,
    SqliteDatabase,
    SqliteMessageStore,
)
from serverless_chat.chat.actions import BY_KEY
from serverless_chat.chat.model import open_connection
from serverless_chat.chat.protocol import decode_body
from serverless_chat.chat.service import Chat, ChatSettings
from serverless_chat.loadgen.results import write_json
from serverless_chat.ports import ConnectionInfo, ConnectionRecord


class Counting:
    """A store wrapper that counts the records its reads return."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.items = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.store, name)
        if name not in {"members", "listeners", "named"}:
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Iterator[ConnectionRecord]:
            for record in attribute(*args, **kwargs):
                self.items += 1
                yield record

        return counted


class Quiet:
    def post(self, connection_id: str, data: bytes) -> None:
        pass

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
        return {}

    def info(self, connection_id: str) -> ConnectionInfo:
        raise NotImplementedError

    def close(self, connection_id: str) -> None:
        pass


def measure(store: Any, messages: Any, others: int, room: int) -> dict[str, int]:
    for i in range(others):
        store.put(open_connection(f"o{i:06d}", 0, room=f"r{i % 500}", name=f"o{i}"))
    for i in range(room):
        store.put(open_connection(f"m{i:03d}", 0, room="small", name=f"m{i}"))
    counting = Counting(store)
    chat = Chat(
        counting,
        messages,
        Quiet(),
        ChatSettings(rate_per_second=1000, burst=1000),
    )
    chat.request("m000", BY_KEY["sendMessage"], decode_body('{"message": "hi"}'))
    return {
        "items_read_per_message": counting.items,
        "items_in_a_full_scan": len(every_row(store)),  # what the original design's Scan reads
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--others", type=int, default=10_000)
    parser.add_argument("--room", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        db = SqliteDatabase(Path(folder) / "chat.sqlite3")
        results["sqlite"] = measure(
            SqliteConnectionStore(db, "c"), SqliteMessageStore(db, "m"), args.others, args.room
        )
        results["memory"] = measure(  # the local gateway's own (rooms indexed, as the GSI)
            MemoryConnectionStore(), SqliteMessageStore(db, "m2"), args.others, args.room
        )
    os.environ.update(
        AWS_ACCESS_KEY_ID="t", AWS_SECRET_ACCESS_KEY="t", AWS_DEFAULT_REGION="us-east-1"
    )
    from moto import mock_aws
    from tests.contract.test_connection_store import (
        create_connections_table,
        create_messages_table,
        dynamodb_client,
    )

    from serverless_chat.adapters.dynamodb import DynamoDbConnectionStore, DynamoDbMessageStore

    with mock_aws():
        client = dynamodb_client()
        create_connections_table(client, "c")
        create_messages_table(client, "m")
        results["dynamodb"] = measure(
            DynamoDbConnectionStore(client, "c"),
            DynamoDbMessageStore(client, "m"),
            args.others,
            args.room,
        )
    for store, row in results.items():
        ratio = row["items_read_per_message"] / row["items_in_a_full_scan"]
        print(
            f"{store:9} items read for one message: {row['items_read_per_message']:6}   "
            f"a full scan (baseline): {row['items_in_a_full_scan']:6}   ratio {ratio:.4f}"
        )
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
