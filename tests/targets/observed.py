"""What a scenario finds on a target, against what AWS documents: each check that does not
hold is a difference, written down in one line; a scenario that finds none behaves as
documented. The per-target table in docs/local-gateway.md is made of these lines."""

from __future__ import annotations

from typing import Any

AS_DOCUMENTED = "as documented"


class Stop(Exception):
    """A scenario cannot go on on this target (what it waits for did not come): the
    differences so far, and this one, are what it found."""


class Observed:
    """The differences one scenario finds on one target, in the order it finds them."""

    def __init__(self) -> None:
        self.differences: list[str] = []

    def expect(self, what: str, found: Any, documented: Any) -> bool:
        """Whether ``found`` is what AWS documents; a difference written down if not."""
        if found == documented:
            return True
        self.differences.append(f"{what}: {_short(found)} (AWS: {_short(documented)})")
        return False

    def expect_true(self, what: str, holds: bool, otherwise: str) -> bool:
        """Whether a documented property holds; ``what`` and ``otherwise`` written if not."""
        if not holds:
            self.differences.append(f"{what}: {otherwise}")
        return holds

    def stop(self, what: str) -> Stop:
        """The difference that ends the scenario here, to raise."""
        self.differences.append(what)
        return Stop(what)

    def summary(self) -> str:
        """The table's cell: "as documented", or the differences joined by "; "."""
        if not self.differences:
            return AS_DOCUMENTED
        return "; ".join(dict.fromkeys(self.differences))


def _short(value: Any, limit: int = 80) -> str:
    """One line, table-safe (no pipe, no newline), at most ``limit`` characters."""
    text = repr(value)
    text = text.replace("|", "/").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
