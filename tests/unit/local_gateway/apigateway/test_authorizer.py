"""A REQUEST authorizer's answer read as API Gateway reads it: "Output from an Amazon API
Gateway Lambda authorizer" (principalId and a policy; "you cannot set a JSON object or array
as a valid value of any key in the context map"; "The returned values are all stringified"),
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html,
and the WebSocket authorizer page (the methodArn ends with $connect; a Deny is 403)."""

from __future__ import annotations

from typing import Any

import pytest

from local_gateway.apigateway.authorizer import Allowed, Refused, decide

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/production/$connect"


def answer(
    effect: str = "Allow",
    resource: Any = ARN,
    action: Any = "execute-api:Invoke",
    context: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "principalId": "ana",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": action, "Effect": effect, "Resource": resource}],
        },
    }
    if context is not None:
        result["context"] = context
    result.update(extra)
    return result


def test_an_allow_on_the_method_arn_lets_the_handshake_through() -> None:
    assert decide(answer(), ARN) == Allowed({"principalId": "ana"})


@pytest.mark.parametrize(
    "resource",
    [
        ARN,
        [ARN],
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*",
        "arn:aws:execute-api:*:*:*",
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/producti?n/$connect",
        "*",
    ],
)
def test_wildcards_cover_the_method_arn(resource: Any) -> None:
    assert isinstance(decide(answer(resource=resource), ARN), Allowed)


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/production/*/*",
        "arn:aws:execute-api:us-east-1:123456789012:otherapi/production/$connect",
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/staging/$connect",
    ],
)
def test_a_policy_that_does_not_cover_the_method_arn_is_403(resource: str) -> None:
    """powertools-lambda-python issue 5800: a resource of .../prod/*/* "results in a 403"."""
    decision = decide(answer(resource=resource), ARN)
    assert isinstance(decision, Refused)
    assert decision.status == 403


def test_an_allow_of_another_action_is_403() -> None:
    decision = decide(answer(action="execute-api:ManageConnections"), ARN)
    assert isinstance(decision, Refused)
    assert decision.status == 403
    assert isinstance(decide(answer(action="execute-api:*"), ARN), Allowed)
    assert isinstance(decide(answer(action=["s3:Get*", "EXECUTE-API:invoke"]), ARN), Allowed)


def test_an_explicit_deny_wins() -> None:
    result = answer()
    result["policyDocument"]["Statement"].append(
        {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": ARN}
    )
    assert decide(result, ARN) == Refused(
        403, "Forbidden", f"the policy denies execute-api:Invoke on {ARN}"
    )
    assert decide(answer(effect="Deny"), ARN).status == 403  # type: ignore[union-attr]


def test_context_values_reach_later_events_as_strings() -> None:
    decision = decide(answer(context={"key": "value", "numKey": 1, "boolKey": True, "f": 1.5}), ARN)
    assert decision == Allowed(
        {"principalId": "ana", "key": "value", "numKey": "1", "boolKey": "true", "f": "1.5"}
    )


@pytest.mark.parametrize("bad", [{"nested": 1}, [1, 2], None])
def test_an_object_or_array_in_the_context_is_a_500(bad: Any) -> None:
    decision = decide(answer(context={"ok": "1", "bad": bad}), ARN)
    assert isinstance(decision, Refused)
    assert decision.status == 500
    assert "bad" in decision.reason


@pytest.mark.parametrize(
    "result",
    [
        "not an object",
        {"policyDocument": answer()["policyDocument"]},  # no principalId
        answer(context="not a map"),
        answer(context={"big": "x" * 9000}),  # over the 8 KB authorizer result quota
    ],
)
def test_a_malformed_answer_is_a_500(result: Any) -> None:
    decision = decide(result, ARN)
    assert isinstance(decision, Refused)
    assert decision.status == 500


def test_no_statements_is_403() -> None:
    result = answer()
    result["policyDocument"]["Statement"] = []
    decision = decide(result, ARN)
    assert isinstance(decision, Refused)
    assert decision.status == 403
