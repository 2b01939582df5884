"""Whether a function's role may make a call, as AWS's policy evaluation logic decides it.

Source: "Policy evaluation logic" and "The difference between explicit and implicit denies"
(IAM User Guide): every request starts denied; an applicable Deny statement in any policy
decides (explicit deny); otherwise an applicable Allow statement decides (allow); otherwise
it stays denied (implicit deny). A statement applies when its ``Action`` matches (or its
``NotAction`` does not), its ``Resource`` matches (or its ``NotResource`` does not) and every
condition holds (conditions.py).

Only identity-based policies are evaluated — the role's own, which is what a Lambda
function's calls to the Management API, Lambda and DynamoDB in one account are decided by.
Permission boundaries, SCPs, session policies and resource-based policies (beyond Lambda's
AWS::Lambda::Permission, which template/policies/permissions.py reads) are not
(docs/local-gateway.md).

Why our own evaluator: moto's ``moto/iam/access_control.py`` is the only maintained one in
Python, and it diverges from AWS where this gateway must not — an Allow whose condition does
not hold becomes a Deny, actions match case-sensitively, ``?`` and NotResource are unknown,
and ``*`` in an ARN crosses colons. policyuniverse parses policies and expands wildcards
against its list of actions but decides no request (and its last release is 2023). The rules
above fit in this module; each is tested against the AWS page that states it.

Decisions are memoised per (principal, action, resource) — and the request context when the
role has conditions — since a chat's fan-out asks the same question for every recipient.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from local_gateway.aws.iam.conditions import Condition, Context, context_of, parse
from local_gateway.aws.iam.patterns import action_pattern, arn_pattern
from local_gateway.template.specs import RoleSpec


class Effect(Enum):
    ALLOW = "Allow"
    IMPLICIT_DENY = "ImplicitDeny"
    EXPLICIT_DENY = "ExplicitDeny"


def _listed(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a role's policy, ready to match."""

    where: str  # POLICY statement N (Sid): for the log line
    effect: str  # Allow | Deny
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditions: tuple[Condition, ...]

    @classmethod
    def parse(cls, policy: str, index: int, raw: Mapping[str, Any]) -> Statement:
        sid = f" ({raw['Sid']})" if raw.get("Sid") else ""
        return cls(
            where=f"{policy} statement {index}{sid}",
            effect=str(raw.get("Effect", "")),
            actions=_listed(raw.get("NotAction", raw.get("Action"))),
            not_action="NotAction" in raw,
            resources=_listed(raw.get("NotResource", raw.get("Resource"))),
            not_resource="NotResource" in raw,
            conditions=parse(raw.get("Condition")),
        )

    def applies(self, action: str, resource: str, context: Context) -> bool:
        matched = any(action_pattern(p).fullmatch(action) for p in self.actions)
        if matched == self.not_action:
            return False
        matched = any(arn_pattern(p).fullmatch(resource) for p in self.resources)
        if matched == self.not_resource:
            return False
        return all(c.holds(context) for c in self.conditions)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a memo key
class Principal:
    """A function's assumed role: who signs, and the statements of its policies."""

    arn: str  # arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION
    role_arn: str
    statements: tuple[Statement, ...]
    # What the role holds that is not evaluated (managed policies outside the table …).
    not_evaluated: tuple[str, ...] = ()

    @property
    def conditional(self) -> bool:
        return any(s.conditions for s in self.statements)

    @property
    def unsupported_conditions(self) -> list[str]:
        """Each condition operator no statement can be decided on, with where it is."""
        return [
            f"{s.where}: condition operator {c.operator} (not supported: never holds)"
            for s in self.statements
            for c in s.conditions
            if not c.supported
        ]


def principal_for(role: RoleSpec, session_name: str) -> Principal:
    """The principal a function's credentials stand for: its role, as the session named after
    the function (Lambda's own session name)."""
    statements = []
    for policy in role.policies:
        raw = policy.document.get("Statement", [])
        for index, statement in enumerate(raw if isinstance(raw, list) else [raw], start=1):
            if isinstance(statement, dict):
                statements.append(Statement.parse(policy.name, index, statement))
    return Principal(
        role.session_arn(session_name), role.arn, tuple(statements), role.not_evaluated
    )


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one request, the statement that decided it, and what was asked."""

    effect: Effect
    principal: str
    action: str
    resource: str
    statement: str | None = None  # the deciding statement; None for an implicit deny
    # Set on an implicit deny when the role holds policies that were not evaluated: AWS
    # might have allowed it (the gateway's --iam mode says what to do then).
    not_evaluated: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.effect is Effect.ALLOW

    @property
    def would_allow(self) -> str:
        """The statement that would have allowed the request, for the log line of a denial: a
        callback's with ``@connections/*``, the form "Use @connections commands in your
        backend service" grants, rather than the route's literal ``{connectionId}``."""
        resource = self.resource
        if resource.endswith("/@connections/{connectionId}"):
            resource = resource.removesuffix("{connectionId}") + "*"
        return json.dumps({"Effect": "Allow", "Action": self.action, "Resource": resource})


def evaluate(
    principal: Principal,
    action: str,
    resource: str,
    context: Context | None = None,
) -> Decision:
    """AWS's decision for ``principal`` doing ``action`` on ``resource``; ``context`` holds the
    request's condition keys (lower-cased, as conditions.context_of makes them)."""
    given = context or {}
    allowing: Statement | None = None
    for statement in principal.statements:
        if not statement.applies(action, resource, given):
            continue
        if statement.effect == "Deny":
            return Decision(Effect.EXPLICIT_DENY, principal.arn, action, resource, statement.where)
        if statement.effect == "Allow" and allowing is None:
            allowing = statement
    if allowing is not None:
        return Decision(Effect.ALLOW, principal.arn, action, resource, allowing.where)
    return Decision(
        Effect.IMPLICIT_DENY, principal.arn, action, resource, None, principal.not_evaluated
    )


class Authorizer:
    """``evaluate`` with a memo: the same (principal, action, resource[, context]) is decided
    once. Bounded: past ``size`` entries the memo starts again (roles do not change while
    the gateway runs, so no entry is ever stale)."""

    def __init__(self, size: int = 65536) -> None:
        self.size = size
        self._memo: dict[tuple[Any, ...], Decision] = {}

    def authorize(
        self,
        principal: Principal,
        action: str,
        resource: str,
        context: Mapping[str, Any] | None = None,
    ) -> Decision:
        """The decision for one request (``context``: condition keys → a value or values)."""
        request_context = context_of(context) if principal.conditional else {}
        key = (principal, action, resource, _frozen(request_context))
        decision = self._memo.get(key)
        if decision is None:
            decision = evaluate(principal, action, resource, request_context)
            if len(self._memo) >= self.size:
                self._memo.clear()
            self._memo[key] = decision
        return decision


def _frozen(context: Mapping[str, Sequence[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((k, tuple(v)) for k, v in context.items()))
