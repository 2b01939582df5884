"""Every ```example block of docs/protocol.md, run against a live gateway."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import ROOT, TEMPLATE
from tests.integration.conftest import receives_nothing, recv, start_gateway

DOC = ROOT / "docs" / "protocol.md"
BLOCK = re.compile(r"```example\n(.*?)```", re.S)
ANY = "…"
# "{{name}}" in an expected frame matches anything and keeps it; {{name}} in a sent frame is
# that value (as JSON): how an example sends back the id of a message it got.
BOUND = re.compile(r"\{\{(\w+)\}\}")


def examples() -> list[str]:
    return BLOCK.findall(DOC.read_text())


def matches(expected: Any, actual: Any, bound: dict[str, Any] | None = None) -> bool:
    """Equal, where the expected value "…" stands for anything and "{{name}}" for anything,
    kept in ``bound`` under that name."""
    if expected == ANY:
        return True
    if isinstance(expected, str) and (name := BOUND.fullmatch(expected)):
        if bound is not None:
            bound[name[1]] = actual
        return True
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(matches(v, actual[k], bound) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(e, a, bound) for e, a in zip(expected, actual, strict=True))
        )
    return bool(expected == actual)


def text_matches(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split(ANY))
    return re.fullmatch(pattern, actual, re.S) is not None


def test_the_document_has_examples() -> None:
    assert len(examples()) >= 8


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.splitlines()[0][:40])
async def test_example(example: str, tmp_path: Path) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "state")
    clients: dict[str, ClientConnection] = {}
    bound: dict[str, Any] = {}
    try:
        for line in example.strip().splitlines():
            if line.startswith("connect "):
                _, who, *query = line.split(" ", 2)
                clients[who] = await connect(gateway.url + (query[0] if query else ""))
            elif line.startswith("close "):
                await clients[line.split()[1]].close()
            elif "> " in line.split(" ", 1)[0] + " ":
                who, frame = line.split("> ", 1)
                await clients[who].send(BOUND.sub(lambda m: json.dumps(bound[m[1]]), frame))
            else:
                who, expected = line.split("< ", 1)
                if expected == "nothing":
                    assert await receives_nothing(clients[who]), line
                    continue
                actual = await recv(clients[who])
                assert isinstance(actual, str)
                if expected.startswith("{"):
                    assert matches(json.loads(expected), json.loads(actual), bound), (line, actual)
                else:
                    assert text_matches(expected, actual), (line, actual)
    finally:
        for client in clients.values():
            await client.close()
        await gateway.stop()
