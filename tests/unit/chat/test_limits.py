"""The token bucket's arithmetic (each store's admit is checked against an exact bucket in
tests/contract/test_connection_store.py)."""

from __future__ import annotations

from serverless_chat.chat.limits import interval_us, refill, take


def test_a_new_bucket_starts_full_and_refuses_past_the_burst() -> None:
    tokens: float | None = None
    for expected in (True, True, True, False):
        allowed, tokens = take(tokens, 1_000, 2, 3, 1_000)
        assert allowed == expected


def test_a_refusal_takes_nothing_and_time_brings_tokens_back() -> None:
    allowed, tokens = take(None, 1_000, 2, 1, 1_000)
    assert (allowed, tokens) == (True, 0)
    assert take(tokens, 1_000, 2, 1, 1_000) == (False, 0)
    assert take(tokens, 1_000, 2, 1, 1_500) == (True, 0)  # half a second at 2/s
    assert refill(0, 0, 2, 3, 60_000) == 3  # never past the burst


def test_the_interval_is_whole_microseconds() -> None:
    assert interval_us(2) == 500_000
    assert interval_us(7) == 142_857
    assert interval_us(10**9) == 1
