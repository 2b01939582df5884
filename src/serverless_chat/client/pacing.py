"""How the terminal client paces the lines that wait for no answer (a line for $default,
--raw): a token bucket of the chat's default size, 10 a second, 20 at once. (An answered
request waits for its answer instead: client/shell.py's send loop.)"""

from __future__ import annotations

import asyncio
import time

UNANSWERED_RATE, UNANSWERED_BURST = 10.0, 20


class Bucket:
    """A token bucket: ``await take()`` waits for a token."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), time.monotonic()

    async def take(self) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)
