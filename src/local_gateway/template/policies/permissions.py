"""Whether API Gateway may invoke a function: the template's AWS::Lambda::Permission. Pure.

On AWS, API Gateway invokes a function only where a resource-based policy lets
``apigateway.amazonaws.com`` do so for the calling route's ARN
(``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/ROUTE``; an authorizer's is
``.../authorizers/ID``): without one the route answers "Internal server error" — the most
common first-deploy bug of a hand-written template. The gateway reads the template's
Permissions the same way (a SourceArn with IAM wildcards; none means any source) and refuses
what AWS would refuse. Source: "Using resource-based policies for Lambda" and the
Lambda::Permission resource reference; SAM's WebSocketApi writes these Permissions itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

API_GATEWAY = "apigateway.amazonaws.com"


class Grant(NamedTuple):
    """One Permission: the function it names and the source ARN pattern it allows."""

    function: str  # a name, an ARN or a partial ARN, as the template gives it
    source_arn: str | None


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


def _function_name(reference: str) -> str:
    """The name in ``NAME``, ``arn:...:function:NAME[:QUALIFIER]`` or ``ACCOUNT:function:NAME``."""
    if ":function:" in reference:
        return reference.split(":function:", 1)[1].split(":", 1)[0]
    return reference


def grants(permissions: Iterable[Mapping[str, Any]]) -> list[Grant]:
    """The resolved Properties of the template's AWS::Lambda::Permission resources that let
    API Gateway invoke a function."""
    found = []
    for props in permissions:
        principal = str(props.get("Principal", ""))
        action = str(props.get("Action", ""))
        if principal not in (API_GATEWAY, "*") or action not in (
            "lambda:InvokeFunction",
            "lambda:*",
        ):
            continue
        source = props.get("SourceArn")
        found.append(
            Grant(_function_name(str(props.get("FunctionName", ""))), source and str(source))
        )
    return found


def may_invoke(allowed: Iterable[Grant], function_name: str, source_arn: str) -> bool:
    """Whether a Permission lets API Gateway invoke ``function_name`` from ``source_arn``."""
    return any(
        grant.function == function_name
        and (grant.source_arn is None or _glob(grant.source_arn).fullmatch(source_arn) is not None)
        for grant in allowed
    )
