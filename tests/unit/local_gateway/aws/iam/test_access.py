"""Who may call what, by the key that signed (aws/iam/access.py): a function's key stands
for its role, decided as "Policy evaluation logic" says
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html);
what cannot be evaluated is said, never guessed."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from local_gateway.aws.iam.access import AccessControl, access_control
from local_gateway.aws.iam.evaluate import principal_for
from local_gateway.aws.iam.resources import MANAGE_CONNECTIONS, connection_arn, table_arn
from local_gateway.template.specs import FunctionSpec, PolicySpec, RoleSpec

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/ChatRole"
POST = connection_arn(REGION, "abc123", "production", "POST")


class Issued:
    """The function runner's credentials, one key a function."""

    def credentials(self, logical_id: str) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": f"ASIA{logical_id.upper()}"}


def _role(*statements: dict[str, Any], not_evaluated: tuple[str, ...] = ()) -> RoleSpec:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return RoleSpec(
        "ChatRole", "ChatRole", ROLE_ARN, (PolicySpec("ChatRole/p", document),), not_evaluated
    )


def _function(logical_id: str, role: RoleSpec | None) -> FunctionSpec:
    return FunctionSpec(
        logical_id=logical_id,
        name=f"chat-{logical_id.lower()}",
        handler="app.handler",
        code_dir=None,
        runtime="python3.13",
        environment={},
        timeout=3.0,
        role=role,
    )


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("IAM:")]


def test_an_unsupported_condition_operator_is_named_at_start_once_a_role(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A condition whose operator is not evaluated never holds ("IAM JSON policy elements:
    Condition operators",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
    lists the Date… operators this evaluator leaves out), so its statement never applies:
    the access control names it when it is made, once for a role two functions share."""
    caplog.set_level(logging.WARNING, "local_gateway")
    role = _role(
        {
            "Effect": "Allow",
            "Action": "dynamodb:Scan",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
        }
    )
    functions = {name: _function(name, role) for name in ("Send", "Connect")}
    access_control("enforce", functions, Issued())
    assert _lines(caplog) == [
        "IAM: role ChatRole: ChatRole/p statement 1: condition operator DateLessThan (not"
        " supported: never holds)"
    ]


def test_a_denial_is_refused_and_logged_once_with_a_statement_that_would_allow_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Enforce: each call the role does not allow is refused in the service's words, and
    the log says so once for the role and action, with the statement that would allow it
    (for a callback, on ``@connections/*`` as "Use @connections commands in your backend
    service",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html,
    grants it)."""
    caplog.set_level(logging.WARNING, "local_gateway")
    access = access_control("enforce", {"Send": _function("Send", _role())}, Issued())
    refused = [access.check("ASIASEND", MANAGE_CONNECTIONS, POST) for _ in range(3)]
    assert all(r is not None and r.code == "AccessDeniedException" for r in refused)
    (line,) = _lines(caplog)
    assert line.startswith("IAM: refused: User: arn:aws:sts::123456789012:assumed-role/ChatRole/")
    assert (
        '(a statement that allows it: {"Effect": "Allow", "Action":'
        ' "execute-api:ManageConnections", "Resource": "arn:aws:execute-api:us-east-1:'
        '123456789012:abc123/production/POST/@connections/*"}'
    ) in line


def test_warn_lets_the_call_through_and_says_aws_would_refuse(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "local_gateway")
    access = access_control("warn", {"Send": _function("Send", _role())}, Issued())
    assert access.check("ASIASEND", MANAGE_CONNECTIONS, POST) is None
    assert access.check("ASIASEND", MANAGE_CONNECTIONS, POST) is None
    (line,) = _lines(caplog)
    assert line.startswith("IAM: AWS would refuse: User: ")


def test_a_call_only_an_unevaluated_policy_could_allow_is_let_through_and_said_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A managed policy outside the table might allow what the rest denies: the call is not
    refused on a guess, and each action is logged once as not evaluated; a function with no
    role in the template likewise. An explicit Deny still decides ("Policy evaluation
    logic": a Deny in any policy wins, whatever the others allow)."""
    caplog.set_level(logging.WARNING, "local_gateway")
    unknown = "ChatRole: managed policy arn:aws:iam::aws:policy/Custom (not in the table)"
    role = _role(
        {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"},
        not_evaluated=(unknown,),
    )
    functions = {"Send": _function("Send", role), "Bare": _function("Bare", None)}
    access = access_control("enforce", functions, Issued())
    table = table_arn(REGION, "T")
    for _ in range(2):
        assert access.check("ASIASEND", "dynamodb:PutItem", table) is None
        assert access.check("ASIABARE", "dynamodb:PutItem", table) is None
    assert access.check("ASIASEND", "dynamodb:DeleteItem", table) is not None
    lines = _lines(caplog)
    assert len(lines) == 3
    assert lines[0].endswith(f"the role holds {unknown}); let through")
    assert f"dynamodb:PutItem on {table} not evaluated" in lines[0]
    assert lines[1] == (
        f"IAM: Bare (no execution role in the template): dynamodb:PutItem on {table} not evaluated"
    )
    assert lines[2].startswith("IAM: refused: ")


def test_the_tools_key_is_an_administrators_and_a_bad_mode_is_a_clear_error() -> None:
    access = AccessControl("enforce", {"ASIASEND": principal_for(_role(), "chat-send")})
    assert access.check("AKIATOOLS", MANAGE_CONNECTIONS, POST) is None
    assert access.check("ASIASEND", MANAGE_CONNECTIONS, POST) is not None
    with pytest.raises(ValueError, match="--iam 'lenient': not one of enforce, warn"):
        AccessControl("lenient", {})
