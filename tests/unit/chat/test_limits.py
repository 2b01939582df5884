"""The token bucket, and the same bucket kept as one number (GCRA) for DynamoDB's update."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from serverless_chat.chat.limits import interval_us, next_arrival, take


@pytest.mark.parametrize(("rate", "burst"), [(10, 20), (2, 3), (1, 1), (0.5, 4), (4, 5), (1000, 2)])
def test_the_arrival_time_is_the_token_bucket(rate: float, burst: int) -> None:
    """Random requests, bursts and pauses: next_arrival admits exactly what the token bucket
    of :func:`take` admits, counted in exact fractions (take's floats can miss a whole
    token by a rounding, 0.9999999999999999; the arrival time, whole microseconds, cannot).
    A rate whose interval is not a whole number of microseconds (1/7 s) has it rounded to
    the microsecond."""
    chance = random.Random(f"{rate}/{burst}")
    exact = Fraction(burst)
    exact_at = 0
    tat: int | None = None
    now = 1_700_000_000_000
    for _ in range(2_000):
        now += chance.choice([0, 0, 0, 1, 10, 99, 100, 101, 250, 500, 1_000, 5_000, 60_000])
        exact = min(Fraction(burst), exact + Fraction(now - exact_at, 1000) * Fraction(rate))
        exact_at = now
        allowed_exactly = exact >= 1
        exact -= 1 if allowed_exactly else 0
        admitted, tat = next_arrival(tat, rate, burst, now)
        assert admitted == allowed_exactly, (now, exact, tat)


def test_both_start_full_and_refuse_past_the_burst() -> None:
    tat = None
    tokens: float | None = None
    for expected in (True, True, True, False):
        allowed, tat = next_arrival(tat, 2, 3, 1_000)
        assert allowed == expected
        allowed, tokens = take(tokens, 1_000, 2, 3, 1_000)
        assert allowed == expected


def test_a_refusal_leaves_the_arrival_time() -> None:
    interval = interval_us(2)
    assert interval == 500_000
    allowed, tat = next_arrival(None, 2, 1, 1_000)
    assert (allowed, tat) == (True, 1_000_000 + interval)
    assert next_arrival(tat, 2, 1, 1_000) == (False, tat)
    assert next_arrival(tat, 2, 1, 1_500) == (True, tat + interval)
    assert interval_us(7) == 142_857
