"""Metrics adapters: CloudWatch embedded metric format (EMF) lines, or counters in memory.

EMF needs no client and no extra request: one JSON line on stdout per invocation, which
CloudWatch Logs turns into metrics. Counters that stayed at zero are still written, so
dashboards show a 0 instead of a gap.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping

# The chat's metrics, all counts.
METRIC_NAMES = (
    "ConnectionsOpened",
    "ConnectionsClosed",
    "MessagesSent",
    "Deliveries",
    "FailedDeliveries",
    "StaleConnectionsRemoved",
    "FanoutPages",
)


class CountingMetrics:
    """Counters in memory (tests, the local gateway)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, name: str, value: int = 1) -> None:
        with self._lock:
            self.counts[name] += value

    def flush(self) -> None:
        """Nothing to write: the counts stay, for whoever reads them."""


class EmbeddedMetrics(CountingMetrics):
    """Counts of one invocation, flushed as one EMF line."""

    def __init__(
        self,
        namespace: str,
        dimensions: Mapping[str, str],
        write: Callable[[str], None] = print,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.namespace = namespace
        self.dimensions = dict(dimensions)
        self._write = write
        self._clock = clock

    def document(self, counts: Mapping[str, int]) -> dict[str, object]:
        """The EMF document for ``counts``."""
        names = sorted(set(METRIC_NAMES) | set(counts))
        return {
            "_aws": {
                "Timestamp": int(self._clock() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        "Dimensions": [sorted(self.dimensions)],
                        "Metrics": [{"Name": name, "Unit": "Count"} for name in names],
                    }
                ],
            },
            **self.dimensions,
            **{name: counts.get(name, 0) for name in names},
        }

    def flush(self) -> None:
        """Write this invocation's counts and start again from zero."""
        with self._lock:
            counts, self.counts = self.counts, Counter()
        self._write(json.dumps(self.document(counts), separators=(",", ":")))
