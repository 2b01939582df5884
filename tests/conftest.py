"""Shared fixtures: events shaped as API Gateway's, and the project's paths."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from serverless_chat.routes import MOCK_ROUTE_KEYS, ROUTE_KEYS

# The local gateway's pytest plugin: its pytest11 entry point registers it once the package is
# installed from this pyproject.toml; an install made before the entry point existed needs it
# named here (both at once would register it twice).
if not any(ep.value == "local_gateway.testing.plugin" for ep in entry_points(group="pytest11")):
    pytest_plugins = ["local_gateway.testing.plugin"]

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Every route of infra/template.yaml: the function table's and the MOCK ones (the
# least-privilege test keeps its own list, by hand).
CHAT_ROUTES = frozenset(ROUTE_KEYS + MOCK_ROUTE_KEYS)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("targets", "the suite run on three targets (tests/targets)")
    group.addoption(
        "--regenerate-targets-table",
        action="store_true",
        help="rewrite docs/local-gateway.md's per-target table from what tests/targets finds on"
        " the targets it can run, instead of failing where the committed table differs",
    )
    group.addoption(
        "--capture-events",
        action="store_true",
        help="write the events a deployed stage delivers to each scenario as JSON fixtures"
        " under tests/fixtures/captures/<date>-<region>/ (with SERVERLESS_CHAT_AWS_TESTS=1)",
    )


def load_event(name: str) -> dict[str, Any]:
    """A recorded event from tests/fixtures/events by name ("powertools/...", its SOURCES.md)."""
    result: dict[str, Any] = json.loads((FIXTURES / "events" / f"{name}.json").read_text())
    return result


EventFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def make_event() -> EventFactory:
    """Build a MESSAGE/CONNECT/DISCONNECT event for a connection id, from the recorded shapes."""

    def make(
        connection_id: str,
        route_key: str = "sendMessage",
        body: str | None = None,
    ) -> dict[str, Any]:
        name = {
            "$connect": "powertools/apiGatewayWebSocketApiConnect",
            "$disconnect": "powertools/apiGatewayWebSocketApiDisconnect",
        }.get(route_key, "powertools/apiGatewayWebSocketApiMessage")
        event = load_event(name)
        event["requestContext"]["connectionId"] = connection_id
        event["requestContext"]["routeKey"] = route_key
        if body is not None:
            event["body"] = body
        return event

    return make
