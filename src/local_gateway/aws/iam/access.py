"""Every call a function signs to the gateway's AWS APIs, authorised by its role, as AWS
authorises it ("Policy evaluation logic", IAM User Guide): the callback API's
``execute-api:ManageConnections``, Lambda's ``lambda:InvokeFunction`` and each DynamoDB
action on the embedded endpoint.

Who signed is known from the access key (each function's credentials are its own,
functions/credentials.py). A function's key stands for its role (``evaluate.principal_for``);
any other known key is the person running the gateway, or the gateway itself, and may call
everything, as an administrator's would. ``--iam enforce`` (the default) refuses what AWS
would refuse, in the service's words (``denials.py``); ``--iam warn`` lets it through and
logs what AWS would have said. Either way a denial is logged once for each role and action,
with the statement that would have allowed it. Where the role holds policies that are not
evaluated (a managed policy outside the table, a role outside the template) an implicit
deny is not certain: the call goes through and the log says it was not evaluated. A
condition operator the evaluator does not support (conditions.py) never holds, so the
statement it guards never applies: each is named at start, once a role.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from local_gateway.aws.iam.denials import AccessDenied, access_denied
from local_gateway.aws.iam.evaluate import Authorizer, Decision, Principal, principal_for
from local_gateway.template.specs import FunctionSpec

log = logging.getLogger("local_gateway")

IAM_MODES = ("enforce", "warn")

# (access key, action, resource) -> None when allowed, else AWS's answer: what an API's face
# asks before it carries out a signed call.
Authorize = Callable[[str, str, str], "AccessDenied | None"]


class AccessControl:
    """Decides, for a signed call's access key, whether it may do ``action`` on
    ``resource``: None when it may, else AWS's answer."""

    def __init__(
        self,
        mode: str,
        principals: Mapping[str, Principal],
        unevaluated: Mapping[str, str] | None = None,
    ) -> None:
        if mode not in IAM_MODES:
            raise ValueError(f"--iam {mode!r}: not one of {', '.join(IAM_MODES)}")
        self.mode = mode
        self._principals = dict(principals)  # a function's access key -> its role
        # A function's access key -> why its calls cannot be evaluated (no role to read).
        self._unevaluated = dict(unevaluated or {})
        self._authorizer = Authorizer()
        self._said: set[tuple[str, str]] = set()

    def check(
        self,
        access_key: str,
        action: str,
        resource: str,
        context: Mapping[str, Any] | None = None,
    ) -> AccessDenied | None:
        principal = self._principals.get(access_key)
        if principal is None:
            why = self._unevaluated.get(access_key)
            if why is not None:
                self._once(why, action, f"{why}: {action} on {resource} not evaluated")
            return None  # the tools' or the gateway's own key: an administrator's
        decision = self._authorizer.authorize(principal, action, resource, context)
        if decision.allowed:
            return None
        if decision.not_evaluated:
            self._once(
                principal.arn,
                action,
                f"{principal.arn}: {action} on {resource} not evaluated (the role holds"
                f" {', '.join(decision.not_evaluated)}); let through",
            )
            return None
        denied = access_denied(decision)
        self._said_denied(decision, denied)
        return None if self.mode == "warn" else denied

    def _said_denied(self, decision: Decision, denied: AccessDenied) -> None:
        verdict = "AWS would refuse" if self.mode == "warn" else "refused"
        self._once(
            decision.principal,
            decision.action,
            f"{verdict}: {denied.message} (a statement that allows it: {decision.would_allow};"
            " further denials of this action for this role are not logged)",
        )

    def _once(self, who: str, action: str, line: str) -> None:
        if (who, action) not in self._said:
            self._said.add((who, action))
            log.warning("IAM: %s", line)


class Credentials(Protocol):
    """What the function runner tells of each function's credentials."""

    def credentials(self, logical_id: str) -> dict[str, str]: ...


def access_control(
    mode: str, functions: Mapping[str, FunctionSpec], issued: Credentials
) -> AccessControl:
    """The access control of a template's functions: each one's access key stands for its
    role; a function with no role the template declares is not evaluated."""
    principals: dict[str, Principal] = {}
    unevaluated: dict[str, str] = {}
    for logical_id, spec in functions.items():
        key = issued.credentials(logical_id)["AWS_ACCESS_KEY_ID"]
        if spec.role is None:
            unevaluated[key] = f"{logical_id} (no execution role in the template)"
        else:
            principals[key] = principal_for(spec.role, spec.name)
    for line in unsupported_conditions(principals.values()):
        log.warning("IAM: %s", line)
    return AccessControl(mode, principals, unevaluated)


def unsupported_conditions(principals: Iterable[Principal]) -> list[str]:
    """Each condition operator of the roles that is not evaluated, once a role (functions
    that share a role share its statements)."""
    lines: dict[str, None] = {}
    for principal in principals:
        role = principal.role_arn.rsplit("/", 1)[-1]
        for unsupported in principal.unsupported_conditions:
            lines[f"role {role}: {unsupported}"] = None
    return list(lines)
