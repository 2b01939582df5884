"""Lambda's concurrency, counted (local_gateway/functions/concurrency.py).

Sources: "Configuring reserved concurrency for a function" (Lambda developer guide,
https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html: reserved
concurrency is both the most a function runs at once and taken from the account's pool; 0
throttles every invocation); "Lambda quotas" (1,000 concurrent executions per Region by
default); the Reason values of TooManyRequestsException (Lambda API reference, Invoke).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from local_gateway import GatewayConfig, LocalGateway
from local_gateway.functions.concurrency import (
    ACCOUNT_CONCURRENCY,
    Concurrency,
    reservation_refusal,
)
from local_gateway.template.cfn_yaml import TemplateError

ECHO = Path(__file__).parents[4] / "tests" / "fixtures" / "echo"


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


def test_reservations_that_leave_under_100_unreserved_are_refused_as_lambda_refuses_them() -> None:
    """ "You can reserve up to the Unreserved account concurrency value that is shown, minus
    100 for functions that don't have reserved concurrency" ("Configuring reserved
    concurrency for a function",
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html): a stack
    reserving more is not made on AWS, so it does not start here either."""
    assert reservation_refusal({"A": 450, "B": 450, "C": None, "Off": 0}) is None  # 100 left
    refused = reservation_refusal({"A": 450, "B": 451, "C": None})
    assert refused is not None
    assert refused.startswith("ReservedConcurrentExecutions (A 450, B 451) leave 99 of the")
    assert reservation_refusal({"A": 1000}) is not None


def test_a_template_reserving_too_much_does_not_start(tmp_path: Path) -> None:
    template = (ECHO / "template.yaml").read_text()
    anchor = "      Handler: echo_app.echo\n"
    assert anchor in template
    (tmp_path / "functions").symlink_to(ECHO / "functions")
    written = tmp_path / "template.yaml"
    reserving = anchor + "      ReservedConcurrentExecutions: 901\n"
    written.write_text(template.replace(anchor, reserving))
    with pytest.raises(TemplateError, match=r"\(EchoFunction 901\) leave 99 of the account's"):
        LocalGateway(GatewayConfig(template=written, state_dir=tmp_path / "state"))
