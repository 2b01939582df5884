"""infra/template.yaml: each role grants exactly what its function needs (cfn-lint and
checkov run in tests/lint)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_gateway.template.cfn_yaml import load_template
from tests.conftest import TEMPLATE

MANAGE = "execute-api:ManageConnections"
CONNECTIONS = {"Fn::GetAtt": ["ConnectionsTable", "Arn"]}
MESSAGES = {"Fn::GetAtt": ["MessagesTable", "Arn"]}
DIRECTS = {"Fn::GetAtt": ["DirectMessagesTable", "Arn"]}


def _index(name: str) -> dict[str, str]:
    return {"Fn::Sub": f"${{ConnectionsTable.Arn}}/index/{name}"}


def _callback_arn(method: str) -> dict[str, str]:
    return {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        f"${{ChatApi}}/${{StageName}}/{method}/@connections/*"
    }


# Every request's first call: one conditional UpdateItem takes a token from the sender's
# bucket and returns its row, so the request routes read no row by GetItem. GetItem stays
# where a name is claimed (connect, join, setName): is the claim's holder still there?
UPDATE = "dynamodb:UpdateItem"
GET, PUT, DELETE, QUERY = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
)
POST_ONLY = ({MANAGE}, [_callback_arn("POST")])
INVOKE_FANOUT = ({"lambda:InvokeFunction"}, [{"Fn::GetAtt": ["FanoutHandler", "Arn"]}])
ROOM_QUERY = ({QUERY}, [_index("room-index")])
PRESENCE_QUERY = ({QUERY}, [_index("presence-index")])
# Presence, and a signed-in person's other connections (their name claim passes between them)
PRESENCE_AND_NAME_QUERY = ({QUERY}, [_index("presence-index"), _index("name-index")])
NAME_QUERY = ({QUERY}, [_index("name-index")])

# Role → [(actions, resources)] beyond writing its own log group.
EXPECTED: dict[str, list[tuple[set[str], list[Any]]]] = {
    # GetConnection: whether a name's holder is still there (its $disconnect may never come)
    "ConnectRole": [
        ({PUT, GET, DELETE}, [CONNECTIONS]),
        PRESENCE_AND_NAME_QUERY,
        POST_ONLY,
        ({MANAGE}, [_callback_arn("GET")]),
        INVOKE_FANOUT,
    ],
    # the row comes back with its DeleteItem (ALL_OLD): no GetItem
    "DisconnectRole": [
        ({PUT, DELETE}, [CONNECTIONS]),
        PRESENCE_AND_NAME_QUERY,
        POST_ONLY,
        INVOKE_FANOUT,
    ],
    # GetItem: a guest's row, for the identity a direct message to it is kept for;
    # presence-index: a ghost its fan-out finds is announced to the room as left
    "SendMessageRole": [
        ({PUT, UPDATE, DELETE, GET}, [CONNECTIONS]),
        ({QUERY}, [_index("room-index"), _index("name-index"), _index("presence-index")]),
        ({PUT}, [MESSAGES, DIRECTS]),
        POST_ONLY,
        INVOKE_FANOUT,
    ],
    # an own message's text changed or emptied (UpdateItem, conditional on its owner), the
    # room told: the sender's token, the room's members, stale rows dropped as a send does
    "EditMessageRole": [
        ({PUT, UPDATE, DELETE}, [CONNECTIONS]),
        ({QUERY}, [_index("room-index"), _index("name-index"), _index("presence-index")]),
        ({UPDATE}, [MESSAGES]),
        POST_ONLY,
        INVOKE_FANOUT,
    ],
    # posts a page; drops gone rows, passing a signed-in person's claim to their next connection
    "FanoutRole": [({DELETE, PUT}, [CONNECTIONS]), NAME_QUERY, POST_ONLY],
    # $default takes a token from the caller's bucket (reading its row), like every route
    "DefaultRole": [
        ({UPDATE}, [CONNECTIONS]),
        ({MANAGE}, [_callback_arn("POST"), _callback_arn("GET")]),
    ],
    # GetConnection: whether the holder of the name asked for is still there (a ghost's
    # row is deleted, DeleteItem, and the name taken back), as on $connect
    "JoinRole": [
        ({GET, UPDATE, PUT, DELETE}, [CONNECTIONS]),
        PRESENCE_AND_NAME_QUERY,
        ({QUERY}, [MESSAGES]),
        POST_ONLY,
        ({MANAGE}, [_callback_arn("GET")]),
        INVOKE_FANOUT,
    ],
    "SetNameRole": [
        ({GET, UPDATE, PUT, DELETE}, [CONNECTIONS]),
        PRESENCE_AND_NAME_QUERY,
        POST_ONLY,
        ({MANAGE}, [_callback_arn("GET")]),
        INVOKE_FANOUT,
    ],
    # history, directHistory (the table, a conversation; both reader indexes, all of one's
    # direct messages) and resume (a guest's identity written in its row: UpdateItem)
    "HistoryRole": [
        ({UPDATE}, [CONNECTIONS]),
        (
            {QUERY},
            [
                MESSAGES,
                DIRECTS,
                {"Fn::Sub": "${DirectMessagesTable.Arn}/index/reader-a-index"},
                {"Fn::Sub": "${DirectMessagesTable.Arn}/index/reader-b-index"},
            ],
        ),
        POST_ONLY,
    ],
    # who Queries room-index, rooms Scans it: the table itself (claims, buckets) stays unread
    "WhoRole": [
        ({UPDATE}, [CONNECTIONS]),
        ({QUERY, "dynamodb:Scan"}, [_index("room-index")]),
        POST_ONLY,
    ],
    "AuthorizeRole": [],  # plus ssm:GetParameter on the secret, with AuthMode hs256 only
}
# Written here by hand, as EXPECTED is: this test is the oracle the generated template is
# checked against, so it reads nothing of the function table it was made from.
ROUTES = {
    "$connect",
    "$disconnect",
    "$default",
    "sendMessage",
    "sendmessage",
    "editMessage",
    "deleteMessage",
    "join",
    "setName",
    "history",
    "directHistory",
    "resume",
    "who",
    "rooms",
    "ping",  # MOCK: no function, no permission
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_one_role_per_function(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    roles = [f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()]
    assert sorted(roles) == sorted(EXPECTED)
    assert len(set(roles)) == len(functions) == 11


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_is_least_privilege(template: dict[str, Any], role: str) -> None:
    resource = template["Resources"][role]
    assert "ManagedPolicyArns" not in resource["Properties"]
    (policy,) = resource["Properties"]["Policies"]
    statements = [s for s in policy["PolicyDocument"]["Statement"] if "Fn::If" not in s]
    log_group = role.removesuffix("Role") + "LogGroup"
    grants = [(set(_as_list(s["Action"])), _as_list(s["Resource"])) for s in statements]
    assert all(s["Effect"] == "Allow" for s in statements)
    assert grants[0] == (
        {"logs:CreateLogStream", "logs:PutLogEvents"},
        [{"Fn::GetAtt": [log_group, "Arn"]}],
    )
    assert grants[1:] == EXPECTED[role]


def test_the_authorizer_reads_only_its_secret_and_only_in_hs256_mode(
    template: dict[str, Any],
) -> None:
    (policy,) = template["Resources"]["AuthorizeRole"]["Properties"]["Policies"]
    (conditional,) = [s for s in policy["PolicyDocument"]["Statement"] if "Fn::If" in s]
    condition, statement, otherwise = conditional["Fn::If"]
    assert condition == "UsesSecret"
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert statement["Action"] == "ssm:GetParameter"
    assert statement["Resource"]["Fn::Sub"].endswith(":parameter${JwtSecretParameter}")
    connect = template["Resources"]["ConnectRoute"]["Properties"]
    assert connect["AuthorizationType"] == {"Fn::If": ["AuthEnabled", "CUSTOM", "NONE"]}
    authorizer = template["Resources"]["ChatAuthorizer"]["Properties"]
    assert authorizer["IdentitySource"] == ["route.request.querystring.token"]
    assert template["Parameters"]["AuthMode"]["Default"] == "none"


def test_no_wildcard_resource_or_action_anywhere(template: dict[str, Any]) -> None:
    text = json.dumps(template)
    assert '"Resource": "*"' not in text
    assert '"Action": "*"' not in text
    for resource in template["Resources"].values():
        for statement in (
            s
            for p in resource.get("Properties", {}).get("Policies", [])
            for s in p["PolicyDocument"]["Statement"]
            if "Fn::If" not in s
        ):
            for action in _as_list(statement["Action"]):
                assert not action.endswith(":*"), action


def test_api_stage_table_and_outputs(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    api = resources["ChatApi"]["Properties"]
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.action"
    assert template["Parameters"]["ApiName"]["Default"] == "serverless-chat-api"
    assert template["Parameters"]["StageName"]["Default"] == "production"
    assert resources["Stage"]["Properties"]["AutoDeploy"] is True
    table = resources["ConnectionsTable"]
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"]["KeySchema"] == [
        {"AttributeName": "connectionId", "KeyType": "HASH"}
    ]
    assert template["Parameters"]["ReadCapacityUnits"]["Default"] == 5
    assert template["Parameters"]["WriteCapacityUnits"]["Default"] == 5
    assert template["Parameters"]["BillingMode"]["AllowedValues"] == [
        "PROVISIONED",
        "PAY_PER_REQUEST",
    ]
    assert set(template["Outputs"]) == {
        "WebSocketURL",
        "CallbackURL",
        "ConnectionsTableName",
        "MessagesTableName",
        "DirectMessagesTableName",
    }
    assert template["Outputs"]["WebSocketURL"]["Value"]["Fn::Sub"].startswith("wss://")
    routes = {
        r["Properties"]["RouteKey"]
        for r in resources.values()
        if r["Type"] == "AWS::ApiGatewayV2::Route"
    }
    assert routes == ROUTES
    messages = resources["MessagesTable"]["Properties"]
    assert messages["KeySchema"] == [
        {"AttributeName": "room", "KeyType": "HASH"},
        {"AttributeName": "sortKey", "KeyType": "RANGE"},
    ]
    assert messages["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    indexes = {i["IndexName"]: i for i in table["Properties"]["GlobalSecondaryIndexes"]}
    assert indexes["room-index"]["KeySchema"][0] == {"AttributeName": "room", "KeyType": "HASH"}
    assert indexes["name-index"]["KeySchema"][0] == {"AttributeName": "nameKey", "KeyType": "HASH"}
    assert template["Parameters"]["RetentionDays"]["Default"] == 7
    assert template["Parameters"]["MaxMessageLength"]["Default"] == 4000


def test_no_index_projects_the_token_bucket(template: dict[str, Any]) -> None:
    """Every request rewrites its sender's bucket (``tat``), and DynamoDB writes an index
    only when an attribute it projects changes: each index projects what its queries read
    — a fan-out id and format, who the name, presence the format, direct messages and a
    signed-in person's other connections what they read — and never the bucket
    (docs/performance.md, DynamoDB capacity)."""
    table = template["Resources"]["ConnectionsTable"]["Properties"]
    projections = {i["IndexName"]: i["Projection"] for i in table["GlobalSecondaryIndexes"]}
    assert projections == {
        "room-index": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["format", "name"]},
        "presence-index": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["format"]},
        "name-index": {
            "ProjectionType": "INCLUDE",
            "NonKeyAttributes": ["room", "name", "format", "principal", "connectedAt", "expiresAt"],
        },
    }


def test_lambda_permissions_are_scoped_to_this_api_and_route(template: dict[str, Any]) -> None:
    permissions = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Permission"
    ]
    assert len(permissions) == len(ROUTES) - 1 + 1  # not ping's (MOCK); the authorizer's
    for permission in permissions:
        assert permission["Principal"] == "apigateway.amazonaws.com"
        source = permission["SourceArn"]["Fn::Sub"]
        assert "${ChatApi}/${StageName}/" in source or source.endswith(
            "${ChatApi}/authorizers/${ChatAuthorizer}"
        )
        assert not source.endswith("*")


def test_alarm_and_log_groups(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    alarm = resources["FunctionErrorsAlarm"]["Properties"]
    functions = [k for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"]
    watched = [
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
        for m in alarm["Metrics"]
        if "MetricStat" in m
    ]
    assert sorted(watched) == sorted(f for f in functions if f != "AuthorizeHandler")
    assert alarm["AlarmActions"]["Fn::If"][0] == "HasAlarmTopic"
    for name in functions:
        group = resources[name.replace("Handler", "LogGroup")]["Properties"]
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert resources["AccessLogGroup"]["Properties"]["RetentionInDays"] == {
        "Ref": "LogRetentionDays"
    }
    assert resources["MessagesTable"]["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }


def test_big_rooms_are_paged_to_the_fanout_function_without_retries(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    for fanning_out in ("SendMessage", "Connect", "Disconnect", "Join", "SetName"):  # presence
        env = resources[f"{fanning_out}Handler"]["Properties"]["Environment"]["Variables"]
        assert env["FANOUT_FUNCTION"] == {"Ref": "FanoutHandler"}
        assert env["FANOUT_PAGE_SIZE"] == {"Ref": "FanoutPageSize"}
    config = resources["FanoutInvokeConfig"]["Properties"]
    assert config["FunctionName"] == {"Ref": "FanoutHandler"}
    assert config["MaximumRetryAttempts"] == 0  # a retried page would post twice
    fanout = resources["FanoutHandler"]["Properties"]
    assert fanout["Handler"] == "serverless_chat.handlers.fanout.handler"
    alarm = resources["FunctionErrorsAlarm"]["Properties"]["Metrics"]
    watched = [
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for m in alarm if "MetricStat" in m
    ]
    assert {"Ref": "FanoutHandler"} in watched


def test_the_functions_post_to_the_stages_own_endpoint_unless_told_otherwise(
    template: dict[str, Any],
) -> None:
    """An event's domainName is the custom domain when clients come through one, which does
    not serve @connections: every function that posts gets the execute-api endpoint, the
    CallbackURL output, from the template; CallbackEndpoint overrides it."""
    resources = template["Resources"]
    execute_api = template["Outputs"]["CallbackURL"]["Value"]
    assert execute_api == {
        "Fn::Sub": "https://${ChatApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${StageName}"
    }
    expected = {"Fn::If": ["HasCallbackEndpoint", {"Ref": "CallbackEndpoint"}, execute_api]}
    posting = {
        name for name, role in EXPECTED.items() if any(MANAGE in actions for actions, _ in role)
    }
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        env = resource["Properties"]["Environment"]["Variables"]
        if resource["Properties"]["Role"]["Fn::GetAtt"][0] in posting:
            assert env["CALLBACK_URL"] == expected, name
        else:
            assert "CALLBACK_URL" not in env, name  # the authorizer posts nothing
    assert len(posting) == 10
    assert template["Parameters"]["CallbackEndpoint"]["Default"] == ""
    assert template["Conditions"]["HasCallbackEndpoint"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "CallbackEndpoint"}, ""]}]
    }


def test_the_alarm_can_be_turned_off_for_an_engine_that_cannot_make_it(
    template: dict[str, Any],
) -> None:
    assert template["Parameters"]["Alarms"]["Default"] == "enabled"
    assert template["Parameters"]["Alarms"]["AllowedValues"] == ["enabled", "disabled"]
    assert template["Conditions"]["AlarmsEnabled"] == {"Fn::Equals": [{"Ref": "Alarms"}, "enabled"]}
    assert template["Resources"]["FunctionErrorsAlarm"]["Condition"] == "AlarmsEnabled"


def test_isolated_under_the_local_gateway_the_callback_goes_through_its_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As the local gateway reads the template, every posting function's CALLBACK_URL is the
    API's own execute-api host, which the gateway serves behind the proxy it gives isolated
    functions (`serve --no-hook`): there the functions post through boto3's client, which
    speaks the proxy; on Lambda, with no proxy, through the lean signed adapter."""
    from local_gateway.template.model import read_api
    from serverless_chat.adapters.management_api import ManagementApiConnections
    from serverless_chat.adapters.signed_http import SignedHttpConnections
    from serverless_chat.handlers.dependencies import aws_dependencies
    from serverless_chat.handlers.event_view import WebSocketEvent
    from tests.conftest import load_event

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    api = read_api(TEMPLATE)
    urls = {f.environment.get("CALLBACK_URL") for f in api.functions.values()}
    assert urls == {f"https://{api.api_id}.execute-api.us-east-1.amazonaws.com/{api.stage}"}
    given = read_api(TEMPLATE, {"CallbackEndpoint": "http://127.0.0.1:4566/_aws/x/production"})
    assert {f.environment.get("CALLBACK_URL") for f in given.functions.values()} == {
        "http://127.0.0.1:4566/_aws/x/production"
    }
    (url,) = urls
    event = WebSocketEvent(load_event("powertools/apiGatewayWebSocketApiMessage"))
    proxy = {"HTTPS_PROXY": "http://fn:local@127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost"}
    isolated = aws_dependencies({"CONNECTIONS_TABLE": "t", "CALLBACK_URL": url, **proxy})
    assert isinstance(isolated.connections_for(event), ManagementApiConnections)
    on_lambda = aws_dependencies({"CONNECTIONS_TABLE": "t", "CALLBACK_URL": url})
    assert isinstance(on_lambda.connections_for(event), SignedHttpConnections)
    bypassed = aws_dependencies(
        {"CONNECTIONS_TABLE": "t", "CALLBACK_URL": "http://127.0.0.1:8080/production", **proxy}
    )
    assert isinstance(bypassed.connections_for(event), SignedHttpConnections)
