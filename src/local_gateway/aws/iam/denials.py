"""AWS's answer to a denied call, per service: status, error code and message.

The message names the assumed role, the action and the resource. Its ending depends on the
service and on why (as the services answer today, seen in their users' reports):

- Management API (``execute-api:ManageConnections``): 403 ``AccessDeniedException``,
  "User: ARN is not authorized to perform: execute-api:ManageConnections on resource: ARN"
  (aws-cdk#18410), "… with an explicit deny" for a Deny statement;
- Lambda (``lambda:InvokeFunction``): 403 ``AccessDeniedException``, "… because no
  identity-based policy allows the lambda:InvokeFunction action" (aws-deployment-framework
  #460), "… with an explicit deny in an identity-based policy";
- DynamoDB: 400 ``AccessDeniedException``, "… because no identity-based policy allows the
  dynamodb:PutItem action" (sst#4469), "… with an explicit deny in an identity-based policy".
  (IAM User Guide, "Access denied error messages".)
"""

from __future__ import annotations

from dataclasses import dataclass

from local_gateway.aws.iam.evaluate import Decision, Effect


@dataclass(frozen=True, slots=True)
class AccessDenied:
    """What the emulated service answers a denied call with."""

    status: int
    code: str
    message: str


_STATUS = {"execute-api": 403, "lambda": 403, "dynamodb": 400}


def access_denied(decision: Decision) -> AccessDenied:
    """The service's answer to ``decision`` (a denial), by the action's service prefix."""
    service = decision.action.split(":", 1)[0].lower()
    head = (
        f"User: {decision.principal} is not authorized to perform: {decision.action}"
        f" on resource: {decision.resource}"
    )
    explicit = decision.effect is Effect.EXPLICIT_DENY
    if service == "execute-api":
        message = head + (" with an explicit deny" if explicit else "")
    elif explicit:
        message = head + " with an explicit deny in an identity-based policy"
    else:
        message = head + f" because no identity-based policy allows the {decision.action} action"
    return AccessDenied(_STATUS.get(service, 403), "AccessDeniedException", message)
