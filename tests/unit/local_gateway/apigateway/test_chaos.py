"""--chaos (local_gateway/apigateway/chaos.py): each mode read, refused when malformed,
seeded and reproducible, and named in the log when it acts."""

from __future__ import annotations

import logging

import pytest

from local_gateway.apigateway.chaos import Chaos, ChaosError


def test_every_mode_is_read() -> None:
    chaos = Chaos.parse("drop-disconnect=0.25, callback-rate=5,callback-latency=50ms,seed=7")
    assert chaos.drop_disconnect == 0.25
    assert chaos.callback_rate == 5
    assert chaos.callback_latency == pytest.approx(0.05)
    assert chaos.seed == 7
    assert chaos.active


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "no mode given"),
        ("lose-everything=1", "is not one of"),
        ("drop-disconnect", "is not one of"),
        ("drop-disconnect=often", "not a number"),
        ("drop-disconnect=1.5", "out of range"),
        ("callback-rate=0", "more than 0 calls a second"),
        ("callback-rate=-3", "out of range"),
        ("callback-latency=soon", "not a duration"),
        ("callback-latency=-5ms", "out of range"),
        ("seed=-1", "out of range"),
    ],
)
def test_a_bad_specification_is_said(text: str, error: str) -> None:
    with pytest.raises(ChaosError, match=error):
        Chaos.parse(text)


def test_the_same_seed_drops_the_same_disconnects() -> None:
    def drops(seed: int) -> list[bool]:
        chaos = Chaos(drop_disconnect=0.5, seed=seed)
        return [chaos.drops_disconnect(f"id{i}") for i in range(40)]

    assert drops(3) == drops(3)
    assert drops(3) != drops(4)
    assert 5 < sum(drops(3)) < 35  # about half


def test_a_dropped_disconnect_is_named_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    chaos = Chaos(drop_disconnect=1.0)
    with caplog.at_level(logging.WARNING, logger="local_gateway"):
        assert chaos.drops_disconnect("abc")
    assert "chaos drop-disconnect: the $disconnect of abc is not delivered" in caplog.text


def test_callbacks_over_the_rate_are_throttled_and_the_bucket_refills(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    chaos = Chaos(callback_rate=2, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="local_gateway"):
        assert [chaos.throttles_callback("c") for _ in range(3)] == [False, False, True]
    assert "chaos callback-rate" in caplog.text
    now[0] += 0.5  # one call's worth at 2 a second
    assert [chaos.throttles_callback("c") for _ in range(2)] == [False, True]


def test_no_mode_acts_unless_asked() -> None:
    chaos = Chaos()
    assert not chaos.active
    assert not chaos.drops_disconnect("x")
    assert not chaos.throttles_callback("x")
    assert chaos.callback_delay() == 0.0


def test_added_latency_is_named_in_the_log_once_in_ten_seconds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    chaos = Chaos(callback_latency=0.15, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="local_gateway"):
        assert [chaos.callback_delay() for _ in range(3)] == [0.15] * 3
        now[0] += 10
        chaos.callback_delay()
    assert caplog.text.count("chaos callback-latency: 150 ms added to callbacks") == 2


def test_integration_latency_and_lambda_concurrency_are_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chaos = Chaos.parse("integration-latency=0.2s,lambda-concurrency=3")
    assert chaos.integration_latency == pytest.approx(0.2)
    assert chaos.lambda_concurrency == 3
    assert chaos.active
    with caplog.at_level(logging.WARNING, logger="local_gateway"):
        assert chaos.integration_delay("Send") == pytest.approx(0.2)
    assert "chaos integration-latency: 200 ms added before Send" in caplog.text
    assert Chaos.parse("lambda-concurrency=0").active  # an account with none left


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("integration-latency=later", "integration-latency=later: not a duration"),
        ("integration-latency=90s", "out of range"),
        ("lambda-concurrency=many", "not a whole number"),
        ("lambda-concurrency=-1", "not a whole number"),
    ],
)
def test_bad_integration_latency_or_concurrency_is_said(text: str, error: str) -> None:
    with pytest.raises(ChaosError, match=error):
        Chaos.parse(text)


def test_vanish_is_read_seeded_and_named_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    assert Chaos.parse("vanish=0.5").vanish == 0.5
    assert Chaos.parse("vanish=1").active

    def vanishes(seed: int) -> list[bool]:
        chaos = Chaos(vanish=0.5, seed=seed)
        return [chaos.vanishes(f"id{i}") for i in range(40)]

    assert vanishes(2) == vanishes(2)
    assert 5 < sum(vanishes(2)) < 35
    with caplog.at_level(logging.WARNING, logger="local_gateway"):
        assert Chaos(vanish=1.0).vanishes("abc")
    assert "chaos vanish: abc is taken to have vanished without a close" in caplog.text
    assert not Chaos().vanishes("abc")
    with pytest.raises(ChaosError, match="vanish=2: out of range"):
        Chaos.parse("vanish=2")
