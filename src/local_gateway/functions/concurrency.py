"""Lambda's concurrency, counted: whether one more invocation of a function may start now, or
is throttled (429 ``TooManyRequestsException``) instead of waiting, as Lambda throttles.

A function with ``ReservedConcurrentExecutions`` runs at most that many invocations at once
(0: every invocation is throttled, "Configuring reserved concurrency"); the others share what
the account's concurrency (1,000 by default, "Lambda quotas"; ``--chaos
lambda-concurrency=N`` sets it) leaves once the reservations are taken. Pure: the runner asks
before an invocation and says when it ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ACCOUNT_CONCURRENCY = 1000  # Lambda's default quota of concurrent executions per Region
# What Lambda keeps unreserved: "You can reserve up to the Unreserved account concurrency
# value that is shown, minus 100 for functions that don't have reserved concurrency"
# ("Configuring reserved concurrency for a function").
UNRESERVED_MINIMUM = 100


def reservation_refusal(
    reserved: Mapping[str, int | None], account: int = ACCOUNT_CONCURRENCY
) -> str | None:
    """Why Lambda would refuse these reservations on an account of ``account`` (their sum
    leaves less than 100 unreserved: InvalidParameterValueException, and the stack is not
    made), or None."""
    taken = {name: value for name, value in reserved.items() if value}
    left = account - sum(taken.values())
    if left >= UNRESERVED_MINIMUM:
        return None
    named = ", ".join(f"{name} {value}" for name, value in sorted(taken.items()))
    return (
        f"ReservedConcurrentExecutions ({named}) leave {left} of the account's {account:,}"
        f" unreserved; Lambda keeps at least {UNRESERVED_MINIMUM} for the other functions"
        " and refuses the reservation (InvalidParameterValueException)"
    )


@dataclass(frozen=True, slots=True)
class Throttle:
    """Why an invocation is throttled, in Lambda's words (the ``Reason`` of its 429)."""

    reason: str
    message: str = "Rate Exceeded."


class Concurrency:
    """Invocations running now, per function, against their limits."""

    def __init__(
        self, reserved: Mapping[str, int | None], account: int = ACCOUNT_CONCURRENCY
    ) -> None:
        self._reserved = {k: v for k, v in reserved.items() if v is not None}
        self.account = account
        self._unreserved_limit = max(0, account - sum(self._reserved.values()))
        self._running: dict[str, int] = {}
        self._unreserved = 0

    def running(self, function: str) -> int:
        return self._running.get(function, 0)

    def acquire(self, function: str) -> Throttle | None:
        """Count one more invocation of ``function``; a Throttle (and nothing counted) when
        its limit is reached."""
        reserved = self._reserved.get(function)
        if reserved is not None:
            if self.running(function) >= reserved:
                return Throttle("ReservedFunctionConcurrentInvocationLimitExceeded")
        elif self._unreserved >= self._unreserved_limit:
            return Throttle("ConcurrentInvocationLimitExceeded")
        else:
            self._unreserved += 1
        self._running[function] = self.running(function) + 1
        return None

    def release(self, function: str) -> None:
        """One invocation of ``function`` has ended."""
        self._running[function] = self.running(function) - 1
        if function not in self._reserved:
            self._unreserved -= 1
