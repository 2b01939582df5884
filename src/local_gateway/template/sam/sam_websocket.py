"""SAM's ``AWS::Serverless::WebSocketApi``, expanded as the SAM translator expands it. Pure.

Each such resource becomes an ``AWS::ApiGatewayV2::Api`` (WEBSOCKET) under the same logical
id, a Stage (``StageName``, default ``default``, AutoDeploy, no Deployment), and for each of
``Routes`` a Route, an AWS_PROXY Integration (``IntegrationTimeout`` as its
``TimeoutInMillis``) and a Lambda Permission; ``Auth`` applies to ``$connect`` only, and
``AuthType: CUSTOM`` adds a REQUEST Authorizer and, without an ``InvokeRole``, the
authorizer's Lambda Permission. ``Globals.WebSocketApi`` is merged in first, by SAM's one
Globals merge (sam_globals: maps key by key, lists joined global-first, the resource's own
scalars win). Logical ids are the translator's (``{Api}ConnectRoute``,
``{Api}SendIntegration``, ``{Api}ConnectPermission``, ``{Api}DefaultStage`` or
``{Api}{StageName}Stage``, ``{Api}ConnectAuthorizer``, ``{Api}AuthorizerPermission``), and
so are its error texts ("Resource with id [X] is invalid. ..."). Two route keys that make
one logical id (``sendMessage`` and ``sendmessage``) are refused, where SAM would keep one
and lose the other route. ``!Ref Api.Stage`` and ``${Api.Stage}`` elsewhere in the
template become the stage's name (what a Ref of the Stage returns). ``Domain`` is not
expanded (the local gateway serves no custom domain) and ``PropagateTags`` is not applied.
Source: aws/serverless-application-model, samtranslator/model/api/websocket_api_generator.py,
samtranslator/model/sam_resources.py (SamWebSocketApi) and
samtranslator/plugins/globals/globals.py (v1.109.0+, 2026), and the SAM page
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-websocketapi.html
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.sam.sam_globals import apply_globals, is_intrinsic

SAM_TYPE = "AWS::Serverless::WebSocketApi"
DEFAULT_STAGE_NAME = "default"
_CREATED_BY = {"websocketapi:createdBy": "SAM"}
_SPECIAL = ("$connect", "$disconnect", "$default")
_AUTH_TYPES = ("NONE", "AWS_IAM", "CUSTOM")
_INVOKE_URI = (
    "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "${%s}/invocations"
)
_EXECUTE_API = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
# SamWebSocketApi.property_types, in its order: (required, expected type or None for "str or
# intrinsic"); a property given as an intrinsic is left to CloudFormation.
_PROPERTY_TYPES: dict[str, tuple[bool, type | None]] = {
    "ApiKeySelectionExpression": (False, str),
    "AccessLogSettings": (False, dict),
    "Auth": (False, dict),
    "DefaultRouteSettings": (False, dict),
    "Description": (False, str),
    "DisableExecuteApiEndpoint": (False, bool),
    "Domain": (False, dict),
    "DisableSchemaValidation": (False, bool),
    "FailOnWarnings": (False, bool),
    "IpAddressType": (False, str),
    "Name": (False, str),
    "PropagateTags": (False, bool),
    "Routes": (True, dict),
    "RouteSettings": (False, dict),
    "RouteSelectionExpression": (True, str),
    "StageName": (False, None),
    "StageVariables": (False, dict),
    "Tags": (False, dict),
}
_TYPE_NAMES = {dict: "map", str: "string", bool: "boolean"}
_API_PROPERTIES = (
    "ApiKeySelectionExpression",
    "Description",
    "DisableExecuteApiEndpoint",
    "DisableSchemaValidation",
    "IpAddressType",
)
_ROUTE_PROPERTIES = ("ApiKeyRequired", "ModelSelectionExpression", "OperationName", "RequestModels")
# Resource attributes SAM copies to every generated resource.
_PASS_THROUGH = ("Condition", "DeletionPolicy", "UpdateReplacePolicy")


class _Invalid(TemplateError):
    """The translator's InvalidResourceException."""

    def __init__(self, logical_id: str, message: str) -> None:
        super().__init__(f"Resource with id [{logical_id}] is invalid. {message}")


def _validate_properties(logical_id: str, props: Mapping[str, Any]) -> None:
    for name, (required, expected) in _PROPERTY_TYPES.items():
        value = props.get(name)
        if is_intrinsic(value):
            continue
        if value is None:
            if required:
                raise _Invalid(logical_id, f"Missing required property '{name}'.")
        elif expected is None:
            if not isinstance(value, (str, dict)):
                raise _Invalid(logical_id, f"Type of property '{name}' is invalid.")
        elif not isinstance(value, expected):
            raise _Invalid(logical_id, f"Property '{name}' should be a {_TYPE_NAMES[expected]}.")


def _route_part(logical_id: str, key: str) -> str:
    """The route key's part of the generated logical ids (``_sanitize_route_key``). The
    translator takes any str.isalnum() key; this takes only ASCII letters and digits, the
    only ones a CloudFormation logical id may hold."""
    if key in _SPECIAL:
        return key[1:].capitalize()
    if key.isascii() and key.isalnum():
        return key.capitalize()
    raise _Invalid(
        logical_id,
        f"Route key '{key}' must be alphanumeric. Only $connect, $disconnect, and $default"
        " special routes are supported.",
    )


def _auth_type(logical_id: str, auth: Mapping[str, Any]) -> str:
    """``_validate_auth``: the AuthType as written, once it is known to be valid."""
    auth_type = auth.get("AuthType")
    if not auth_type:
        raise _Invalid(logical_id, "AuthType must be specified for additional auth configurations.")
    if not isinstance(auth_type, str):
        raise TemplateError(
            f"{logical_id}: Auth.AuthType must be written out; the local gateway expands SAM"
            " before it knows the parameters"
        )
    upper = auth_type.upper()
    if upper not in _AUTH_TYPES:
        raise _Invalid(logical_id, "AuthType is not one of AWS_IAM, CUSTOM or NONE.")
    if upper == "CUSTOM" and not auth.get("AuthArn"):
        raise _Invalid(logical_id, "AuthArn must be specified if AuthType is CUSTOM.")
    if upper in ("AWS_IAM", "NONE") and len(auth) > 1:
        raise _Invalid(logical_id, f"No additional configurations supported for AuthType {upper}.")
    return auth_type


def _stage_logical_id(logical_id: str, stage_name: Any) -> str:
    if not isinstance(stage_name, str):
        return f"{logical_id}Stage"  # an intrinsic: no prefix, one stage per API
    if stage_name == DEFAULT_STAGE_NAME:
        return f"{logical_id}DefaultStage"
    return f"{logical_id}{stage_name}Stage"  # as written: StageName Prod -> MyApiProdStage


def _source_arn(logical_id: str, stage_name: Any, route_key: str) -> dict[str, Any]:
    if isinstance(stage_name, str):
        return {"Fn::Sub": f"{_EXECUTE_API}${{{logical_id}.ApiId}}/{stage_name}/{route_key}"}
    return {
        "Fn::Sub": [
            f"{_EXECUTE_API}${{{logical_id}.ApiId}}/${{__StageName__}}/{route_key}",
            {"__StageName__": stage_name},
        ]
    }


def _expand_one(logical_id: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = dict(resource.get("Properties") or {})
    _validate_properties(logical_id, props)
    routes: dict[Any, Any] = props["Routes"] if isinstance(props["Routes"], dict) else {}
    if not routes:
        raise _Invalid(logical_id, "WebSocket API must have at least one route.")
    ip_address_type = props.get("IpAddressType")
    if isinstance(ip_address_type, str) and ip_address_type not in ("ipv4", "dualstack"):
        raise _Invalid(logical_id, "IpAddressType must be 'ipv4' or 'dualstack'.")
    domain = props.get("Domain")
    if isinstance(domain, dict) and domain.get("MutualTlsAuthentication"):
        raise _Invalid(
            logical_id, "Mutual TLS domain name association is not supported for Websocket APIs."
        )
    auth: dict[str, Any] = props.get("Auth") or {}
    if auth and "$connect" not in routes:
        raise _Invalid(logical_id, "Authorization is only available if there is a $connect route.")

    attributes = {k: resource[k] for k in _PASS_THROUGH if k in resource}
    api_ref = {"Ref": logical_id}
    api_props: dict[str, Any] = {
        "Name": props.get("Name", logical_id),
        "ProtocolType": "WEBSOCKET",
        "RouteSelectionExpression": props["RouteSelectionExpression"],
        "Tags": {**(props.get("Tags") or {}), **_CREATED_BY},
        **{k: props[k] for k in _API_PROPERTIES if k in props},
    }
    api: dict[str, Any] = {"Type": "AWS::ApiGatewayV2::Api", "Properties": api_props}
    api.update({k: resource[k] for k in ("DependsOn", "Metadata", "UpdatePolicy") if k in resource})
    out: dict[str, Any] = {logical_id: {**api, **attributes}}

    stage_name = props.get("StageName", DEFAULT_STAGE_NAME)
    if stage_name == "$default":
        raise _Invalid(logical_id, "Stages cannot be named $default for WebSocket APIs.")

    authorizer_id = f"{logical_id}ConnectAuthorizer"
    authorizer: dict[str, Any] | None = None
    route_ids: list[str] = []
    for raw_key, raw_route in routes.items():
        key = str(raw_key)
        part = _route_part(logical_id, key)
        route: dict[str, Any] = raw_route if isinstance(raw_route, dict) else {}
        route_id = f"{logical_id}{part}Route"
        if route_id in out:  # the translator would keep the last one and lose a route
            raise TemplateError(
                f"{logical_id}: route keys {out[route_id]['Properties']['RouteKey']!r} and"
                f" {key!r} both make {route_id}; SAM would keep only one of them"
            )
        integration_id = f"{logical_id}{part}Integration"
        route_props: dict[str, Any] = {
            "ApiId": api_ref,
            "RouteKey": key,
            **{k: route[k] for k in _ROUTE_PROPERTIES if route.get(k) is not None},
        }
        if route.get("RequestParameters"):
            if key != "$connect":
                raise _Invalid(
                    logical_id,
                    "Request parameters are only supported for the $connect route in WebSocket"
                    " APIs.",
                )
            route_props["RequestParameters"] = route["RequestParameters"]
        if route.get("RouteResponseSelectionExpression") is not None:
            route_props["RouteResponseSelectionExpression"] = route[
                "RouteResponseSelectionExpression"
            ]
        route_props["Target"] = {"Fn::Join": ["/", ["integrations", {"Ref": integration_id}]]}
        if auth:
            auth_type = _auth_type(logical_id, auth)
            if key == "$connect":
                # The translator compares the AuthType as written: a valid "custom" or
                # "aws_iam" (checked upper-cased) leaves the route with NONE.
                if auth_type == "CUSTOM":
                    route_props["AuthorizationType"] = "CUSTOM"
                    route_props["AuthorizerId"] = {"Ref": authorizer_id}
                    authorizer = _authorizer(logical_id, api_ref, auth)
                elif auth_type == "AWS_IAM":
                    route_props["AuthorizationType"] = "AWS_IAM"
                else:
                    route_props["AuthorizationType"] = "NONE"
        if "FunctionArn" not in route:
            raise _Invalid(logical_id, "Route must have associated function.")
        integration: dict[str, Any] = {
            "ApiId": api_ref,
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": {
                "Fn::Sub": [_INVOKE_URI % "FunctionArn", {"FunctionArn": route["FunctionArn"]}]
            },
        }
        if route.get("IntegrationTimeout") is not None:
            integration["TimeoutInMillis"] = route["IntegrationTimeout"]
        out[route_id] = {"Type": "AWS::ApiGatewayV2::Route", "Properties": route_props}
        out[integration_id] = {"Type": "AWS::ApiGatewayV2::Integration", "Properties": integration}
        out[f"{logical_id}{part}Permission"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": route["FunctionArn"],
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": _source_arn(logical_id, stage_name, key),
            },
        }
        route_ids.append(route_id)

    stage_props: dict[str, Any] = {"ApiId": api_ref, "StageName": stage_name}
    for key in ("StageVariables", "AccessLogSettings", "DefaultRouteSettings"):
        if props.get(key) is not None:
            stage_props[key] = props[key]
    stage_props["Tags"] = dict(_CREATED_BY)
    stage_props["AutoDeploy"] = True
    stage: dict[str, Any] = {"Type": "AWS::ApiGatewayV2::Stage"}
    if props.get("RouteSettings"):
        stage_props["RouteSettings"] = props["RouteSettings"]
        stage["DependsOn"] = route_ids  # RouteSettings may name the routes' keys
    stage["Properties"] = stage_props
    out[_stage_logical_id(logical_id, stage_name)] = stage

    if authorizer is not None:
        out[authorizer_id] = {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": authorizer}
        if not auth.get("InvokeRole"):
            out[f"{logical_id}AuthorizerPermission"] = {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": auth["AuthArn"],
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": {
                        "Fn::Sub": [
                            _EXECUTE_API + "${__ApiId__}/authorizers/*",
                            {"__ApiId__": api_ref},
                        ]
                    },
                },
            }
    for generated_id, generated in out.items():
        if generated_id != logical_id:
            generated.update(attributes)
    return out


def _authorizer(
    logical_id: str, api_ref: dict[str, str], auth: Mapping[str, Any]
) -> dict[str, Any]:
    authorizer: dict[str, Any] = {"ApiId": api_ref}
    if "InvokeRole" in auth:
        authorizer["AuthorizerCredentialsArn"] = auth["InvokeRole"]
    authorizer["AuthorizerType"] = "REQUEST"
    authorizer["AuthorizerUri"] = {
        "Fn::Sub": [_INVOKE_URI % "AuthArn", {"AuthArn": auth["AuthArn"]}]
    }
    if auth.get("IdentitySource") is not None:
        authorizer["IdentitySource"] = auth["IdentitySource"]
    authorizer["Name"] = auth.get("Name") or f"{logical_id}ConnectAuthorizer"
    return authorizer


def _refer_stages(value: Any, stages: Mapping[str, Any]) -> Any:
    """``value`` with ``Ref: Api.Stage`` and ``${Api.Stage}`` in Fn::Sub made the stage's
    name, for each expanded Api (SAM's referable property ``Stage``)."""
    if isinstance(value, list):
        return [_refer_stages(v, stages) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and isinstance(arg, str) and arg.endswith(".Stage"):
            api = arg[: -len(".Stage")]
            if api in stages:
                return copy.deepcopy(stages[api])
        if key == "Fn::Sub":
            text, variables = (arg[0], dict(arg[1])) if isinstance(arg, list) else (arg, {})
            named = {
                f"{api}.Stage": copy.deepcopy(name)
                for api, name in stages.items()
                if isinstance(text, str) and f"${{{api}.Stage}}" in text
            }
            if named:
                variables = {**named, **variables}
                return {"Fn::Sub": [text, _refer_stages(variables, stages)]}
    return {k: _refer_stages(v, stages) for k, v in value.items()}


def expand_websocket_apis(template: dict[str, Any]) -> dict[str, Any]:
    """The template with each AWS::Serverless::WebSocketApi replaced by what SAM makes of it."""
    resources: dict[str, Any] = template.get("Resources") or {}
    if not any(r.get("Type") == SAM_TYPE for r in resources.values() if isinstance(r, dict)):
        return template
    template = apply_globals(template, ["WebSocketApi"])
    resources = template["Resources"]
    expanded: dict[str, Any] = {}
    stages: dict[str, Any] = {}
    for logical_id, resource in resources.items():
        if isinstance(resource, dict) and resource.get("Type") == SAM_TYPE:
            generated = _expand_one(logical_id, resource)
            for generated_id in generated:
                if generated_id in expanded or (
                    generated_id != logical_id and generated_id in resources
                ):
                    raise TemplateError(
                        f"{logical_id}: the generated resource {generated_id} clashes with"
                        " another of the template"
                    )
            expanded.update(generated)
            stage = next(r for r in generated.values() if r["Type"] == "AWS::ApiGatewayV2::Stage")
            stages[logical_id] = stage["Properties"]["StageName"]
        else:
            expanded[logical_id] = resource
    result = {**template, "Resources": expanded}
    return {k: (v if k == "Parameters" else _refer_stages(v, stages)) for k, v in result.items()}
