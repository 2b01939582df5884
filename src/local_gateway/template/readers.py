"""One reader per CloudFormation resource type, in a table keyed by that type.

``READERS`` maps each emulated type to the function that reads one resource of it into a
``Reading`` (as chalice's ``TemplateGenerator.dispatch`` picks a generator by resource type);
a type the table does not hold is not emulated, and model.read_api names it so. The table's
order is the reading order: functions before the integrations and authorizers that name
them, those (and the route responses) before the routes that use them. Each reader takes its
resource's properties from ``Reading.properties``, which resolves them once; a ``Reading`` is
of one API, and resources of another API are passed over in it, as a Condition that is false
skips any (model.read_apis reads the template once for each API).

Each setting of an emulated resource that the gateway does not honour (an AWS integration to
a service other than Lambda, a VPC link, ContentHandlingStrategy) is named once with its
logical id in ``Reading.unhonoured``.
Integrations, their responses and API keys have their readers in integration_readers.py;
what every reader reads into is reading.py's ``Reading``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local_gateway.template import integration_readers
from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.code_location import locate
from local_gateway.template.policies import permissions
from local_gateway.template.reading import Reader, Reading, of_the_api
from local_gateway.template.specs import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_INTEGRATION_TIMEOUT_SECONDS,
    AuthorizerSpec,
    FunctionSpec,
    RoleSpec,
    RouteSpec,
    TableSpec,
)

__all__ = ["READERS", "Reading", "read_resources"]

_FUNCTION_IN_URI = re.compile(r":function:([^:/]+)")
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")


def _read_elsewhere(reading: Reading, logical_id: str) -> None:
    """Emulated, but read where it is used: a LayerVersion by the functions that name it,
    each WEBSOCKET Api at the head of model.read_apis."""


def _lambda_function(reading: Reading, logical_id: str) -> None:
    """An AWS::Lambda::Function: its code is ``Code``."""
    props = reading.properties(logical_id)
    role = reading.roles.for_function(logical_id, props, sam=False)
    reading.add_function(_function(reading, logical_id, props, "Code", role))


def _serverless_function(reading: Reading, logical_id: str) -> None:
    """An AWS::Serverless::Function (its Globals already merged in): its code is CodeUri."""
    props = reading.properties(logical_id)
    role = reading.roles.for_function(logical_id, props, sam=True)
    code = "CodeUri" if "CodeUri" in props or "InlineCode" not in props else "InlineCode"
    reading.add_function(_function(reading, logical_id, props, code, role))


def _function(
    reading: Reading,
    logical_id: str,
    props: Mapping[str, Any],
    code: str,
    role: RoleSpec | None,
) -> FunctionSpec:
    resource = reading.resolver.resources[logical_id]
    where = locate(reading.artefacts, resource, code, props.get(code))
    local, not_local, missing = _layers(reading, props.get("Layers") or [])
    metadata = resource.get("Metadata") or {}
    cdk_path = str(metadata.get("aws:cdk:path", "")) if isinstance(metadata, Mapping) else ""
    env = {k: str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()}
    return FunctionSpec(
        logical_id=logical_id,
        name=reading.resolver.physical_id(logical_id),
        handler=str(props.get("Handler", "")),
        code_dir=where.path,
        runtime=str(props.get("Runtime", "")),
        environment=env,
        timeout=float(props.get("Timeout", DEFAULT_TIMEOUT_SECONDS)),
        memory_mb=int(props.get("MemorySize", DEFAULT_MEMORY_MB)),
        layers=local,
        layers_not_local=not_local,
        role=role,
        code_missing="; ".join(filter(None, [where.missing, *missing])),
        cdk_path=cdk_path.removesuffix("/Resource"),
        inline_code=_inline_code(props.get(code)) if where.inline else "",
        reserved_concurrency=_reserved_concurrency(logical_id, props),
    )


def _inline_code(value: Any) -> str:
    """The source of Code.ZipFile (a mapping) or of SAM's InlineCode (a string)."""
    source = value.get("ZipFile", "") if isinstance(value, Mapping) else value
    return source if isinstance(source, str) else ""


def _reserved_concurrency(logical_id: str, props: Mapping[str, Any]) -> int | None:
    """ReservedConcurrentExecutions (the same property on AWS::Lambda::Function and SAM's
    AWS::Serverless::Function), a whole number from 0 up."""
    value = props.get("ReservedConcurrentExecutions")
    if value is None:
        return None
    try:
        reserved = int(value)
    except (TypeError, ValueError):
        reserved = -1
    if reserved < 0 or str(value).strip() != str(reserved):
        raise TemplateError(
            f"{logical_id}: ReservedConcurrentExecutions {value!r} is not a whole number from 0"
        )
    return reserved


def _layers(
    reading: Reading, layers: list[Any]
) -> tuple[tuple[Path, ...], tuple[str, ...], list[str]]:
    """The local code of a function's layers (a Ref to a LayerVersion of the template whose
    ContentUri, or Content, is local, or a CDK asset), the others by name, and where the
    code of a layer expected here was looked for in vain."""
    local: list[Path] = []
    others: list[str] = []
    missing: list[str] = []
    for layer in layers:
        name = str(layer)
        resource = reading.resolver.resources.get(name) if isinstance(layer, str) else None
        if resource is not None and resource.get("Type") in LAYER_TYPES:
            props = reading.properties(name)
            prop = "ContentUri" if "ContentUri" in props else "Content"
            where = locate(reading.artefacts, resource, prop, props.get(prop))
            if where.path is not None:
                local.append(where.path)
                if where.missing:
                    missing.append(f"its layer {name}: {where.missing}")
                continue
        others.append(name)
    return tuple(local), tuple(others), missing


@of_the_api
def _authorizer(reading: Reading, logical_id: str) -> None:
    """A REQUEST Authorizer: the function in its AuthorizerUri and its identity sources."""
    props = reading.properties(logical_id)
    match = _FUNCTION_IN_URI.search(str(props.get("AuthorizerUri", "")))
    sources = props.get("IdentitySource") or []
    reading.authorizers[reading.resolver.physical_id(logical_id)] = AuthorizerSpec(
        logical_id,
        reading.function_named(match.group(1)) if match else None,
        tuple(str(s) for s in (sources if isinstance(sources, list) else [sources])),
    )


@of_the_api
def _route_response(reading: Reading, logical_id: str) -> None:
    """A RouteResponse with key $default makes its route two-way."""
    props = reading.properties(logical_id)
    if props.get("RouteResponseKey") == "$default":
        reading.two_way_routes.add(str(props.get("RouteId")))


@of_the_api
def _route(reading: Reading, logical_id: str) -> None:
    """A Route: its key, its integration's function and timeout, its authorizer."""
    props = reading.properties(logical_id)
    target = str(props.get("Target", ""))
    integration_id = target.split("/", 1)[1] if target.startswith("integrations/") else ""
    key = str(props["RouteKey"])
    authorizer = None
    authorization = str(props.get("AuthorizationType", "NONE"))
    if authorization == "CUSTOM":
        authorizer = reading.authorizers.get(str(props.get("AuthorizerId", "")))
        if authorizer is None:  # never a silent open door
            raise TemplateError(
                f"{logical_id}: AuthorizationType CUSTOM, but AuthorizerId"
                f" {props.get('AuthorizerId')!r} is no authorizer of the API"
            )
    elif authorization == "AWS_IAM" and key != "$connect":
        raise TemplateError(
            f"{logical_id}: AuthorizationType AWS_IAM on {key!r}: only $connect may have one"
        )
    elif authorization not in ("NONE", "AWS_IAM"):
        raise TemplateError(
            f"{logical_id}: AuthorizationType {authorization!r} is not NONE, AWS_IAM or CUSTOM"
        )
    integration = reading.integrations.get(integration_id)
    function = integration.function if integration is not None else None
    timeout = integration.timeout if integration is not None else MAX_INTEGRATION_TIMEOUT_SECONDS
    if key in reading.routes:
        raise TemplateError(f"{logical_id}: Route with key {key!r} already exists for this API")
    two_way = logical_id in reading.two_way_routes
    reading.routes[key] = RouteSpec(
        key,
        function,
        two_way,
        authorizer,
        timeout,
        integration=integration,
        api_key_required=props.get("ApiKeyRequired") in (True, "true", "True"),
        iam_auth=authorization == "AWS_IAM",
    )


@of_the_api
def _stage(reading: Reading, logical_id: str) -> None:
    """A Stage: the first one is the stage served."""
    reading.stages.append(reading.properties(logical_id))


def _permission(reading: Reading, logical_id: str) -> None:
    """A Lambda Permission, kept when it lets API Gateway invoke a function."""
    reading.grants.extend(permissions.grants([reading.properties(logical_id)]))


def _table(reading: Reading, logical_id: str) -> None:
    """A DynamoDB table: its local physical name, key schema and properties."""
    props = reading.properties(logical_id)
    keys = props.get("KeySchema", [])
    schema = tuple((str(k["AttributeName"]), str(k["KeyType"])) for k in keys)
    reading.tables[logical_id] = TableSpec(
        logical_id, reading.resolver.physical_id(logical_id), schema, props
    )


def _role(reading: Reading, logical_id: str) -> None:
    """An IAM Role: its inline policies and managed policy ARNs (template/policies/iam.py)."""
    reading.roles.add_role(logical_id, reading.properties(logical_id))


def _policy(reading: Reading, logical_id: str) -> None:
    """An IAM Policy, attached to the roles its Roles names (how CDK writes grants)."""
    reading.roles.attach(logical_id, reading.properties(logical_id), managed=False)


def _managed_policy(reading: Reading, logical_id: str) -> None:
    """An IAM ManagedPolicy: attached through Roles, or named in a role's ManagedPolicyArns."""
    reading.roles.attach(logical_id, reading.properties(logical_id), managed=True)


READERS: dict[str, Reader] = {
    "AWS::ApiGatewayV2::Api": _read_elsewhere,
    # roles, then what attaches to them, before the functions that name them
    "AWS::IAM::Role": _role,
    "AWS::IAM::Policy": _policy,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::Serverless::LayerVersion": _read_elsewhere,
    "AWS::Lambda::LayerVersion": _read_elsewhere,
    "AWS::Lambda::Function": _lambda_function,
    "AWS::Serverless::Function": _serverless_function,
    "AWS::ApiGatewayV2::IntegrationResponse": integration_readers.integration_response,
    "AWS::ApiGatewayV2::Integration": integration_readers.integration,
    "AWS::ApiGatewayV2::Authorizer": _authorizer,
    "AWS::ApiGatewayV2::RouteResponse": _route_response,
    "AWS::ApiGatewayV2::Route": _route,
    "AWS::ApiGatewayV2::Stage": _stage,
    "AWS::Lambda::Permission": _permission,
    "AWS::DynamoDB::Table": _table,
    "AWS::ApiGateway::ApiKey": integration_readers.api_key,
    "AWS::ApiGateway::UsagePlan": integration_readers.usage_plan,
    "AWS::ApiGateway::UsagePlanKey": integration_readers.usage_plan_key,
}


def read_resources(reading: Reading) -> None:
    """Each created resource of an emulated type, by its type's reader, in the table's order
    and within a type in the template's."""
    resources: Mapping[str, Any] = reading.resolver.resources
    for rtype, reader in READERS.items():
        if reader is _read_elsewhere:  # nothing to read here, not even a Condition
            continue
        for logical_id, resource in resources.items():
            if resource.get("Type") == rtype and reading.active(resource):
                reader(reading, logical_id)
