"""FanoutHandler: one page of a big room's message, posted; gone rows dropped."""

from __future__ import annotations

import pytest

from serverless_chat.chat.fanout import encode_page
from serverless_chat.chat.model import open_connection
from serverless_chat.handlers.dependencies import Dependencies
from serverless_chat.handlers.fanout import build_handler
from tests.fakes import FakeConnections, MemoryConnectionStore

ORIGIN = {"domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "stage": "production"}


def test_a_page_is_posted_and_its_gone_rows_are_deleted(
    deps: Dependencies, store: MemoryConnectionStore, connections: FakeConnections
) -> None:
    for cid in ("a", "b", "gone"):
        store.put(open_connection(cid, 0))
    connections.open.update({"a", "b"})
    page = encode_page([("a", b"Hello AWS"), ("b", b'{"t": 1}'), ("gone", b"Hello AWS")], ORIGIN)
    seen: list[str] = []
    deps.connections_for = lambda event: seen.append(event.callback_url) or connections
    result = build_handler(deps)(page, None)
    assert result == {"delivered": 2, "gone": 1, "failed": 0}
    assert connections.received("a") == [b"Hello AWS"]
    assert connections.received("b") == [b'{"t": 1}']
    assert store.get("gone") is None
    assert seen == ["https://abc123.execute-api.eu-west-1.amazonaws.com/production"]


def test_a_malformed_page_is_an_invocation_error(deps: Dependencies) -> None:
    with pytest.raises(ValueError, match="fan-out page"):
        build_handler(deps)({"requestContext": ORIGIN}, None)
