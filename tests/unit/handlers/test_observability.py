"""The Lambda entry: JSON log lines with the invocation's ids, one EMF line per invocation."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from serverless_chat.adapters.metrics import EmbeddedMetrics
from serverless_chat.chat.model import open_connection
from serverless_chat.handlers import logs
from serverless_chat.handlers.dependencies import Dependencies, lambda_entry
from serverless_chat.handlers.send_message import build_handler
from tests.conftest import EventFactory
from tests.fakes import FakeConnections, MemoryConnectionStore, MemoryMessageStore


class Context:
    aws_request_id = "req-123"


@pytest.fixture
def captured() -> Any:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers = [logging.StreamHandler(stream)]
    yield stream
    root.handlers, level = saved
    root.setLevel(level)


def test_logs_are_json_with_request_connection_and_route(
    captured: io.StringIO, make_event: EventFactory
) -> None:
    lines: list[str] = []
    store = MemoryConnectionStore()
    connections = FakeConnections("a", "b")
    for cid in ("a", "b"):
        store.put(open_connection(cid, 0))
    connections.open.discard("b")  # b is gone: the fan-out logs it and counts it

    def dependencies(env: Any) -> Dependencies:
        metrics = EmbeddedMetrics("ServerlessChat", {"Stage": "production"}, lines.append)
        return Dependencies(
            store,
            MemoryMessageStore(),
            lambda _: connections,
            metrics=metrics,
        )

    handler = lambda_entry(build_handler, dependencies)
    handler(make_event("a", "sendMessage", '{"message": "hi"}'), Context())
    records = [json.loads(line) for line in captured.getvalue().splitlines()]
    gone = next(r for r in records if "is gone" in r["message"])
    assert gone["requestId"] == "req-123"
    assert gone["connectionId"] == "a"
    assert gone["route"] == "sendMessage"
    assert gone["level"] == "INFO"
    (metrics_line,) = lines
    emf = json.loads(metrics_line)
    assert (emf["MessagesSent"], emf["StaleConnectionsRemoved"], emf["Deliveries"]) == (1, 1, 0)
    handler(make_event("a", "sendMessage", "not json"), Context())
    assert len(lines) == 2  # one line per invocation, errors included


def test_the_formatter_keeps_extra_fields_and_exceptions() -> None:
    record = logging.makeLogRecord(
        {"msg": "x %s", "args": ("y",), "levelname": "ERROR", "name": "t", "roomSize": 12}
    )
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["message"] == "x y"
    assert entry["roomSize"] == 12
