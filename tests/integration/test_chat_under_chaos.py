"""The chat's own scenarios (join, talk, leave, come back: tests/scenarios.py) under each of
AWS's non-guarantees (``--chaos``, through the pytest plugin): the chat must stay correct on
API Gateway's worst day, not only on a quiet one. Each mode's AWS source is in
docs/local-gateway.md ("AWS's non-guarantees, on demand")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEMPLATE
from tests.scenarios import leave_and_come_back, three_clients_hello_aws

MODES = [
    # "$disconnect is a best-effort event" ("Manage connected users and client apps")
    "drop-disconnect=1",
    # a client gone without a close: found out by a failed write or the idle timeout
    "vanish=1",
    # the callback API throttles: 429 LimitExceededException ("PostToConnection")
    "callback-rate=1",
    "callback-latency=150ms",
    "integration-latency=150ms",
    # an account with little Lambda concurrency left ("Lambda quotas")
    "lambda-concurrency=8",
]


def _served(factory: Any, mode: str) -> str:
    return str(factory(TEMPLATE, chaos=f"{mode},seed=7", reuse=False).url)


@pytest.mark.parametrize("mode", MODES)
async def test_hello_aws_across_three_clients(mode: str, websocket_api_factory: Any) -> None:
    for client in await three_clients_hello_aws(_served(websocket_api_factory, mode)):
        await client.close()


@pytest.mark.parametrize("mode", [m for m in MODES if not m.startswith("vanish")])
async def test_a_person_who_leaves_comes_back_under_the_same_name(
    mode: str, websocket_api_factory: Any
) -> None:
    """(Not under vanish: a vanished connection answers GetConnection 200 on AWS too, so its
    name is held until a write to it fails or its idle timeout, 10 minutes.)"""
    back = await leave_and_come_back(_served(websocket_api_factory, mode))
    await back.close()
