"""The targets one suite runs on, each serving tests/fixtures/recorder: the local gateway
(``serve``), MiniStack, and a deployed stage (opt-in). A scenario sees only a ``Target``: where
clients connect, a callback API client, and the events the recorder received."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

SERVE = "serve"
MINISTACK = "ministack"
AWS = "aws"
TARGETS = (SERVE, MINISTACK, AWS)
TITLES = {SERVE: "serve (local gateway)", MINISTACK: "MiniStack", AWS: "deployed stage"}


class EventSource(Protocol):
    """Where one target's recorder writes its events down."""

    def events(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class FileEvents:
    """A JSON line an event, in a file on this machine (serve, MiniStack)."""

    path: Path

    def events(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.endswith("}")]  # not one half-written


@dataclass(frozen=True)
class TableEvents:
    """An item an event, in the deployed stack's Records table (read with a scan: the table
    holds one test session's events)."""

    dynamodb: Any
    table: str

    def events(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.dynamodb.get_paginator("scan").paginate(
            TableName=self.table, ConsistentRead=True
        ):
            items.extend(page["Items"])
        items.sort(key=lambda item: item["received"]["S"])
        return [json.loads(item["event"]["S"]) for item in items]


@dataclass
class Target:
    """One target serving the recorder: ``url`` (ws:// or wss://, the stage's), a callback
    API client (boto3's ``apigatewaymanagementapi``), the recorded events, and how long to
    wait for what will come (``patience``, seconds) and how often to look (``poll``);
    ``recorded``, the events looked at."""

    name: str
    url: str
    management: Callable[[], Any]
    source: EventSource
    region: str = "us-east-1"
    patience: float = 30.0
    poll: float = 0.1  # how often the record is read while waiting
    recorded: list[dict[str, Any]] = field(default_factory=list)

    def for_scenario(self) -> Target:
        """The same target with a ``recorded`` list of its own: the events one scenario
        looked at, while others run beside it."""
        return replace(self, recorded=[])

    def events(self, connection_id: str) -> list[dict[str, Any]]:
        """Every event of one connection, in the order they were recorded."""
        return [
            e for e in self.source.events() if e["requestContext"]["connectionId"] == connection_id
        ]

    async def connect_event(self, probe: str) -> dict[str, Any] | None:
        """The $connect event of the handshake whose query string has ``probe=PROBE``, or
        None when none is recorded within ``patience``."""

        def find() -> dict[str, Any] | None:
            for event in self.source.events():
                query = event.get("queryStringParameters") or {}
                if (
                    event["requestContext"]["routeKey"] == "$connect"
                    and query.get("probe") == probe
                ):
                    return event
            return None

        return await self._until(find)

    async def event(
        self, connection_id: str, route_key: str, count: int = 1
    ) -> dict[str, Any] | None:
        """The ``count``-th event of ``route_key`` on a connection, or None when it is not
        recorded within ``patience``."""

        def find() -> dict[str, Any] | None:
            found = [
                e
                for e in self.events(connection_id)
                if e["requestContext"]["routeKey"] == route_key
            ]
            return found[count - 1] if len(found) >= count else None

        return await self._until(find)

    async def _until(self, find: Callable[[], Mapping[str, Any] | None]) -> dict[str, Any] | None:
        deadline = time.monotonic() + self.patience
        while True:
            found = await asyncio.to_thread(find)
            if found is not None:
                self.recorded.append(dict(found))
                return dict(found)
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(self.poll)
