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
