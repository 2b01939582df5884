import re
from pathlib import Path

import pytest

from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.model import local_api_ids, read_api, read_apis
from tests.conftest import CHAT_ROUTES, ROOT, TEMPLATE


def test_reads_the_chat_api_from_the_template() -> None:
    api = read_api(TEMPLATE)
    assert api.name == "serverless-chat-api"
    assert api.stage == "production"
    assert api.route_selection_expression == "$request.body.action"
    assert set(api.routes) == CHAT_ROUTES
    send = api.routes["sendMessage"].function
    assert send is not None
    assert send.handler == "serverless_chat.handlers.send_message.handler"
    assert send.code_dir == ROOT / "src"
    assert send.timeout == 29
    assert send.environment["CONNECTIONS_TABLE"] == "serverless-chat-ConnectionsTable"
    assert api.routes["sendmessage"].function == send
    # the function routes answer through PostToConnection; only the MOCK ping is two-way
    assert [key for key, route in api.routes.items() if route.two_way] == ["ping"]
    assert api.routes["ping"].function is None
    assert send.environment["MESSAGES_TABLE"] == "serverless-chat-MessagesTable"
    assert send.environment["MAX_MESSAGE_LENGTH"] == "4000"
    assert api.tables["ConnectionsTable"].key_schema == (("connectionId", "HASH"),)
    assert api.tables["MessagesTable"].key_schema == (("room", "HASH"), ("sortKey", "RANGE"))
    # roles are read (each function's role: template/policies/iam.py), so not listed as not emulated
    assert not any(t.startswith("AWS::IAM::") for t in api.not_emulated)
    assert api.routes["$connect"].authorizer is None  # AuthMode none by default


def test_parameters_reach_the_api() -> None:
    api = read_api(TEMPLATE, {"StageName": "dev", "ApiName": "other"})
    assert api.stage == "dev"
    assert api.name == "other"


def test_template_without_websocket_api(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    with pytest.raises(TemplateError, match="WEBSOCKET"):
        read_api(path)


def test_two_way_route_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        """
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: echo, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.op}
  Echo:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: echo}
  EchoResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: {ApiId: !Ref Api, RouteId: !Ref Echo, RouteResponseKey: $default}
"""
    )
    api = read_api(path)
    assert api.routes["echo"].two_way
    assert api.routes["echo"].function is None
    assert api.stage == "$default"


# -- Metadata: LocalGateway: Hook ------------------------------------------------------------

_API = """
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: t, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.op}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def test_the_hook_comes_from_the_templates_metadata(tmp_path: Path) -> None:
    assert read_api(TEMPLATE).hook == "serverless_chat.local:chat_app"
    path = _write(
        tmp_path, "Metadata:\n  LocalGateway:\n    Hook: my_app.local:wire\nResources:" + _API
    )
    assert read_api(path).hook == "my_app.local:wire"


@pytest.mark.parametrize(
    "metadata",
    [
        "",
        "Metadata: {}\n",
        "Metadata:\n  LocalGateway: {}\n",
        "Metadata:\n  LocalGateway:\n    Hook: ''\n",
        "Metadata:\n  Other:\n    Hook: x:y\n",
    ],
    ids=["no-metadata", "empty-metadata", "no-hook", "empty-hook", "other-key"],
)
def test_without_a_hook_in_the_metadata_there_is_none(tmp_path: Path, metadata: str) -> None:
    assert read_api(_write(tmp_path, metadata + "Resources:" + _API)).hook is None


def test_a_hook_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "Metadata:\n  LocalGateway:\n    Hook: [a, b]\nResources:" + _API)
    with pytest.raises(TemplateError, match="Hook must be 'module:callable'"):
        read_api(path)


TWO_APIS = ROOT / "tests" / "fixtures" / "two_apis" / "template.yaml"


def test_every_websocket_api_of_a_template_is_read_in_order_with_its_own_routes() -> None:
    """Each API is an API of its own: its routes, stage and id; the template's functions and
    tables are every API's ("Use @connections commands in your backend service", API Gateway
    Developer Guide: each API its own {api-id}.execute-api host,
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html)."""
    chat, admin = read_apis(TWO_APIS)
    assert (chat.logical_id, admin.logical_id) == ("ChatApi", "ChatAdminApi")
    assert (chat.name, admin.name) == ("chat", "chat-admin")
    assert set(chat.routes) == {"$connect", "$disconnect", "sendMessage", "probe"}
    assert set(admin.routes) == {"$connect", "$disconnect", "announce"}
    assert chat.api_id != admin.api_id
    assert chat.functions == admin.functions
    assert chat.tables == admin.tables
    assert chat.problems == admin.problems == []  # each route's Permission names its own API
    env = chat.functions["ProbeFunction"].environment
    assert env["CHAT_CALLBACK_URL"].startswith(f"https://{chat.api_id}.execute-api.")
    assert env["ADMIN_CALLBACK_URL"].startswith(f"https://{admin.api_id}.execute-api.")
    assert read_api(TWO_APIS) == chat


def test_local_api_ids_differ_even_when_the_logical_ids_begin_alike() -> None:
    """Ten lowercase letters and digits, as AWS's API ids are."""
    logical_ids = ["ChatApi", "ChatAdminApi", *(f"Chat{n}" for n in range(12)), "Echo"]
    ids = local_api_ids(logical_ids)
    assert len(set(ids.values())) == len(logical_ids)
    assert ids["ChatApi"] == "localchata"  # the first keeps the id a single API has
    assert ids["Echo"] == "localecho"
    assert all(re.fullmatch(r"[a-z0-9]{1,10}", api_id) for api_id in ids.values())


def test_an_api_key_made_at_start_has_one_value_on_every_api(tmp_path: Path) -> None:
    """A key is one resource, whichever APIs its usage plan names; one without a Value gets
    one generated when it is created, once (CDK's aws_apigatewayv2 ApiKeyProps, "Auto-generated
    name and value",
    https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_apigatewayv2.ApiKeyProps.html;
    CloudFormation's AWS::ApiGateway::ApiKey,
    http://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-apikey.html)."""
    path = tmp_path / "template.yaml"
    apis = "".join(
        f"""
  {name}:
    Type: AWS::ApiGatewayV2::Api
    Properties: {{Name: {name}, ProtocolType: WEBSOCKET}}
  {name}Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {{ApiId: !Ref {name}, StageName: live, AutoDeploy: true}}"""
        for name in ("One", "Two")
    )
    path.write_text(
        f"""Resources:{apis}
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {{Enabled: true}}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{{ApiId: !Ref One, Stage: live}}, {{ApiId: !Ref Two, Stage: live}}]
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {{KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan}}
"""
    )
    one, two = read_apis(path)
    assert len(one.api_keys) == len(two.api_keys) == 1
    assert one.api_keys[0].generated
    assert one.api_keys[0].value == two.api_keys[0].value
