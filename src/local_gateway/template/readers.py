"""One reader per CloudFormation resource type, in a table keyed by that type.

``READERS`` maps each emulated type to the function that reads one resource of it into a
``Reading`` (as chalice's ``TemplateGenerator.dispatch`` picks a generator by resource type);
a type the table does not hold is not emulated, and model.read_api names it so. The table's
order is the reading order: functions before the integrations and authorizers that name
them, those (and the route responses) before the routes that use them. Each reader takes its
resource's properties from ``Reading.properties``, which resolves them once; resources of
another API than the one served are passed over, as a Condition that is false skips any.

Each setting of an emulated resource that the gateway does not honour (an AWS integration to
a service other than Lambda, a VPC link, ContentHandlingStrategy) is named once with its
logical id in ``Reading.unhonoured``.
Integrations are read whole (integrations.py: type, templates, parameters, responses); API
keys with their usage plans (api_keys.py).
"""

from __future__ import annotations

import math
import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_gateway.template import iam, permissions
from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.code_location import ToolArtefacts, locate
from local_gateway.template.intrinsics import Resolver
from local_gateway.template.specs import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_INTEGRATION_TIMEOUT_SECONDS,
    ApiKeySpec,
    AuthorizerSpec,
    FunctionSpec,
    IntegrationResponseSpec,
    IntegrationSpec,
    RoleSpec,
    RouteSpec,
    TableSpec,
)

_FUNCTION_IN_URI = re.compile(r":function:([^:/]+)")
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")


@dataclass
class Reading:
    """What the readers have found so far in one template, for the API ``api_id``."""

    resolver: Resolver
    base: Path  # the template's folder: local code paths are relative to it
    api_id: str
    # What the tool that wrote the template left beside it (CDK assets, a Serverless
    # package), where S3 code is found.
    artefacts: ToolArtefacts
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    functions_by_name: dict[str, FunctionSpec] = field(default_factory=dict)  # last one wins
    # By physical id: each integration (None when its kind is not emulated).
    integrations: dict[str, IntegrationSpec | None] = field(default_factory=dict)
    integration_responses: dict[str, list[IntegrationResponseSpec]] = field(default_factory=dict)
    # API keys by physical id; usage plans' (api, stage) pairs; (key, plan) links.
    api_keys: dict[str, ApiKeySpec] = field(default_factory=dict)
    usage_plans: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    usage_plan_keys: list[tuple[str, str]] = field(default_factory=list)
    authorizers: dict[str, AuthorizerSpec] = field(default_factory=dict)
    two_way_routes: set[str] = field(default_factory=set)
    routes: dict[str, RouteSpec] = field(default_factory=dict)
    stages: list[Mapping[str, Any]] = field(default_factory=list)
    grants: list[permissions.Grant] = field(default_factory=list)
    tables: dict[str, TableSpec] = field(default_factory=dict)
    unhonoured: list[str] = field(default_factory=list)
    roles: iam.RoleBook = field(init=False)
    _properties: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.roles = iam.RoleBook(self.resolver)

    def properties(self, logical_id: str) -> Any:
        """The resource's Properties with every intrinsic resolved, resolved once."""
        if logical_id not in self._properties:
            raw = self.resolver.resources[logical_id].get("Properties") or {}
            self._properties[logical_id] = self.resolver.resolve(raw)
        return self._properties[logical_id]

    def active(self, resource: Mapping[str, Any]) -> bool:
        """Whether the resource is created: it has no Condition, or its Condition holds."""
        condition = resource.get("Condition")
        return condition is None or self.resolver.condition(str(condition))

    def of_the_api(self, logical_id: str) -> bool:
        """Whether the resource (an ApiGatewayV2 one) belongs to the API being served."""
        return bool(self.properties(logical_id).get("ApiId") == self.api_id)

    def add_function(self, function: FunctionSpec) -> None:
        self.functions[function.logical_id] = function
        self.functions_by_name[function.name] = function

    def function_named(self, name: str) -> FunctionSpec | None:
        return self.functions_by_name.get(name)


Reader = Callable[[Reading, str], None]


def _of_the_api(reader: Reader) -> Reader:
    """``reader``, for the resources of the served API only."""

    def read(reading: Reading, logical_id: str) -> None:
        if reading.of_the_api(logical_id):
            reader(reading, logical_id)

    read.__doc__ = reader.__doc__
    return read


def _read_elsewhere(reading: Reading, logical_id: str) -> None:
    """Emulated, but read where it is used: a LayerVersion by the functions that name it,
    the served Api at the head of model.read_api (the others are not served)."""


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
    )


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


INTEGRATION_TYPES = ("AWS_PROXY", "AWS", "MOCK", "HTTP", "HTTP_PROXY")
PASSTHROUGH_BEHAVIORS = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")


@_of_the_api
def _integration_response(reading: Reading, logical_id: str) -> None:
    """An IntegrationResponse, kept for the integration it belongs to."""
    props = reading.properties(logical_id)
    expression = props.get("TemplateSelectionExpression")
    response = IntegrationResponseSpec(
        key=str(props.get("IntegrationResponseKey", "")),
        templates={str(k): str(v) for k, v in (props.get("ResponseTemplates") or {}).items()},
        template_selection_expression=None if expression is None else str(expression),
    )
    if "ContentHandlingStrategy" in props:
        reading.unhonoured.append(
            f"{logical_id}: ContentHandlingStrategy (frames pass as they are)"
        )
    reading.integration_responses.setdefault(str(props.get("IntegrationId")), []).append(response)


@_of_the_api
def _integration(reading: Reading, logical_id: str) -> None:
    """An Integration, whole, by its physical id; a kind the gateway does not run is named
    and kept as None (its routes answer "Internal server error", never a silent pass)."""
    props = reading.properties(logical_id)
    physical = reading.resolver.physical_id(logical_id)
    reading.integrations[physical] = _integration_spec(reading, logical_id, props, physical)


def _integration_spec(
    reading: Reading, logical_id: str, props: Mapping[str, Any], physical: str
) -> IntegrationSpec | None:
    kind = str(props.get("IntegrationType", ""))
    uri = str(props.get("IntegrationUri", ""))
    timeout = _integration_timeout(props)
    if "ContentHandlingStrategy" in props:
        reading.unhonoured.append(
            f"{logical_id}: ContentHandlingStrategy (frames pass as they are)"
        )
    passthrough = str(props.get("PassthroughBehavior", "WHEN_NO_MATCH"))
    if passthrough not in PASSTHROUGH_BEHAVIORS:
        raise TemplateError(
            f"{logical_id}: PassthroughBehavior {passthrough!r} is not one of"
            f" {', '.join(PASSTHROUGH_BEHAVIORS)}"
        )
    match = _FUNCTION_IN_URI.search(uri)
    function = reading.function_named(match.group(1)) if match else None
    unsupported = (
        kind not in INTEGRATION_TYPES
        or (kind in ("AWS_PROXY", "AWS") and (match is None or ":lambda:" not in uri))
        or props.get("ConnectionType", "INTERNET") != "INTERNET"
    )
    if unsupported:
        what = f"IntegrationType {kind} ({uri or 'no URI'})"
        if props.get("ConnectionType", "INTERNET") != "INTERNET":
            what += f" through ConnectionType {props.get('ConnectionType')}"
        reading.unhonoured.append(f"{logical_id}: {what}: its routes answer an error")
        return None
    expression = props.get("TemplateSelectionExpression")
    return IntegrationSpec(
        logical_id=logical_id,
        kind=kind,
        function=function,
        uri=uri,
        method=str(props.get("IntegrationMethod", "POST")),
        timeout=timeout,
        request_templates={
            str(k): str(v) for k, v in (props.get("RequestTemplates") or {}).items()
        },
        template_selection_expression=None if expression is None else str(expression),
        passthrough=passthrough,
        request_parameters={
            str(k): str(v) for k, v in (props.get("RequestParameters") or {}).items()
        },
        responses=tuple(reading.integration_responses.get(physical, ())),
    )


def _integration_timeout(props: Mapping[str, Any]) -> float:
    """TimeoutInMillis in seconds; API Gateway refuses a value outside 50 ms to 29 s ("Timeout
    should be between 50 ms and 29000 ms", its answer to such an integration)."""
    value = props.get("TimeoutInMillis", 29000)
    try:
        millis = float(value)
    except (TypeError, ValueError):
        millis = math.nan
    if not 50 <= millis <= 29000:  # (NaN fails too)
        raise TemplateError(
            f"TimeoutInMillis {value!r}: Timeout should be between 50 ms and 29000 ms"
        )
    return millis / 1000


@_of_the_api
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


@_of_the_api
def _route_response(reading: Reading, logical_id: str) -> None:
    """A RouteResponse with key $default makes its route two-way."""
    props = reading.properties(logical_id)
    if props.get("RouteResponseKey") == "$default":
        reading.two_way_routes.add(str(props.get("RouteId")))


@_of_the_api
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


@_of_the_api
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
    """An IAM Role: its inline policies and managed policy ARNs (template/iam.py)."""
    reading.roles.add_role(logical_id, reading.properties(logical_id))


def _policy(reading: Reading, logical_id: str) -> None:
    """An IAM Policy, attached to the roles its Roles names (how CDK writes grants)."""
    reading.roles.attach(logical_id, reading.properties(logical_id), managed=False)


def _managed_policy(reading: Reading, logical_id: str) -> None:
    """An IAM ManagedPolicy: attached through Roles, or named in a role's ManagedPolicyArns."""
    reading.roles.attach(logical_id, reading.properties(logical_id), managed=True)


def _api_key(reading: Reading, logical_id: str) -> None:
    """An AWS::ApiGateway::ApiKey; without a Value, one made as AWS makes one (40
    characters), said at start."""
    props = reading.properties(logical_id)
    value = props.get("Value")
    generated = value is None
    if generated:
        alphabet = string.ascii_letters + string.digits
        value = "".join(secrets.choice(alphabet) for _ in range(40))
    reading.api_keys[reading.resolver.physical_id(logical_id)] = ApiKeySpec(
        logical_id,
        str(value),
        enabled=props.get("Enabled", True) not in (False, "false", "False"),
        generated=generated,
    )


def _usage_plan(reading: Reading, logical_id: str) -> None:
    """An AWS::ApiGateway::UsagePlan: the API stages its keys may call."""
    props = reading.properties(logical_id)
    reading.usage_plans[reading.resolver.physical_id(logical_id)] = [
        (str(stage.get("ApiId")), str(stage.get("Stage")))
        for stage in props.get("ApiStages") or []
        if isinstance(stage, dict)
    ]
    if props.get("Throttle") or props.get("Quota"):
        reading.unhonoured.append(f"{logical_id}: Throttle and Quota (no key is ever limited)")


def _usage_plan_key(reading: Reading, logical_id: str) -> None:
    """An AWS::ApiGateway::UsagePlanKey: a key in a plan."""
    props = reading.properties(logical_id)
    reading.usage_plan_keys.append((str(props.get("KeyId")), str(props.get("UsagePlanId"))))


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
    "AWS::ApiGatewayV2::IntegrationResponse": _integration_response,
    "AWS::ApiGatewayV2::Integration": _integration,
    "AWS::ApiGatewayV2::Authorizer": _authorizer,
    "AWS::ApiGatewayV2::RouteResponse": _route_response,
    "AWS::ApiGatewayV2::Route": _route,
    "AWS::ApiGatewayV2::Stage": _stage,
    "AWS::Lambda::Permission": _permission,
    "AWS::DynamoDB::Table": _table,
    "AWS::ApiGateway::ApiKey": _api_key,
    "AWS::ApiGateway::UsagePlan": _usage_plan,
    "AWS::ApiGateway::UsagePlanKey": _usage_plan_key,
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
