"""Capture mode's writing, with a fake target (no AWS here: the mode itself has not been run
against a deployed stage). The files are what the suite would write for a stage in a region
on a day: one a scenario, every event of the connections the scenario looked at, with the
date, region and target in the file, the client's address replaced."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from tests.targets import capture
from tests.targets.targets import AWS, Target


class FakeEvents:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self._events = events

    def events(self) -> list[dict[str, Any]]:
        return self._events


def _event(connection: str, route: str, ip: str = "203.0.113.9") -> dict[str, Any]:
    event: dict[str, Any] = {
        "requestContext": {
            "connectionId": connection,
            "routeKey": route,
            "identity": {"sourceIp": ip, "userAgent": "t/1"},
        }
    }
    if route == "$connect":
        event["headers"] = {"X-Forwarded-For": ip, "Host": "h"}
        event["multiValueHeaders"] = {"X-Forwarded-For": [ip], "Host": ["h"]}
    return event


def _target(events: list[dict[str, Any]]) -> Target:
    return Target(AWS, "wss://x/test", lambda: None, FakeEvents(events), region="eu-west-3")


def test_a_scenario_capture_is_written_under_its_date_and_region(tmp_path: Path) -> None:
    events = [
        _event("a", "$connect"),
        _event("b", "$connect"),
        _event("a", "chat/join"),
        _event("a", "$disconnect"),
    ]
    target = _target(events)
    target.recorded.append(events[0])  # what the scenario looked at: connection a's $connect

    path = capture.capture(target, "close-code-reason", date(2026, 12, 7), tmp_path)

    assert path == tmp_path / "2026-12-07-eu-west-3" / "close-code-reason.json"
    written = json.loads(path.read_text())
    assert written["date"] == "2026-12-07"
    assert written["region"] == "eu-west-3"
    assert written["scenario"] == "close-code-reason"
    assert written["target"] == AWS
    # connection a's every event, the $disconnect that came after the look included
    assert [e["requestContext"]["routeKey"] for e in written["events"]] == [
        "$connect",
        "chat/join",
        "$disconnect",
    ]
    assert "203.0.113.9" not in path.read_text()
    connect = written["events"][0]
    assert connect["requestContext"]["identity"]["sourceIp"] == capture.DOCUMENTATION_ADDRESS
    assert connect["headers"]["X-Forwarded-For"] == capture.DOCUMENTATION_ADDRESS
    assert connect["multiValueHeaders"]["X-Forwarded-For"] == [capture.DOCUMENTATION_ADDRESS]
    assert events[0]["requestContext"]["identity"]["sourceIp"] == "203.0.113.9"  # not mutated


def test_a_scenario_that_looked_at_no_connection_writes_nothing(tmp_path: Path) -> None:
    target = _target([_event("a", "$connect")])
    assert capture.capture(target, "subprotocol", date(2026, 12, 7), tmp_path) is None
    assert list(tmp_path.iterdir()) == []
