"""Whether the gateway takes one more client (local_gateway/server/guards/admission.py): API
Gateway's quota of new connections, 500 a second per account and Region ("Quotas for
configuring and running a WebSocket API in API Gateway",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html)."""

from __future__ import annotations

import logging

import pytest

from local_gateway.server.guards.admission import NEW_CONNECTIONS_PER_SECOND, ConnectionRate


def test_the_501st_handshake_in_a_second_is_refused_and_the_bucket_refills(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [50.0]
    rate = ConnectionRate(NEW_CONNECTIONS_PER_SECOND, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="local_gateway"):
        assert all(rate.take() for _ in range(500))
        assert not rate.take()
    assert "over 500 new connections a second refused 429" in caplog.text
    now[0] += 0.011  # five and a half handshakes' worth
    assert [rate.take() for _ in range(6)] == [True] * 5 + [False]


def test_a_raised_quota_takes_more() -> None:
    now = [0.0]
    rate = ConnectionRate(2000, clock=lambda: now[0])
    assert all(rate.take() for _ in range(2000))
    assert not rate.take()
