"""What a REQUEST authorizer's answer lets through, as API Gateway reads it. Pure.

The answer must name a ``principalId`` and hold a policy whose statements allow
``execute-api:Invoke`` on the ``methodArn`` of the stage's ``$connect`` (IAM wildcards
``*`` and ``?`` allowed); an explicit Deny wins; a policy that allows something else
refuses the handshake with 403. Its ``context`` may hold strings, numbers and booleans
only, and later events carry each value as a string (``1`` → ``"1"``, ``true`` →
``"true"``); an object or an array there, or an answer over 8 KB, is a misconfigured
authorizer (500). Sources: "Output from an Amazon API Gateway Lambda authorizer", the
WebSocket mapping-template reference (``$context.authorizer.<key>``: "the stringified
value"), API Gateway's WebSocket quotas (authorizer result size 8 KB).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_RESULT_BYTES = 8 * 1024


@dataclass(frozen=True, slots=True)
class Allowed:
    """The handshake goes on; ``context`` reaches every later event as
    ``requestContext.authorizer``."""

    context: dict[str, str]


@dataclass(frozen=True, slots=True)
class Refused:
    """The handshake is refused with ``status``; ``reason`` says why, for the log."""

    status: int
    message: str
    reason: str


def _glob(pattern: str) -> re.Pattern[str]:
    """An IAM wildcard pattern: ``*`` any run of characters, ``?`` any one (actions are
    compared without regard to case, resources with it)."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts))


def _covers(values: Any, target: str, lower: bool = False) -> bool:
    items = values if isinstance(values, list) else [values]
    wanted = target.lower() if lower else target
    for item in items:
        if not isinstance(item, str):
            continue
        pattern = item.lower() if lower else item
        if _glob(pattern).fullmatch(wanted):
            return True
    return False


def _statements(result: dict[str, Any]) -> list[dict[str, Any]]:
    policy = result.get("policyDocument")
    if not isinstance(policy, dict):
        return []
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements if isinstance(s, dict)]


def _stringify(value: str | int | float | bool) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def decide(result: Any, method_arn: str) -> Allowed | Refused:
    """What API Gateway does with an authorizer's answer for ``method_arn``."""
    if not isinstance(result, dict):
        return Refused(500, "Internal server error", "the authorizer's answer is not an object")
    if len(json.dumps(result, default=str)) > MAX_RESULT_BYTES:
        return Refused(500, "Internal server error", f"the answer is over {MAX_RESULT_BYTES} bytes")
    principal = result.get("principalId")
    if principal is None or isinstance(principal, dict | list):
        return Refused(500, "Internal server error", "the answer has no principalId")
    context = result.get("context") or {}
    if not isinstance(context, dict):
        return Refused(500, "Internal server error", "its context is not an object")
    bad = sorted(str(k) for k, v in context.items() if isinstance(v, dict | list) or v is None)
    if bad:
        return Refused(
            500,
            "Internal server error",
            f"context values must be strings, numbers or booleans: {', '.join(bad)}",
        )
    allowed = denied = False
    for statement in _statements(result):
        if not _covers(statement.get("Action"), "execute-api:invoke", lower=True):
            continue
        if not _covers(statement.get("Resource"), method_arn):
            continue
        effect = str(statement.get("Effect", "")).lower()
        allowed = allowed or effect == "allow"
        denied = denied or effect == "deny"
    if denied:
        return Refused(403, "Forbidden", "the policy denies execute-api:Invoke on " + method_arn)
    if not allowed:
        return Refused(
            403, "Forbidden", "the policy does not allow execute-api:Invoke on " + method_arn
        )
    values = {str(k): _stringify(v) for k, v in context.items()}
    return Allowed({"principalId": str(principal), **values})
