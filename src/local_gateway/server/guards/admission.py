"""Whether the gateway takes one more client: not while it stops, and not past the most
connections it holds (``--max-connections``, or what the open-file limit leaves room for),
with a refusal that says which, logged once in ten seconds rather than once a client.

And not faster than API Gateway takes them: 500 new connections a second per account and
Region, across all WebSocket APIs ("Quotas for configuring and running a WebSocket API in
API Gateway"; a quota that can be increased, hence ``--quota-new-connections-per-second``).
A handshake over the rate is refused 429 ``{"message": "Too Many Requests"}``, as API
Gateway answers a throttled request ("How do I troubleshoot 429 Too Many Requests or Limit
Exceeded errors", AWS re:Post knowledge center). The bucket holds one second's worth: AWS
documents the rate, not a burst.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable

log = logging.getLogger("local_gateway")

# Files the gateway keeps for itself (listeners, its containers' pipes, logs) beside its
# connections, when the open-file limit sets the ceiling.
RESERVED_FILES = 256


def connection_ceiling(configured: int | None) -> int:
    """``configured``, or what the soft open-file limit leaves room for (each connection is
    a file)."""
    if configured is not None:
        return configured
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, soft - RESERVED_FILES) if soft != resource.RLIM_INFINITY else 1_000_000


NEW_CONNECTIONS_PER_SECOND = 500.0  # API Gateway's default quota (L-9ED1E49A)


class ConnectionRate:
    """A token bucket of new connections: ``rate`` a second, a burst of ``rate`` (one at
    least, so that a rate under one a second still lets one through now and then)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._burst = max(1.0, rate)
        self._clock = clock
        self._tokens = self._burst
        self._at = clock()
        self._said_at = -10.0

    def take(self) -> bool:
        """Whether one more handshake may go on now (the bucket is one lighter if so)."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        if now - self._said_at >= 10:
            self._said_at = now
            log.warning(
                "a handshake over %g new connections a second refused 429, as API Gateway's"
                " quota does",
                self.rate,
            )
        return False


class Admission:
    """Says why a new client cannot be taken now ("" when it can)."""

    def __init__(self, ceiling: int, open_connections: Callable[[], int]) -> None:
        self.ceiling = ceiling
        self._open = open_connections
        self.stopping = False
        self._full_said_at = 0.0

    def refusal(self) -> str:
        if self.stopping:
            return "The gateway is stopping."
        count = self._open()
        if count >= self.ceiling:
            now = time.monotonic()
            if now - self._full_said_at > 10:
                self._full_said_at = now
                log.warning("refusing new connections: %d are open, the most it holds", count)
            return f"Too many connections: this gateway holds {self.ceiling}."
        return ""
