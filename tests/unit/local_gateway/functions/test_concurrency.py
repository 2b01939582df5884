"""Lambda's concurrency, counted (local_gateway/functions/concurrency.py).

Sources: "Configuring reserved concurrency for a function" (Lambda developer guide,
https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html: reserved
concurrency is both the most a function runs at once and taken from the account's pool; 0
throttles every invocation); "Lambda quotas" (1,000 concurrent executions per Region by
default); the Reason values of TooManyRequestsException (Lambda API reference, Invoke).
"""

from __future__ import annotations

from local_gateway.functions.concurrency import ACCOUNT_CONCURRENCY, Concurrency


def test_reserved_zero_throttles_every_invocation() -> None:
    concurrency = Concurrency({"Off": 0})
    throttle = concurrency.acquire("Off")
    assert throttle is not None
    assert throttle.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert concurrency.running("Off") == 0


def test_a_reserved_function_runs_that_many_at_once_and_then_one_more_after_one_ends() -> None:
    concurrency = Concurrency({"Two": 2})
    assert [concurrency.acquire("Two") is None for _ in range(3)] == [True, True, False]
    concurrency.release("Two")
    assert concurrency.acquire("Two") is None


def test_the_others_share_what_the_account_leaves_after_reservations() -> None:
    concurrency = Concurrency({"Reserved": 2, "A": None, "B": None}, account=3)
    assert concurrency.acquire("A") is None  # 3 - 2 reserved = 1 unreserved
    throttle = concurrency.acquire("B")
    assert throttle is not None
    assert throttle.reason == "ConcurrentInvocationLimitExceeded"
    assert concurrency.acquire("Reserved") is None  # its reservation is its own
    concurrency.release("A")
    assert concurrency.acquire("B") is None


def test_the_default_account_is_a_thousand() -> None:
    concurrency = Concurrency({"A": None})
    assert concurrency.account == ACCOUNT_CONCURRENCY == 1000
    assert all(concurrency.acquire("A") is None for _ in range(1000))
    assert concurrency.acquire("A") is not None
