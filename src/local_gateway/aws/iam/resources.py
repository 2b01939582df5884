"""The action and resource ARN each emulated call is authorised for.

- Callback API: ``execute-api:ManageConnections`` on
  ``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/@connections/{connectionId}``, POST,
  GET and DELETE each their own resource ("Control access to WebSocket APIs with IAM
  authorization",
  https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html;
  "Use @connections commands in your backend service"). The last segment is the route's
  ``{connectionId}`` as written, not the connection's id: API Gateway's denials name that
  resource whichever connection was called (aws-cdk#18410, aws-samples and users' reports
  alike), so a grant must cover ``@connections/*`` (or the literal), as on AWS.
- Lambda's Invoke: ``lambda:InvokeFunction`` on the function's ARN (with ``:QUALIFIER`` when
  the call names one).
- DynamoDB: the operation of ``X-Amz-Target`` as ``dynamodb:OPERATION`` on each table it
  touches (``…:table/NAME``), or on the index for a Query or Scan of one
  (``…:table/NAME/index/INDEX``); a transaction is authorised item by item for the item's
  own action (TransactWriteItems: PutItem, UpdateItem, DeleteItem, ConditionCheckItem;
  TransactGetItems: GetItem), a PartiQL statement as PartiQLSelect/Insert/Update/Delete;
  ListTables and the other account-wide operations on ``*`` ("Actions, resources, and
  condition keys for Amazon DynamoDB").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from local_gateway.template.intrinsics import ACCOUNT_ID, function_arn

MANAGE_CONNECTIONS = "execute-api:ManageConnections"
CONNECTION_ID = "{connectionId}"  # the @connections route's path parameter, as IAM sees it
INVOKE_FUNCTION = "lambda:InvokeFunction"

__all__ = [
    "CONNECTION_ID",
    "INVOKE_FUNCTION",
    "MANAGE_CONNECTIONS",
    "callback_resource",
    "connection_arn",
    "dynamodb_action",
    "dynamodb_requests",
    "function_arn",
    "invoke_arn",
    "table_arn",
]


def callback_resource(stage_arn: str, method: str) -> str:
    """The resource a callback (POST, GET or DELETE on @connections/ID) is authorised for,
    under ``stage_arn`` (arn:aws:execute-api:REGION:ACCOUNT:API/STAGE), whatever the ID."""
    return f"{stage_arn}/{method.upper()}/@connections/{CONNECTION_ID}"


def connection_arn(
    region: str, api_id: str, stage: str, method: str, account_id: str = ACCOUNT_ID
) -> str:
    """``callback_resource`` of the stage ``stage`` of API ``api_id``."""
    stage_arn = f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}"
    return callback_resource(stage_arn, method)


def invoke_arn(
    region: str, name: str, qualifier: str | None = None, account_id: str = ACCOUNT_ID
) -> str:
    """The resource an Invoke of function ``name`` (and ``qualifier``) is authorised for."""
    arn = function_arn(region, name, account_id)
    return f"{arn}:{qualifier}" if qualifier else arn


def table_arn(
    region: str, table: str, index: str | None = None, account_id: str = ACCOUNT_ID
) -> str:
    """A table's ARN, or its index's."""
    arn = f"arn:aws:dynamodb:{region}:{account_id}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def dynamodb_action(target: str) -> str:
    """``DynamoDB_20120810.PutItem`` (the X-Amz-Target header) → ``dynamodb:PutItem``."""
    return "dynamodb:" + target.rsplit(".", 1)[-1]


_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
_NAME = r'\s+"?([\w.-]+?)"?(?:\."?([\w.-]+?)"?)?(?:[\s;]|$)'
_PARTIQL = re.compile(
    r"^\s*(?:(UPDATE)|(SELECT|INSERT|DELETE)\b.*?\b(?:FROM|INTO))" + _NAME,
    re.IGNORECASE | re.DOTALL,
)


def dynamodb_requests(
    target: str, body: Mapping[str, Any], region: str, account_id: str = ACCOUNT_ID
) -> list[tuple[str, str]]:
    """Each (action, resource) a DynamoDB request must be allowed, all of them."""
    operation = target.rsplit(".", 1)[-1]
    action = "dynamodb:" + operation

    def table(name: Any, index: Any = None) -> str:
        return table_arn(region, str(name), str(index) if index else None, account_id)

    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(action, table(name)) for name in body.get("RequestItems") or {}]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        found = []
        for item in body.get("TransactItems") or []:
            for kind, request in item.items():
                found.append((_TRANSACT_ACTIONS.get(kind, action), table(request["TableName"])))
        return found
    if operation == "ExecuteStatement":
        return _partiql(str(body.get("Statement", "")), table)
    if operation in ("BatchExecuteStatement", "ExecuteTransaction"):
        key = "Statements" if operation == "BatchExecuteStatement" else "TransactStatements"
        return [
            found
            for statement in body.get(key) or []
            for found in _partiql(str(statement.get("Statement", "")), table)
        ]
    if "TableName" in body:
        index = body.get("IndexName") if operation in ("Query", "Scan") else None
        return [(action, table(body["TableName"], index))]
    if "ResourceArn" in body:
        return [(action, str(body["ResourceArn"]))]
    return [(action, "*")]  # ListTables, DescribeLimits, DescribeEndpoints …


def _partiql(statement: str, table: Any) -> list[tuple[str, str]]:
    match = _PARTIQL.match(statement)
    if match is None:
        return [("dynamodb:PartiQLSelect", "*")]
    update, verb, name, index = match.groups()
    verb = update or verb
    return [(f"dynamodb:PartiQL{verb.capitalize()}", table(name, index))]
