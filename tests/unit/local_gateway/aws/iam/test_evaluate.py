"""IAM evaluation as AWS decides (aws/iam/evaluate.py, conditions.py, denials.py)."""

from __future__ import annotations

from typing import Any

from local_gateway.aws.iam.denials import access_denied
from local_gateway.aws.iam.evaluate import Authorizer, Effect, Principal, evaluate, principal_for
from local_gateway.aws.iam.resources import (
    MANAGE_CONNECTIONS,
    connection_arn,
    dynamodb_requests,
    table_arn,
)
from local_gateway.template.specs import PolicySpec, RoleSpec

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/ChatRole"
CALLBACKS = "arn:aws:execute-api:us-east-1:123456789012:abc123/production"


def _principal(*statements: dict[str, Any], not_evaluated: tuple[str, ...] = ()) -> Principal:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    role = RoleSpec("ChatRole", "ChatRole", ROLE_ARN, (PolicySpec("ChatRole/p", document),))
    role = RoleSpec(role.logical_id, role.name, role.arn, role.policies, not_evaluated)
    return principal_for(role, "chat-send")


def _allow(action: Any, resource: Any, **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def _post() -> str:
    return connection_arn(REGION, "abc123", "production", "POST")


def test_a_role_without_manage_connections_is_denied_post() -> None:
    """ "Use @connections commands in your backend service"
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html):
    the caller needs execute-api:ManageConnections; the Management API answers 403
    AccessDeniedException naming the assumed role, the resource with the account masked to
    its last four digits and the route's ``{connectionId}``, and nothing after it
    (aws-cdk#18410, https://github.com/aws/aws-cdk/issues/18410, quotes the message)."""
    principal = _principal(_allow("dynamodb:PutItem", "*"))
    decision = evaluate(principal, MANAGE_CONNECTIONS, _post())
    assert decision.effect is Effect.IMPLICIT_DENY
    denied = access_denied(decision)
    assert (denied.status, denied.code) == (403, "AccessDeniedException")
    assert denied.message == (
        "User: arn:aws:sts::123456789012:assumed-role/ChatRole/chat-send is not authorized to"
        " perform: execute-api:ManageConnections on resource:"
        " arn:aws:execute-api:us-east-1:********9012:abc123/production/POST/@connections/"
        "{connectionId}"
    )


def test_a_role_allowed_only_post_is_denied_delete_and_get() -> None:
    """ "Control access to WebSocket APIs with IAM authorization": the @connections API's ARN
    names the method, so POST, GET and DELETE are each granted on their own (aws-cdk#18410:
    grantManagementApiAccess grants POST only, and DELETE is then denied)."""
    principal = _principal(_allow(MANAGE_CONNECTIONS, f"{CALLBACKS}/POST/@connections/*"))
    assert evaluate(principal, MANAGE_CONNECTIONS, _post()).allowed
    for method in ("DELETE", "GET"):
        arn = connection_arn(REGION, "abc123", "production", method)
        assert evaluate(principal, MANAGE_CONNECTIONS, arn).effect is Effect.IMPLICIT_DENY


def test_a_role_without_the_index_arn_cannot_query_the_index() -> None:
    """ "Actions, resources, and condition keys for Amazon DynamoDB": Query on an index is
    authorised on ``table/NAME/index/INDEX``; the table's ARN does not cover it. DynamoDB
    answers 400 AccessDeniedException "because no identity-based policy allows" (sst#4469)."""
    table = table_arn(REGION, "Connections")
    principal = _principal(_allow(["dynamodb:Query", "dynamodb:PutItem"], table))
    body = {"TableName": "Connections", "IndexName": "room-index"}
    ((action, resource),) = dynamodb_requests("DynamoDB_20120810.Query", body, REGION)
    assert resource == f"{table}/index/room-index"
    decision = evaluate(principal, action, resource)
    assert not decision.allowed
    denied = access_denied(decision)
    assert denied.status == 400
    assert denied.message.endswith(
        "because no identity-based policy allows the dynamodb:Query action"
    )
    assert evaluate(principal, "dynamodb:Query", table).allowed


def test_an_explicit_deny_beats_an_allow() -> None:
    """ "Policy evaluation logic": an applicable Deny decides, whatever allows the request;
    the message says "with an explicit deny in an identity-based policy"."""
    function = "arn:aws:lambda:us-east-1:123456789012:function:fanout"
    principal = _principal(
        _allow("lambda:*", "*"),
        {
            "Sid": "NoFanout",
            "Effect": "Deny",
            "Action": "lambda:InvokeFunction",
            "Resource": function,
        },
    )
    decision = evaluate(principal, "lambda:InvokeFunction", function)
    assert decision.effect is Effect.EXPLICIT_DENY
    assert decision.statement == "ChatRole/p statement 2 (NoFanout)"
    assert access_denied(decision).message.endswith(
        "with an explicit deny in an identity-based policy"
    )
    assert evaluate(principal, "lambda:InvokeFunction", function + "-other").allowed


def test_not_action_and_not_resource() -> None:
    """ "IAM JSON policy elements: NotAction" and "…: NotResource": the statement applies to
    every action (resource) but those listed."""
    table = table_arn(REGION, "Connections")
    principal = _principal(
        {"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": table},
        {"Effect": "Allow", "Action": "dynamodb:DeleteItem", "NotResource": table},
    )
    assert evaluate(principal, "dynamodb:PutItem", table).allowed
    assert not evaluate(principal, "dynamodb:DeleteItem", table).allowed
    assert evaluate(principal, "dynamodb:DeleteItem", table_arn(REGION, "Messages")).allowed
    assert not evaluate(principal, "dynamodb:PutItem", table_arn(REGION, "Messages")).allowed


def test_wildcards_in_actions_and_resources() -> None:
    """ "IAM JSON policy elements: Action": actions are not case-sensitive and take ``*`` and
    ``?``. "…: Resource": wildcards match within an ARN's colon-separated segments; a ``*``
    that ends a segment may run on across the colons."""
    principal = _principal(
        _allow("DynamoDB:get*", "arn:aws:dynamodb:*:123456789012:table/Conn?ctions"),
        _allow("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:fan*"),
        _allow("execute-api:ManageConnections", "arn:aws:execute-api:*"),
    )
    table = table_arn(REGION, "Connections")
    assert evaluate(principal, "dynamodb:GetItem", table).allowed
    assert not evaluate(principal, "dynamodb:PutItem", table).allowed
    assert not evaluate(principal, "dynamodb:GetItem", table + "/index/x").allowed
    fn = "arn:aws:lambda:us-east-1:123456789012:function:fanout"
    assert evaluate(principal, "lambda:InvokeFunction", fn + ":live").allowed  # * ends it
    assert evaluate(principal, MANAGE_CONNECTIONS, _post()).allowed  # arn:aws:execute-api:*
    in_segment = _principal(
        _allow("dynamodb:GetItem", "arn:aws:dynamodb:us-*-1:123456789012:table/T")
    )
    assert evaluate(in_segment, "dynamodb:GetItem", table_arn("us-east-1", "T")).allowed
    # a * inside a segment stops at its colon
    assert not evaluate(in_segment, "dynamodb:GetItem", table_arn("us-east-1:x:y-1", "T")).allowed


def test_conditions_as_iam_evaluates_them() -> None:
    """ "IAM JSON policy elements: Condition operators": a key absent from the request makes
    a condition false, except the negated operators and …IfExists; values for one key are
    alternatives; an unsupported operator never holds and is named."""
    table = table_arn(REGION, "T")
    principal = _principal(
        _allow(
            "dynamodb:GetItem",
            table,
            Condition={"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}},
        ),
        _allow(
            "dynamodb:PutItem", table, Condition={"StringNotLike": {"aws:PrincipalTag/team": "x*"}}
        ),
        _allow(
            "dynamodb:Query", table, Condition={"BoolIfExists": {"aws:SecureTransport": "true"}}
        ),
        _allow(
            "dynamodb:Scan",
            table,
            Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
        ),
        _allow(
            "dynamodb:DeleteItem",
            table,
            Condition={"ForAllValues:StringEquals": {"dynamodb:Attributes": ["a", "b"]}},
        ),
        _allow(
            "dynamodb:UpdateItem",
            table,
            Condition={"ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:*:function:f*"}},
        ),
    )
    authorizer = Authorizer()
    assert authorizer.authorize(
        principal, "dynamodb:GetItem", table, {"aws:RequestedRegion": "us-east-1"}
    ).allowed
    assert not authorizer.authorize(
        principal, "dynamodb:GetItem", table, {"aws:requestedregion": "ap-south-1"}
    ).allowed
    assert not authorizer.authorize(principal, "dynamodb:GetItem", table).allowed  # absent
    assert authorizer.authorize(principal, "dynamodb:PutItem", table).allowed  # negated, absent
    assert not authorizer.authorize(
        principal, "dynamodb:PutItem", table, {"aws:PrincipalTag/team": "xa"}
    ).allowed
    assert authorizer.authorize(principal, "dynamodb:Query", table).allowed  # IfExists
    assert not authorizer.authorize(
        principal, "dynamodb:Query", table, {"aws:SecureTransport": False}
    ).allowed
    assert not authorizer.authorize(
        principal, "dynamodb:Scan", table, {"aws:CurrentTime": "2030-01-01T00:00:00Z"}
    ).allowed
    assert principal.unsupported_conditions == [
        "ChatRole/p statement 4: condition operator DateGreaterThan (not supported: never holds)"
    ]
    assert authorizer.authorize(
        principal, "dynamodb:DeleteItem", table, {"dynamodb:Attributes": ["a"]}
    ).allowed
    assert not authorizer.authorize(
        principal, "dynamodb:DeleteItem", table, {"dynamodb:Attributes": ["a", "c"]}
    ).allowed
    source = "arn:aws:lambda:us-east-1:123456789012:function:fanout"
    assert authorizer.authorize(
        principal, "dynamodb:UpdateItem", table, {"aws:SourceArn": source}
    ).allowed


def test_decisions_are_memoised_per_principal_action_and_resource() -> None:
    """The fan-out asks the same question for every recipient: it is decided once."""
    principal = _principal(_allow(MANAGE_CONNECTIONS, f"{CALLBACKS}/POST/@connections/*"))
    authorizer = Authorizer(size=2)
    get = connection_arn(REGION, "abc123", "production", "GET")
    delete = connection_arn(REGION, "abc123", "production", "DELETE")
    first = authorizer.authorize(principal, MANAGE_CONNECTIONS, _post())
    assert authorizer.authorize(principal, MANAGE_CONNECTIONS, _post()) is first
    authorizer.authorize(principal, MANAGE_CONNECTIONS, get)
    assert authorizer.authorize(principal, MANAGE_CONNECTIONS, _post()) is first  # two fit
    authorizer.authorize(principal, MANAGE_CONNECTIONS, delete)  # past size: starts again
    again = authorizer.authorize(principal, MANAGE_CONNECTIONS, _post())
    assert again == first
    assert again is not first


def test_an_implicit_deny_says_what_was_not_evaluated_and_what_would_allow_it() -> None:
    principal = _principal(not_evaluated=("ChatRole: managed policy arn:aws:iam::aws:policy/X",))
    decision = evaluate(principal, "dynamodb:PutItem", table_arn(REGION, "T"))
    assert decision.not_evaluated == ("ChatRole: managed policy arn:aws:iam::aws:policy/X",)
    assert decision.would_allow == (
        '{"Effect": "Allow", "Action": "dynamodb:PutItem",'
        ' "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/T"}'
    )


def test_dynamodb_requests_name_each_table_and_item_action() -> None:
    """ "Actions, resources, and condition keys for Amazon DynamoDB": batch operations are
    authorised on each table; TransactWriteItems for each item's own action."""
    body = {"RequestItems": {"A": [], "B": []}}
    assert dynamodb_requests("DynamoDB_20120810.BatchWriteItem", body, REGION) == [
        ("dynamodb:BatchWriteItem", table_arn(REGION, "A")),
        ("dynamodb:BatchWriteItem", table_arn(REGION, "B")),
    ]
    transact = {
        "TransactItems": [{"Put": {"TableName": "A"}}, {"ConditionCheck": {"TableName": "B"}}]
    }
    assert dynamodb_requests("DynamoDB_20120810.TransactWriteItems", transact, REGION) == [
        ("dynamodb:PutItem", table_arn(REGION, "A")),
        ("dynamodb:ConditionCheckItem", table_arn(REGION, "B")),
    ]
    assert dynamodb_requests("DynamoDB_20120810.ListTables", {}, REGION) == [
        ("dynamodb:ListTables", "*")
    ]
    assert dynamodb_requests(
        "DynamoDB_20120810.GetItem", {"TableName": "A", "IndexName": "i"}, REGION
    ) == [("dynamodb:GetItem", table_arn(REGION, "A"))]


def test_an_explicit_deny_of_a_callback_names_its_policy_type() -> None:
    """API Gateway's explicit-deny message names the policy type, "… with an explicit deny
    in a service control policy" for an SCP (aws-solutions/innovation-sandbox-on-aws#59,
    https://github.com/aws-solutions/innovation-sandbox-on-aws/pull/59), so "… in an
    identity-based policy" for the role's own ("Troubleshoot access denied error messages",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html)."""
    principal = _principal(
        _allow(MANAGE_CONNECTIONS, f"{CALLBACKS}/*"),
        {"Effect": "Deny", "Action": MANAGE_CONNECTIONS, "Resource": f"{CALLBACKS}/DELETE/*"},
    )
    delete = connection_arn(REGION, "abc123", "production", "DELETE")
    message = access_denied(evaluate(principal, MANAGE_CONNECTIONS, delete)).message
    assert message == (
        "User: arn:aws:sts::123456789012:assumed-role/ChatRole/chat-send is not authorized to"
        " perform: execute-api:ManageConnections on resource:"
        " arn:aws:execute-api:us-east-1:********9012:abc123/production/DELETE/@connections/"
        "{connectionId} with an explicit deny in an identity-based policy"
    )


def test_a_grant_of_one_connection_id_covers_no_callback() -> None:
    """The @connections resource IAM decides on ends in the route's ``{connectionId}``, as
    every denial API Gateway writes shows (aws-cdk#18410,
    https://github.com/aws/aws-cdk/issues/18410): a grant naming one connection's id allows
    no call, ``@connections/*`` allows them all."""
    one = _principal(_allow(MANAGE_CONNECTIONS, f"{CALLBACKS}/POST/@connections/abc="))
    assert not evaluate(one, MANAGE_CONNECTIONS, _post()).allowed
    every = _principal(_allow(MANAGE_CONNECTIONS, f"{CALLBACKS}/POST/@connections/*"))
    assert evaluate(every, MANAGE_CONNECTIONS, _post()).allowed


def test_lambda_and_dynamodb_denials_keep_the_account_and_say_why() -> None:
    """Lambda: 403 "… because no identity-based policy allows the lambda:InvokeFunction
    action", account shown (aws-deployment-framework#460,
    https://github.com/awslabs/aws-deployment-framework/issues/460); DynamoDB: 400, the same
    ending for its action (sst#4469, https://github.com/anomalyco/sst/issues/4469)."""
    principal = _principal()
    function = "arn:aws:lambda:us-east-1:123456789012:function:fanout"
    invoke = access_denied(evaluate(principal, "lambda:InvokeFunction", function))
    assert (invoke.status, invoke.message) == (
        403,
        "User: arn:aws:sts::123456789012:assumed-role/ChatRole/chat-send is not authorized to"
        f" perform: lambda:InvokeFunction on resource: {function} because no identity-based"
        " policy allows the lambda:InvokeFunction action",
    )
    table = table_arn(REGION, "T")
    put = access_denied(evaluate(principal, "dynamodb:PutItem", table))
    assert put.status == 400
    assert put.message.endswith(
        f"on resource: {table} because no identity-based policy allows the dynamodb:PutItem action"
    )
