"""SAM's AWS::Serverless::WebSocketApi, expanded as the SAM translator expands it.

What SAM generates, its logical ids and its error texts are those of the SAM page
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-websocketapi.html
and of the translator, aws/serverless-application-model (v1.109.0+, 2026):
samtranslator/model/api/websocket_api_generator.py (WebSocketApiGenerator),
samtranslator/model/sam_resources.py (SamWebSocketApi: property types, referable ``Stage``)
and samtranslator/plugins/globals/globals.py (Globals.WebSocketApi), as its test outputs
tests/translator/output/websocket_api_*.json show them. The templates under
tests/fixtures/sam_websocket/ are this project's own.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from local_gateway.template.cfn_yaml import TemplateError, load_template
from local_gateway.template.intrinsics import Resolver
from local_gateway.template.model import read_api
from local_gateway.template.sam.sam_websocket import expand_websocket_apis
from tests.conftest import FIXTURES

SAM = FIXTURES / "sam_websocket"
CHAT = SAM / "chat.yaml"
INVOKE = (
    "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "${FunctionArn}/invocations"
)
EXECUTE_API = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"


def chat() -> dict[str, Any]:
    return load_template(CHAT)


def resources(template: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = expand_websocket_apis(template)["Resources"]
    return result


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    result: dict[str, Any] = resources(template)[logical_id]["Properties"]
    return result


def socket(template: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = template["Resources"]["RoomsSocket"]["Properties"]
    return result


# -- what one SAM resource becomes ---------------------------------------------------------


def test_each_route_becomes_a_route_an_integration_and_a_permission_under_sams_ids() -> None:
    """websocket_api_simple_app: {Api}{Key}{Route,Integration,Permission}, {Api}...Stage."""
    generated = {lid: r["Type"] for lid, r in resources(chat()).items() if not lid.endswith("Fn")}
    assert generated == {
        "RoomsSocket": "AWS::ApiGatewayV2::Api",
        "RoomsSocketConnectRoute": "AWS::ApiGatewayV2::Route",
        "RoomsSocketConnectIntegration": "AWS::ApiGatewayV2::Integration",
        "RoomsSocketConnectPermission": "AWS::Lambda::Permission",
        "RoomsSocketDisconnectRoute": "AWS::ApiGatewayV2::Route",
        "RoomsSocketDisconnectIntegration": "AWS::ApiGatewayV2::Integration",
        "RoomsSocketDisconnectPermission": "AWS::Lambda::Permission",
        "RoomsSocketPostRoute": "AWS::ApiGatewayV2::Route",
        "RoomsSocketPostIntegration": "AWS::ApiGatewayV2::Integration",
        "RoomsSocketPostPermission": "AWS::Lambda::Permission",
        "RoomsSocketDefaultRoute": "AWS::ApiGatewayV2::Route",
        "RoomsSocketDefaultIntegration": "AWS::ApiGatewayV2::Integration",
        "RoomsSocketDefaultPermission": "AWS::Lambda::Permission",
        "RoomsSocketliveStage": "AWS::ApiGatewayV2::Stage",  # StageName as written
        "RoomsSocketConnectAuthorizer": "AWS::ApiGatewayV2::Authorizer",
        "RoomsSocketAuthorizerPermission": "AWS::Lambda::Permission",
    }
    # The functions are left as they are: only the WebSocketApi is expanded.
    assert resources(chat())["PostFn"] == chat()["Resources"]["PostFn"]


def test_the_api_takes_globals_and_its_logical_id_as_name() -> None:
    """Name defaults to the logical id; Tags always hold websocketapi:createdBy SAM."""
    assert props(chat(), "RoomsSocket") == {
        "Name": "RoomsSocket",
        "ProtocolType": "WEBSOCKET",
        "RouteSelectionExpression": "$request.body.op",  # from Globals.WebSocketApi
        "Tags": {"team": "rooms", "websocketapi:createdBy": "SAM"},
    }


def test_a_route_targets_its_integration_which_proxies_to_the_function() -> None:
    expanded = resources(chat())
    assert expanded["RoomsSocketPostRoute"]["Properties"] == {
        "ApiId": {"Ref": "RoomsSocket"},
        "RouteKey": "post",
        "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "RoomsSocketPostIntegration"}]]},
    }
    assert expanded["RoomsSocketPostIntegration"]["Properties"] == {
        "ApiId": {"Ref": "RoomsSocket"},
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": {"Fn::Sub": [INVOKE, {"FunctionArn": {"Fn::GetAtt": ["PostFn", "Arn"]}}]},
        "TimeoutInMillis": 5000,  # IntegrationTimeout
    }
    assert "TimeoutInMillis" not in expanded["RoomsSocketConnectIntegration"]["Properties"]
    assert expanded["RoomsSocketPostPermission"]["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": ["PostFn", "Arn"]},
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": {"Fn::Sub": EXECUTE_API + "${RoomsSocket.ApiId}/live/post"},
    }


def test_the_stage_auto_deploys_with_globals_merged_into_its_own_settings() -> None:
    """Globals merge as SAM's GlobalProperties merge: maps key by key, the resource's wins."""
    assert props(chat(), "RoomsSocketliveStage") == {
        "ApiId": {"Ref": "RoomsSocket"},
        "StageName": "live",
        "StageVariables": {"tier": "own", "region": "eu"},
        "Tags": {"websocketapi:createdBy": "SAM"},
        "AutoDeploy": True,
    }
    assert not any(r["Type"] == "AWS::ApiGatewayV2::Deployment" for r in resources(chat()).values())


def test_without_a_stage_name_the_stage_is_default() -> None:
    """ "If StageName is not specified, the default value is default" (not $default)."""
    expanded = resources(load_template(SAM / "minimal.yaml"))
    assert expanded["PingsDefaultStage"]["Properties"]["StageName"] == "default"
    permission = expanded["PingsPingPermission"]["Properties"]
    assert permission["SourceArn"] == {"Fn::Sub": EXECUTE_API + "${Pings.ApiId}/default/ping"}


def test_a_stage_name_from_a_parameter_names_the_stage_api_stage() -> None:
    expanded = resources(load_template(SAM / "stage_parameter.yaml"))
    assert expanded["SocketStage"]["Properties"]["StageName"] == {"Ref": "Stage"}
    assert expanded["SocketDefaultPermission"]["Properties"]["SourceArn"] == {
        "Fn::Sub": [
            EXECUTE_API + "${Socket.ApiId}/${__StageName__}/$default",
            {"__StageName__": {"Ref": "Stage"}},
        ]
    }


def test_custom_auth_guards_connect_only_with_a_request_authorizer() -> None:
    expanded = resources(chat())
    connect = expanded["RoomsSocketConnectRoute"]["Properties"]
    assert connect["AuthorizationType"] == "CUSTOM"
    assert connect["AuthorizerId"] == {"Ref": "RoomsSocketConnectAuthorizer"}
    for key in ("Disconnect", "Post", "Default"):
        assert "AuthorizationType" not in expanded[f"RoomsSocket{key}Route"]["Properties"]
    assert expanded["RoomsSocketConnectAuthorizer"]["Properties"] == {
        "ApiId": {"Ref": "RoomsSocket"},
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": {
            "Fn::Sub": [
                INVOKE.replace("FunctionArn", "AuthArn"),
                {"AuthArn": {"Fn::GetAtt": ["TicketFn", "Arn"]}},
            ]
        },
        "IdentitySource": ["route.request.querystring.ticket"],
        "Name": "RoomsSocketConnectAuthorizer",
    }
    assert expanded["RoomsSocketAuthorizerPermission"]["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": ["TicketFn", "Arn"]},
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": {
            "Fn::Sub": [
                EXECUTE_API + "${__ApiId__}/authorizers/*",
                {"__ApiId__": {"Ref": "RoomsSocket"}},
            ]
        },
    }


def test_an_invoke_role_is_the_authorizers_credentials_and_no_permission_is_made() -> None:
    """websocket_api_with_lambda_auth_invoke_role."""
    template = chat()
    socket(template)["Auth"]["InvokeRole"] = {"Fn::GetAtt": ["TicketRole", "Arn"]}
    socket(template)["Auth"]["Name"] = "tickets"
    expanded = resources(template)
    authorizer = expanded["RoomsSocketConnectAuthorizer"]["Properties"]
    assert authorizer["AuthorizerCredentialsArn"] == {"Fn::GetAtt": ["TicketRole", "Arn"]}
    assert authorizer["Name"] == "tickets"
    assert "RoomsSocketAuthorizerPermission" not in expanded


@pytest.mark.parametrize(("auth_type", "route_auth"), [("AWS_IAM", "AWS_IAM"), ("NONE", "NONE")])
def test_iam_and_none_auth_set_the_connect_routes_type_and_add_nothing(
    auth_type: str, route_auth: str
) -> None:
    template = chat()
    socket(template)["Auth"] = {"AuthType": auth_type}
    expanded = resources(template)
    assert expanded["RoomsSocketConnectRoute"]["Properties"]["AuthorizationType"] == route_auth
    assert "AuthorizationType" not in expanded["RoomsSocketPostRoute"]["Properties"]
    assert not any(r["Type"] == "AWS::ApiGatewayV2::Authorizer" for r in expanded.values())


def test_a_lower_case_auth_type_passes_the_check_but_guards_nothing_as_in_the_translator() -> None:
    """_validate_auth upper-cases AuthType; _set_auth_type_and_return_custom_authorizer
    compares it as written, so "custom" leaves $connect with AuthorizationType NONE."""
    template = chat()
    socket(template)["Auth"]["AuthType"] = "custom"
    expanded = resources(template)
    assert expanded["RoomsSocketConnectRoute"]["Properties"]["AuthorizationType"] == "NONE"
    assert "RoomsSocketConnectAuthorizer" not in expanded
    assert "RoomsSocketAuthorizerPermission" not in expanded


def test_route_settings_pass_through_and_connect_may_take_request_parameters() -> None:
    template = chat()
    socket(template)["Routes"]["$connect"]["RequestParameters"] = {
        "route.request.querystring.ticket": {"Required": True}
    }
    socket(template)["Routes"]["post"].update(
        {
            "ApiKeyRequired": True,
            "OperationName": "Post",
            "RouteResponseSelectionExpression": "$default",
        }
    )
    socket(template)["RouteSettings"] = {"post": {"ThrottlingRateLimit": 5}}
    expanded = resources(template)
    assert expanded["RoomsSocketConnectRoute"]["Properties"]["RequestParameters"] == {
        "route.request.querystring.ticket": {"Required": True}
    }
    post = expanded["RoomsSocketPostRoute"]["Properties"]
    assert post["ApiKeyRequired"] is True
    assert post["OperationName"] == "Post"
    assert post["RouteResponseSelectionExpression"] == "$default"
    stage = expanded["RoomsSocketliveStage"]
    assert stage["Properties"]["RouteSettings"] == {"post": {"ThrottlingRateLimit": 5}}
    # "Stage must depend on routes when RouteSettings references specific route keys"
    assert stage["DependsOn"] == [
        "RoomsSocketConnectRoute",
        "RoomsSocketDisconnectRoute",
        "RoomsSocketPostRoute",
        "RoomsSocketDefaultRoute",
    ]


def test_a_custom_route_key_is_capitalised_as_python_capitalises() -> None:
    """_sanitize_route_key: route_key.capitalize(), so sendMessage gives Sendmessage."""
    template = chat()
    socket(template)["Routes"]["sendMessage"] = {"FunctionArn": {"Fn::GetAtt": ["PostFn", "Arn"]}}
    expanded = resources(template)
    assert expanded["RoomsSocketSendmessageRoute"]["Properties"]["RouteKey"] == "sendMessage"


def test_two_route_keys_that_make_one_logical_id_are_refused() -> None:
    """SAM would keep the last of the two resources and so lose a route silently."""
    template = chat()
    arn = {"Fn::GetAtt": ["PostFn", "Arn"]}
    socket(template)["Routes"].update(
        {"sendMessage": {"FunctionArn": arn}, "sendmessage": {"FunctionArn": arn}}
    )
    with pytest.raises(TemplateError, match="'sendMessage' and 'sendmessage' both make"):
        expand_websocket_apis(template)


def test_a_condition_and_deletion_policy_pass_to_every_generated_resource() -> None:
    template = chat()
    template["Resources"]["RoomsSocket"].update(
        {"Condition": "WithChat", "DeletionPolicy": "Retain"}
    )
    generated = {lid: r for lid, r in resources(template).items() if lid.startswith("RoomsSocket")}
    assert len(generated) == 16
    for resource in generated.values():
        assert resource["Condition"] == "WithChat"
        assert resource["DeletionPolicy"] == "Retain"


def test_a_template_without_a_websocket_api_is_returned_as_it_is() -> None:
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}
    assert expand_websocket_apis(template) is template


def test_the_stage_reference_becomes_the_stage_name() -> None:
    """SamWebSocketApi.referable_properties: !Ref Api.Stage (the Stage's Ref is its name)."""
    expanded = expand_websocket_apis(chat())
    variables = expanded["Resources"]["OpenFn"]["Properties"]["Environment"]["Variables"]
    assert variables["STAGE"] == "live"
    resolver = Resolver(expanded, api_ids={"RoomsSocket": "abc123"})
    assert resolver.resolve(variables["CALLBACK"]) == (
        "https://abc123.execute-api.us-east-1.amazonaws.com/live"
    )
    # A stage name from a parameter is the parameter's value.
    template = load_template(SAM / "stage_parameter.yaml")
    template["Outputs"] = {"Url": {"Value": {"Fn::Sub": "wss://x/${Socket.Stage}"}}}
    expanded = expand_websocket_apis(template)
    assert Resolver(expanded).resolve(expanded["Outputs"]["Url"]["Value"]) == "wss://x/beta"


# -- read_api on a SAM template -------------------------------------------------------------


def test_read_api_serves_the_expanded_sam_api() -> None:
    api = read_api(CHAT)
    assert api.logical_id == "RoomsSocket"
    assert api.name == "RoomsSocket"
    assert api.route_selection_expression == "$request.body.op"
    assert api.stage == "live"
    assert api.hook == "rooms.local:wire"
    assert set(api.routes) == {"$connect", "$disconnect", "post", "$default"}
    handlers = {key: route.function.handler for key, route in api.routes.items() if route.function}
    assert handlers == {
        "$connect": "rooms.on_open",
        "$disconnect": "rooms.on_close",
        "post": "rooms.on_post",
        "$default": "rooms.on_other",
    }
    post = api.routes["post"].function
    assert post is not None
    assert (post.logical_id, post.runtime, post.timeout) == ("PostFn", "python3.13", 4)
    assert api.routes["$connect"].function is not None
    assert api.routes["$connect"].function.timeout == 10  # Globals.Function
    assert api.routes["$connect"].function.code_dir == (FIXTURES / "echo").resolve()
    assert api.routes["$connect"].function.environment["STAGE"] == "live"
    assert api.not_emulated == []
    assert api.settings_not_emulated == []


def test_read_api_guards_connect_with_the_sam_authorizer() -> None:
    api = read_api(CHAT)
    authorizer = api.routes["$connect"].authorizer
    assert authorizer is not None
    assert authorizer.logical_id == "RoomsSocketConnectAuthorizer"
    assert authorizer.function is not None
    assert authorizer.function.handler == "tickets.check"
    assert authorizer.identity_sources == ("route.request.querystring.ticket",)
    assert all(api.routes[key].authorizer is None for key in ("$disconnect", "post", "$default"))


def test_read_api_takes_each_integration_timeout_within_api_gateways_bounds() -> None:
    """IntegrationTimeout -> TimeoutInMillis; API Gateway allows 50 ms to 29 s."""
    api = read_api(CHAT)
    assert api.routes["post"].integration_timeout == 5.0
    assert api.routes["$default"].integration_timeout == 29.0  # 29000 ms, the most
    assert api.routes["$connect"].integration_timeout == 29.0  # none given
    minimal = read_api(SAM / "minimal.yaml")
    assert minimal.routes["ping"].integration_timeout == 0.05  # 50 ms, the least
    assert minimal.stage == "default"
    assert minimal.routes["ping"].function == minimal.routes["$connect"].function
    assert minimal.hook is None


def test_read_api_with_a_stage_parameter() -> None:
    path = SAM / "stage_parameter.yaml"
    assert (read_api(path).stage, read_api(path).name) == ("beta", "echo-beta")
    assert read_api(path, {"Stage": "gamma"}).stage == "gamma"
    with pytest.raises(
        TemplateError,
        match=r"^Parameter Stage failed to satisfy constraint: lower-case letters only$",
    ):
        read_api(path, {"Stage": "Gamma"})


def test_read_api_names_sam_settings_it_does_not_honour(tmp_path: Path) -> None:
    template = chat()
    socket(template)["Auth"] = {"AuthType": "AWS_IAM"}
    socket(template)["Routes"]["post"]["ApiKeyRequired"] = True
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(template))
    api = read_api(path)
    assert api.settings_not_emulated == []
    assert api.routes["post"].api_key_required  # honoured now (issue 28 §2)
    assert api.routes["$connect"].iam_auth  # honoured now (issue 24 §4)


# -- the translator's errors ----------------------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    def edit(template: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = socket(template)
        for part in parents:
            node = node[part]
        node[last] = value

    return edit


def _drop(path: str) -> Edit:
    def edit(template: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = socket(template)
        for part in parents:
            node = node[part]
        del node[last]

    return edit


def _no_selection_expression(template: dict[str, Any]) -> None:
    del template["Globals"]["WebSocketApi"]["RouteSelectionExpression"]


def _route(key: str, route: dict[str, Any]) -> Edit:
    return lambda template: socket(template)["Routes"].update({key: route})


def _only_routes(*keys: str) -> Edit:
    def edit(template: dict[str, Any]) -> None:
        routes = socket(template)["Routes"]
        socket(template)["Routes"] = {k: routes[k] for k in keys}

    return edit


_ARN = {"Fn::GetAtt": ["PostFn", "Arn"]}
ERRORS: list[tuple[str, Edit, str]] = [
    ("empty_routes", _set("Routes", {}), "WebSocket API must have at least one route."),
    ("no_routes", _drop("Routes"), "Missing required property 'Routes'."),
    (
        "no_route_selection_expression",
        _no_selection_expression,
        "Missing required property 'RouteSelectionExpression'.",
    ),
    (
        "auth_no_connect",
        _only_routes("post", "$default"),
        "Authorization is only available if there is a $connect route.",
    ),
    (
        "invalid_route_name",
        _route("$nonsense", {"FunctionArn": _ARN}),
        "Route key '$nonsense' must be alphanumeric. Only $connect, $disconnect, and $default"
        " special routes are supported.",
    ),
    (
        "route_name_with_a_dash",
        _route("send-message", {"FunctionArn": _ARN}),
        "Route key 'send-message' must be alphanumeric. Only $connect, $disconnect, and"
        " $default special routes are supported.",
    ),
    (
        "invalid_stage_name",
        _set("StageName", "$default"),
        "Stages cannot be named $default for WebSocket APIs.",
    ),
    (
        "non_connect_request_parameters",
        _set("Routes.post.RequestParameters", {"route.request.header.X": {"Required": True}}),
        "Request parameters are only supported for the $connect route in WebSocket APIs.",
    ),
    (
        "invalid_authtype",
        _set("Auth.AuthType", "OAUTH"),
        "AuthType is not one of AWS_IAM, CUSTOM or NONE.",
    ),
    (
        "authtype_no_authid",
        _drop("Auth.AuthArn"),
        "AuthArn must be specified if AuthType is CUSTOM.",
    ),
    (
        "config_no_auth",
        _drop("Auth.AuthType"),
        "AuthType must be specified for additional auth configurations.",
    ),
    (
        "iam_auth_config",
        _set("Auth", {"AuthType": "AWS_IAM", "IdentitySource": ["route.request.header.X"]}),
        "No additional configurations supported for AuthType AWS_IAM.",
    ),
    (
        "none_auth_config",
        _set("Auth", {"AuthType": "NONE", "Name": "nobody"}),
        "No additional configurations supported for AuthType NONE.",
    ),
    (
        "route_no_function",
        _route("post", {"IntegrationTimeout": 5000}),
        "Route must have associated function.",
    ),
    (
        "invalid_ip_address_type",
        _set("IpAddressType", "ipv5"),
        "IpAddressType must be 'ipv4' or 'dualstack'.",
    ),
    (
        "mutual_tls",
        _set(
            "Domain",
            {
                "DomainName": "chat.example.com",
                "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
                "MutualTlsAuthentication": {"TruststoreUri": "s3://bucket/truststore.pem"},
            },
        ),
        "Mutual TLS domain name association is not supported for Websocket APIs.",
    ),
    (
        "list_access_log_settings",
        _set("AccessLogSettings", [{"DestinationArn": "arn"}]),
        "Property 'AccessLogSettings' should be a map.",
    ),
    ("list_route_settings", _set("RouteSettings", []), "Property 'RouteSettings' should be a map."),
]


@pytest.mark.parametrize(("edit", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_the_translators_errors(edit: Edit, message: str) -> None:
    """Each as in tests/translator/output/error_websocket_api_<id>.json (where SAM has one):
    InvalidResourceException's "Resource with id [X] is invalid. <message>"."""
    template = copy.deepcopy(chat())
    edit(template)
    with pytest.raises(TemplateError) as raised:
        expand_websocket_apis(template)
    assert str(raised.value) == f"Resource with id [RoomsSocket] is invalid. {message}"


def test_a_global_sam_does_not_allow_is_refused() -> None:
    """globals.py: Globals.WebSocketApi takes only its supported_properties."""
    template = chat()
    template["Globals"]["WebSocketApi"]["StageName"] = "prod"
    with pytest.raises(TemplateError) as raised:
        expand_websocket_apis(template)
    assert str(raised.value).startswith(
        "'Globals' section is invalid. 'StageName' is not a supported property of"
        " 'WebSocketApi'. Must be one of the following values - ['AccessLogSettings',"
    )


def test_read_api_reports_the_translators_error(tmp_path: Path) -> None:
    template = chat()
    socket(template)["Routes"] = {}
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(template))
    with pytest.raises(TemplateError, match=r"^Resource with id \[RoomsSocket\] is invalid\."):
        read_api(path)
