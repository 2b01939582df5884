"""SAM's ``AWS::Serverless::WebSocketApi``, expanded as the SAM translator expands it. Pure.

Each such resource becomes an ``AWS::ApiGatewayV2::Api`` (WEBSOCKET) under the same logical
id, a Stage (``StageName``, default ``default``, AutoDeploy), and for each of ``Routes`` a
Route, an AWS_PROXY Integration (``IntegrationTimeout`` as its ``TimeoutInMillis``) and a
Lambda Permission; ``Auth`` with ``AuthType: CUSTOM`` adds a REQUEST Authorizer on
``$connect``. ``Globals.WebSocketApi`` fills what the resource leaves out. Logical ids are
the translator's (``{Api}ConnectRoute``, ``{Api}SendIntegration``, ``{Api}DefaultStage`` ...).
Source: aws/serverless-application-model, samtranslator/model/api/websocket_api_generator.py
(v1.109.0, 2026), and the SAM page "AWS::Serverless::WebSocketApi".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from serverless_chat.gateway.cfn_yaml import TemplateError

SAM_TYPE = "AWS::Serverless::WebSocketApi"
_SPECIAL = {"$connect": "Connect", "$disconnect": "Disconnect", "$default": "Default"}
_INVOKE_URI = (
    "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "${FunctionArn}/invocations"
)
_API_PROPERTIES = (
    "ApiKeySelectionExpression",
    "Description",
    "DisableExecuteApiEndpoint",
    "DisableSchemaValidation",
    "IpAddressType",
)
_ROUTE_PROPERTIES = (
    "ApiKeyRequired",
    "ModelSelectionExpression",
    "OperationName",
    "RequestModels",
    "RequestParameters",
    "RouteResponseSelectionExpression",
)


def _route_part(logical_id: str, key: str) -> str:
    if key in _SPECIAL:
        return _SPECIAL[key]
    if not re.fullmatch(r"[A-Za-z0-9]+", key):
        raise TemplateError(
            f"{logical_id}: Route key '{key}' must be alphanumeric. Only $connect,"
            " $disconnect, and $default special routes are supported."
        )
    return key.capitalize()


def _expand_one(
    logical_id: str, resource: Mapping[str, Any], globals_: Mapping[str, Any]
) -> dict[str, Any]:
    props = {**globals_, **(resource.get("Properties") or {})}
    routes = props.get("Routes") or {}
    if not isinstance(routes, dict) or not routes:
        raise TemplateError(f"{logical_id}: WebSocket API must have at least one route.")
    if "RouteSelectionExpression" not in props:
        raise TemplateError(f"{logical_id}: Missing required property 'RouteSelectionExpression'.")
    condition = {"Condition": resource["Condition"]} if "Condition" in resource else {}
    api_ref = {"Ref": logical_id}
    out: dict[str, Any] = {
        logical_id: {
            "Type": "AWS::ApiGatewayV2::Api",
            **condition,
            "Properties": {
                "Name": props.get("Name", logical_id),
                "ProtocolType": "WEBSOCKET",
                "RouteSelectionExpression": props["RouteSelectionExpression"],
                **{k: props[k] for k in _API_PROPERTIES if k in props},
            },
        }
    }
    stage_name = props.get("StageName", "default")
    if stage_name == "$default":
        raise TemplateError(f"{logical_id}: Stages cannot be named $default for WebSocket APIs.")
    stage_id = (
        f"{logical_id}{stage_name.capitalize()}Stage"
        if isinstance(stage_name, str)
        else f"{logical_id}Stage"
    )
    stage_props: dict[str, Any] = {"ApiId": api_ref, "StageName": stage_name, "AutoDeploy": True}
    for key in ("StageVariables", "AccessLogSettings", "DefaultRouteSettings", "RouteSettings"):
        if key in props:
            stage_props[key] = props[key]
    out[stage_id] = {
        "Type": "AWS::ApiGatewayV2::Stage",
        **condition,
        "Properties": stage_props,
    }
    auth = props.get("Auth") or {}
    auth_type = str(auth.get("AuthType", "NONE")) if auth else "NONE"
    if auth and "$connect" not in routes:
        raise TemplateError(
            f"{logical_id}: Authorization is only available if there is a $connect route."
        )
    if auth_type not in ("NONE", "AWS_IAM", "CUSTOM"):
        raise TemplateError(f"{logical_id}: AuthType is not one of AWS_IAM, CUSTOM or NONE.")
    if auth_type == "CUSTOM":
        if "AuthArn" not in auth:
            raise TemplateError(f"{logical_id}: AuthArn must be specified if AuthType is CUSTOM.")
        authorizer: dict[str, Any] = {
            "ApiId": api_ref,
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": {"Fn::Sub": [_INVOKE_URI, {"FunctionArn": auth["AuthArn"]}]},
            "Name": auth.get("Name", f"{logical_id}ConnectAuthorizer"),
        }
        if "IdentitySource" in auth:
            authorizer["IdentitySource"] = auth["IdentitySource"]
        out[f"{logical_id}ConnectAuthorizer"] = {
            "Type": "AWS::ApiGatewayV2::Authorizer",
            **condition,
            "Properties": authorizer,
        }
    for key, route in routes.items():
        part = _route_part(logical_id, str(key))
        route = route or {}
        if "FunctionArn" not in route:
            raise TemplateError(f"{logical_id}: Route must have associated function.")
        integration_id = f"{logical_id}{part}Integration"
        integration: dict[str, Any] = {
            "ApiId": api_ref,
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": {"Fn::Sub": [_INVOKE_URI, {"FunctionArn": route["FunctionArn"]}]},
        }
        if "IntegrationTimeout" in route:
            integration["TimeoutInMillis"] = route["IntegrationTimeout"]
        route_props: dict[str, Any] = {
            "ApiId": api_ref,
            "RouteKey": key,
            "Target": {"Fn::Join": ["/", ["integrations", {"Ref": integration_id}]]},
            **{k: route[k] for k in _ROUTE_PROPERTIES if k in route},
        }
        if key == "$connect" and auth_type != "NONE":
            route_props["AuthorizationType"] = auth_type
            if auth_type == "CUSTOM":
                route_props["AuthorizerId"] = {"Ref": f"{logical_id}ConnectAuthorizer"}
        out[integration_id] = {
            "Type": "AWS::ApiGatewayV2::Integration",
            **condition,
            "Properties": integration,
        }
        out[f"{logical_id}{part}Route"] = {
            "Type": "AWS::ApiGatewayV2::Route",
            **condition,
            "Properties": route_props,
        }
        out[f"{logical_id}{part}Permission"] = {
            "Type": "AWS::Lambda::Permission",
            **condition,
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": route["FunctionArn"],
                "Principal": "apigateway.amazonaws.com",
            },
        }
    return out


def expand_websocket_apis(template: dict[str, Any]) -> dict[str, Any]:
    """The template with each AWS::Serverless::WebSocketApi replaced by what SAM makes of it."""
    resources: dict[str, Any] = template.get("Resources") or {}
    if not any(r.get("Type") == SAM_TYPE for r in resources.values() if isinstance(r, dict)):
        return template
    globals_ = (template.get("Globals") or {}).get("WebSocketApi") or {}
    expanded: dict[str, Any] = {}
    for logical_id, resource in resources.items():
        if isinstance(resource, dict) and resource.get("Type") == SAM_TYPE:
            expanded.update(_expand_one(logical_id, resource, globals_))
        else:
            expanded[logical_id] = resource
    return {**template, "Resources": expanded}
