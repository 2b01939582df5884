"""The token bucket that limits how fast one connection may send. Pure arithmetic; the
stores keep each connection's bucket and apply this atomically."""

from __future__ import annotations


def refill(tokens: float, refilled_at_ms: int, rate: float, burst: int, now_ms: int) -> float:
    """The bucket's tokens at ``now_ms``: what it had, plus ``rate`` a second, at most
    ``burst``."""
    return min(float(burst), tokens + max(0, now_ms - refilled_at_ms) / 1000 * rate)


def take(
    tokens: float | None, refilled_at_ms: int, rate: float, burst: int, now_ms: int
) -> tuple[bool, float]:
    """(allowed, tokens left) for one request; a new connection starts with a full bucket."""
    current = (
        float(burst) if tokens is None else refill(tokens, refilled_at_ms, rate, burst, now_ms)
    )
    if current < 1:
        return False, current
    return True, current - 1


# -- the same bucket as one number: its theoretical arrival time (GCRA) --------------------
# A store that must take a token in one conditional write (DynamoDB's UpdateItem has + and -
# but no min or max) keeps the bucket as the time at which it will be full again, in integer
# microseconds: "tat". A bucket ``burst`` deep refilled at ``rate`` holds
# ``burst - max(0, tat - now) / interval`` tokens, with ``interval = 1 s / rate``; a request is
# let in when one token is there, ``max(tat, now) + interval - now <= burst * interval``, and
# moves tat to ``max(tat, now) + interval``. That is :func:`take`'s bucket, in one number
# that an update can move (the stores' contract suite checks every store's admit against
# an exact token bucket).


def interval_us(rate: float) -> int:
    """The time one token takes to come back, in whole microseconds."""
    return max(1, round(1_000_000 / rate))
