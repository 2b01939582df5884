"""AWS's answer to a denied call, per service: status, error code and message.

The message names the assumed role, the action and the resource. Its wording depends on the
service and on why, as the services answer today (IAM User Guide, "Troubleshoot access
denied error messages", https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html:
"with an explicit deny in a TYPE policy" / "because no TYPE policy allows the ACTION action",
which "some AWS services do not support"), seen in their users' reports:

- Management API (``execute-api:ManageConnections``): 403 ``AccessDeniedException``, "User:
  ARN is not authorized to perform: execute-api:ManageConnections on resource: ARN" and no
  more for an implicit deny (aws-cdk#18410 and every report since), "… with an explicit deny
  in an identity-based policy" for a Deny statement (the same form as "… with an explicit
  deny in a service control policy", aws-solutions/innovation-sandbox-on-aws#59). API
  Gateway names the resource with the account masked to its last four digits
  (``arn:aws:execute-api:us-east-1:********9012:…``) and the connection as the route's
  ``{connectionId}`` (resources.py); the same for ``execute-api:Invoke`` on ``$connect``;
- Lambda (``lambda:InvokeFunction``): 403 ``AccessDeniedException``, "… because no
  identity-based policy allows the lambda:InvokeFunction action" (aws-deployment-framework
  #460), "… with an explicit deny in an identity-based policy";
- DynamoDB: 400 ``AccessDeniedException``, "… because no identity-based policy allows the
  dynamodb:PutItem action" (sst#4469), "… with an explicit deny in an identity-based policy".
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
    resource = masked_account(decision.resource) if service == "execute-api" else decision.resource
    head = (
        f"User: {decision.principal} is not authorized to perform: {decision.action}"
        f" on resource: {resource}"
    )
    explicit = decision.effect is Effect.EXPLICIT_DENY
    if explicit:
        message = head + " with an explicit deny in an identity-based policy"
    elif service == "execute-api":
        message = head
    else:
        message = head + f" because no identity-based policy allows the {decision.action} action"
    return AccessDenied(_STATUS.get(service, 403), "AccessDeniedException", message)


def masked_account(arn: str) -> str:
    """``arn`` with its account id masked as API Gateway prints it in a denial: eight stars,
    then the id's last four digits."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or len(parts[4]) < 4:
        return arn
    parts[4] = "********" + parts[4][-4:]
    return ":".join(parts)
