"""Whether the gateway takes one more client: not while it stops, and not past the most
connections it holds (``--max-connections``, or what the open-file limit leaves room for),
with a refusal that says which, logged once in ten seconds rather than once a client."""

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
