"""Capture mode (``pytest tests/targets --capture-events``, on a deployed stage): the events
each scenario's connections received, written as JSON fixtures under
tests/fixtures/captures/<date>-<region>/<scenario>.json, each file naming its date, region and
scenario. The client's own address is replaced by a documentation address (RFC 5737), so no
one's IP lands in the repository."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from tests.targets.targets import Target

DOCUMENTATION_ADDRESS = "192.0.2.1"
CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "captures"


def folder(root: Path, day: date, region: str) -> Path:
    """Where one day's captures of one region go."""
    return root / f"{day.isoformat()}-{region}"


def redacted(event: Mapping[str, Any]) -> dict[str, Any]:
    """``event`` with the client's address (identity.sourceIp, X-Forwarded-For) replaced."""
    copy: dict[str, Any] = json.loads(json.dumps(event))
    identity = copy.get("requestContext", {}).get("identity")
    if isinstance(identity, dict) and "sourceIp" in identity:
        identity["sourceIp"] = DOCUMENTATION_ADDRESS
    for key in ("headers", "multiValueHeaders"):
        headers = copy.get(key)
        if isinstance(headers, dict) and "X-Forwarded-For" in headers:
            value = DOCUMENTATION_ADDRESS
            headers["X-Forwarded-For"] = [value] if key == "multiValueHeaders" else value
    return copy


def document(
    scenario: str, day: date, region: str, target: str, events: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """One capture file's content."""
    return {
        "scenario": scenario,
        "date": day.isoformat(),
        "region": region,
        "target": target,
        "events": [redacted(e) for e in events],
    }


def capture(target: Target, scenario: str, day: date, root: Path = CAPTURES) -> Path | None:
    """Write every event of the connections ``scenario`` looked at on ``target`` (all of each,
    read again now, so a $disconnect that came after the look is kept); None when it looked
    at none."""
    connections = list(dict.fromkeys(e["requestContext"]["connectionId"] for e in target.recorded))
    if not connections:
        return None
    events = [e for c in connections for e in target.events(c)]
    path = folder(root, day, target.region) / f"{scenario}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    content = document(scenario, day, target.region, target.name, events)
    path.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    return path
