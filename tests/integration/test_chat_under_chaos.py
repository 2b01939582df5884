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
    # the callback API throttles: 429 LimitExceededException ("PostToConnection")
    "callback-rate=1",
    "callback-latency=150ms",
    "integration-latency=150ms",
    # an account with little Lambda concurrency left ("Lambda quotas")
    "lambda-concurrency=8",
]


@pytest.fixture(params=MODES)
def chaotic_chat(request: pytest.FixtureRequest, websocket_api_factory: Any) -> str:
    api = websocket_api_factory(TEMPLATE, chaos=f"{request.param},seed=7", reuse=False)
    return str(api.url)


async def test_hello_aws_across_three_clients(chaotic_chat: str) -> None:
    for client in await three_clients_hello_aws(chaotic_chat):
        await client.close()


async def test_a_person_who_leaves_comes_back_under_the_same_name(chaotic_chat: str) -> None:
    back = await leave_and_come_back(chaotic_chat)
    await back.close()
