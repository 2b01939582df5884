"""Every store adapter, made for a test: the one matrix the contract suites and the chat's
own tests run on. DynamoDB's tables (on moto) are made from infra/template.yaml's own
definitions, never retyped here."""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import boto3
from moto import mock_aws

from local_gateway.aws.dynamodb.tables import create_table
from local_gateway.template.model import TableSpec, read_api
from serverless_chat.adapters import memory
from serverless_chat.adapters.dynamodb import DynamoDbConnectionStore, DynamoDbMessageStore
from serverless_chat.adapters.sqlite import (
    SqliteConnectionStore,
    SqliteDatabase,
    SqliteMessageStore,
)
from serverless_chat.ports import ConnectionRecord, MaintainedConnectionStore, MessageStore
from tests import fakes
from tests.conftest import TEMPLATE

# "memory" is the local gateway's connection store, "fake" the tests' one built on it (it
# injects faults and counts reads); both keep messages in the tests' in-memory fake.
CONNECTION_STORES = ("memory", "fake", "sqlite", "dynamodb")
MESSAGE_STORES = ("memory", "sqlite", "dynamodb")  # one in-memory message store: the fake
# Both stores on one backend, as a chat uses them ("fake": failures can be injected).
BACKENDS = ("fake", "sqlite", "dynamodb")


class Stores(NamedTuple):
    connections: MaintainedConnectionStore
    messages: MessageStore


def dynamodb_client() -> Any:
    """A DynamoDB client for moto (call inside mock_aws)."""
    return boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


class OneRequestAtATime:
    """A DynamoDB client whose requests each run alone.

    DynamoDB applies every request atomically (a conditional write's check and write cannot
    be split by another writer); moto checks then writes without a lock, so two threads can
    both pass the same condition. Serialising whole requests, and never the gap between two
    of them, gives moto DynamoDB's guarantee and nothing more: the store's read-then-write
    races still happen and its optimistic retries are still what keeps them honest.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return one_at_a_time


@functools.cache
def _template_tables() -> dict[str, TableSpec]:
    return read_api(TEMPLATE).tables


def create_template_table(client: Any, logical_id: str, name: str) -> None:
    """A table as infra/template.yaml declares it — read from the template, not retyped:
    keys, attributes, indexes and their projections (moto honours INCLUDE, so a store
    that read an attribute its index does not project would fail here), and TTL."""
    create_table(client, dataclasses.replace(_template_tables()[logical_id], name=name))


def create_connections_table(client: Any, name: str) -> None:
    """The ConnectionsTable as infra/template.yaml declares it."""
    create_template_table(client, "ConnectionsTable", name)


def create_messages_table(client: Any, name: str, direct_table: str = "") -> None:
    """The MessagesTable as infra/template.yaml declares it (and its DirectMessagesTable,
    when ``direct_table`` names one)."""
    create_template_table(client, "MessagesTable", name)
    if direct_table:
        create_template_table(client, "DirectMessagesTable", direct_table)


@contextmanager
def stores(kind: str, tmp_path: Path) -> Iterator[Stores]:
    """The connection and message stores of one adapter of the matrix, fresh and empty."""
    if kind == "memory":
        yield Stores(memory.MemoryConnectionStore(), fakes.MemoryMessageStore())
    elif kind == "fake":
        yield Stores(fakes.MemoryConnectionStore(), fakes.MemoryMessageStore())
    elif kind == "sqlite":
        database = SqliteDatabase(tmp_path / "chat.sqlite3")
        yield Stores(
            SqliteConnectionStore(database, "connections"),
            SqliteMessageStore(database, "messages", "directs"),
        )
        database.close()
    elif kind == "dynamodb":
        with mock_aws():
            client = dynamodb_client()
            create_connections_table(client, "connections")
            create_messages_table(client, "messages", "directs")
            atomic = OneRequestAtATime(client)
            yield Stores(
                DynamoDbConnectionStore(atomic, "connections"),
                DynamoDbMessageStore(atomic, "messages", "directs"),
            )
    else:
        raise ValueError(f"no such store adapter: {kind}")


def every_row(store: Any) -> list[ConnectionRecord]:
    """Every connection a store holds, by id: a whole-table read, which no function makes
    (fan-out reads a room's members), read here as each backend keeps its rows."""
    if isinstance(store, memory.MemoryConnectionStore):
        rows = list(store.rows.values())
    elif isinstance(store, SqliteConnectionStore):
        found = store.database.run(
            "Scan",
            "SELECT connection_id, connected_at, expires_at, room, name, format, principal,"
            " guest FROM connections WHERE table_name = ?",
            (store.table_name,),
        )
        rows = [ConnectionRecord._make(row) for row in found]
    elif isinstance(store, DynamoDbConnectionStore):
        pages = store.client.get_paginator("scan").paginate(TableName=store.table_name)
        items = [item for page in pages for item in page["Items"]]
        rows = [_connection(item) for item in items if "connectedAt" in item]  # not claims
    else:
        raise TypeError(f"no whole-table read for {type(store).__name__}")
    return sorted(rows, key=lambda record: record.connection_id)


def _connection(item: dict[str, Any]) -> ConnectionRecord:
    def text(key: str) -> str:
        return str(item.get(key, {}).get("S", ""))

    return ConnectionRecord(
        item["connectionId"]["S"],
        int(item["connectedAt"]["N"]),
        int(item.get("expiresAt", {}).get("N", "0")),
        text("room"),
        text("name"),
        text("format") or "raw",
        text("principal"),
        text("guest"),
    )
