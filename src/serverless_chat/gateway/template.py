"""The WebSocket API a template declares, as the gateway needs it.

Reads AWS::ApiGatewayV2 Api, Stage, Route, Integration (its TimeoutInMillis, held to API
Gateway's 50 ms to 29 s), Authorizer and RouteResponse resources, the Python
AWS::Lambda::Function and AWS::Serverless::Function resources they invoke, and the
DynamoDB tables; SAM's AWS::Serverless::WebSocketApi is first expanded as SAM expands it
(sam_websocket). Every other resource is listed as not emulated, and each setting of an
emulated resource that the gateway does not honour (AuthorizationType AWS_IAM,
ApiKeyRequired, an integration other than AWS_PROXY to a Lambda function,
ContentHandlingStrategy) is named once with its logical id. The application's hook comes
from ``Metadata: LocalGateway: Hook``. All values pass through the intrinsic resolver, so
the template is the only config.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from serverless_chat.gateway import permissions
from serverless_chat.gateway.cfn_yaml import TemplateError, load_template
from serverless_chat.gateway.intrinsics import ACCOUNT_ID, Resolver
from serverless_chat.gateway.sam_websocket import expand_websocket_apis

# Resources that shape the local API; the rest are listed as not emulated.
EMULATED = {
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::RouteResponse",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::DynamoDB::Table",
    "AWS::Serverless::Function",
    "AWS::Serverless::LayerVersion",
    "AWS::Lambda::LayerVersion",
}
FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Serverless::Function")
_FUNCTION_IN_URI = re.compile(r":function:([^:/]+)")
DEFAULT_TIMEOUT_SECONDS = 3.0
DEFAULT_MEMORY_MB = 128
# API Gateway's integration timeout for WebSocket APIs: 50 ms to 29 s, 29 s by default.
MAX_INTEGRATION_TIMEOUT_SECONDS = 29.0


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A function of the template, as the gateway runs it."""

    logical_id: str
    name: str
    handler: str
    code_dir: Path | None
    runtime: str
    environment: Mapping[str, str]
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB
    # Its layers' local code (folders or .zip packages), in the template's order, as Lambda
    # extracts them under /opt; layers that are not local (an ARN) are named in not_local.
    layers: tuple[Path, ...] = ()
    layers_not_local: tuple[str, ...] = ()

    @property
    def module_name(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True, slots=True)
class AuthorizerSpec:
    """A REQUEST authorizer: its function and the identity sources that must be present."""

    logical_id: str
    function: FunctionSpec | None
    identity_sources: tuple[str, ...]
    invocable: bool = True  # as RouteSpec.invocable, for .../authorizers/ID


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One route: its key, the function behind it, whether replies go back (two-way), and
    the authorizer that guards it ($connect only, as on API Gateway)."""

    route_key: str
    function: FunctionSpec | None
    two_way: bool = False
    authorizer: AuthorizerSpec | None = None
    integration_timeout: float = MAX_INTEGRATION_TIMEOUT_SECONDS
    # False when no AWS::Lambda::Permission lets API Gateway invoke the function for this
    # route: on AWS the route then answers "Internal server error".
    invocable: bool = True


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A DynamoDB table of the template, by its local physical name."""

    logical_id: str
    name: str
    key_schema: tuple[tuple[str, str], ...]
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class WebSocketApiSpec:
    """Everything the gateway serves, read from one template."""

    logical_id: str
    api_id: str
    name: str
    route_selection_expression: str
    stage: str
    routes: dict[str, RouteSpec]
    functions: dict[str, FunctionSpec]
    tables: dict[str, TableSpec]
    not_emulated: list[str] = field(default_factory=list)
    # Settings of emulated resources that the gateway does not honour, each named once.
    settings_not_emulated: list[str] = field(default_factory=list)
    # The application's hook (Metadata: LocalGateway: Hook), "module:callable".
    hook: str | None = None
    # What would fail on AWS as the template stands (said at start; the gateway fails alike).
    problems: list[str] = field(default_factory=list)


def _resources_of(resources: Mapping[str, Any], rtype: str) -> list[tuple[str, dict[str, Any]]]:
    return [(lid, r) for lid, r in resources.items() if r.get("Type") == rtype]


def _active(resolver: Resolver, resource: Mapping[str, Any]) -> bool:
    condition = resource.get("Condition")
    return condition is None or resolver.condition(str(condition))


def _function(
    resolver: Resolver,
    logical_id: str,
    resource: Mapping[str, Any],
    base: Path,
    globals_: Mapping[str, Any],
) -> FunctionSpec:
    props = resolver.resolve(resource.get("Properties") or {})
    if resource.get("Type") == "AWS::Serverless::Function":
        # SAM: Globals.Function fills what the function leaves out; its code is CodeUri.
        merged = dict(resolver.resolve(globals_.get("Function") or {}))
        variables = {
            **((merged.get("Environment") or {}).get("Variables") or {}),
            **((props.get("Environment") or {}).get("Variables") or {}),
        }
        layers = [*(merged.get("Layers") or []), *(props.get("Layers") or [])]
        merged.update(props)
        merged["Environment"] = {"Variables": variables}
        merged["Layers"] = layers  # SAM prepends the global layers to the function's
        props = merged
        code = props.get("CodeUri")
    else:
        code = props.get("Code")
    code_dir = (base / code).resolve() if isinstance(code, str) else None
    local, not_local = _layers(resolver, props.get("Layers") or [], base)
    env = {k: str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()}
    return FunctionSpec(
        logical_id=logical_id,
        name=resolver.physical_id(logical_id),
        handler=str(props.get("Handler", "")),
        code_dir=code_dir,
        runtime=str(props.get("Runtime", "")),
        environment=env,
        timeout=float(props.get("Timeout", DEFAULT_TIMEOUT_SECONDS)),
        memory_mb=int(props.get("MemorySize", DEFAULT_MEMORY_MB)),
        layers=local,
        layers_not_local=not_local,
    )


LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")


def _layers(
    resolver: Resolver, layers: list[Any], base: Path
) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """The local code of a function's layers (a Ref to a LayerVersion of the template whose
    ContentUri, or Content, is a local path), and the others by name."""
    local: list[Path] = []
    others: list[str] = []
    for layer in layers:
        name = str(layer)
        resource = resolver.resources.get(name) if isinstance(layer, str) else None
        if resource is not None and resource.get("Type") in LAYER_TYPES:
            props = resolver.resolve(resource.get("Properties") or {})
            content = props.get("ContentUri", props.get("Content"))
            if isinstance(content, str):
                local.append((base / content).resolve())
                continue
        others.append(name)
    return tuple(local), tuple(others)


def read_api(
    path: Path,
    parameters: Mapping[str, str] | None = None,
    stack_name: str = "serverless-chat",
    region: str = "us-east-1",
) -> WebSocketApiSpec:
    """The first WEBSOCKET API of the template at ``path``."""
    template = expand_websocket_apis(load_template(path))
    resources: Mapping[str, Any] = template["Resources"]
    apis = [
        (lid, r)
        for lid, r in _resources_of(resources, "AWS::ApiGatewayV2::Api")
        if (r.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"
    ]
    if not apis:
        raise TemplateError(
            f"{path} declares no AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET"
        )
    api_logical_id = apis[0][0]
    api_id = "local" + re.sub(r"[^a-z0-9]", "", api_logical_id.lower())[:5]
    resolver = Resolver(template, parameters, stack_name, region, {api_logical_id: api_id})
    api_props = resolver.resolve(apis[0][1].get("Properties") or {})

    def belongs(resource: Mapping[str, Any]) -> bool:
        props = resource.get("Properties") or {}
        return bool(_active(resolver, resource) and resolver.resolve(props.get("ApiId")) == api_id)

    base = path.parent
    globals_: Mapping[str, Any] = template.get("Globals") or {}
    functions = {
        lid: _function(resolver, lid, r, base, globals_)
        for rtype in FUNCTION_TYPES
        for lid, r in _resources_of(resources, rtype)
        if _active(resolver, r)
    }
    by_name = {f.name: f for f in functions.values()}
    unhonoured: list[str] = []
    integrations: dict[str, tuple[FunctionSpec | None, float]] = {}
    for lid, r in _resources_of(resources, "AWS::ApiGatewayV2::Integration"):
        if belongs(r):
            props = resolver.resolve(r.get("Properties") or {})
            integrations[resolver.physical_id(lid)] = (
                _integration_function(lid, props, by_name, unhonoured),
                _integration_timeout(props),
            )

    authorizers: dict[str, AuthorizerSpec] = {}
    for lid, r in _resources_of(resources, "AWS::ApiGatewayV2::Authorizer"):
        if belongs(r):
            props = resolver.resolve(r.get("Properties") or {})
            match = _FUNCTION_IN_URI.search(str(props.get("AuthorizerUri", "")))
            sources = props.get("IdentitySource") or []
            authorizers[resolver.physical_id(lid)] = AuthorizerSpec(
                lid,
                by_name.get(match.group(1)) if match else None,
                tuple(str(s) for s in (sources if isinstance(sources, list) else [sources])),
            )

    two_way_routes = {
        str(resolver.resolve(props.get("RouteId")))
        for _, r in _resources_of(resources, "AWS::ApiGatewayV2::RouteResponse")
        if belongs(r) and (props := r.get("Properties") or {}).get("RouteResponseKey") == "$default"
    }
    routes: dict[str, RouteSpec] = {}
    for lid, r in _resources_of(resources, "AWS::ApiGatewayV2::Route"):
        if not belongs(r):
            continue
        props = resolver.resolve(r.get("Properties") or {})
        target = str(props.get("Target", ""))
        integration_id = target.split("/", 1)[1] if target.startswith("integrations/") else ""
        key = str(props["RouteKey"])
        authorizer = None
        authorization = str(props.get("AuthorizationType", "NONE"))
        if authorization == "CUSTOM":
            authorizer = authorizers.get(str(props.get("AuthorizerId", "")))
            if authorizer is None:  # never a silent open door
                raise TemplateError(
                    f"{lid}: AuthorizationType CUSTOM, but AuthorizerId"
                    f" {props.get('AuthorizerId')!r} is no authorizer of the API"
                )
        elif authorization != "NONE":
            unhonoured.append(f"{lid}: AuthorizationType {authorization} (anyone may connect)")
        if props.get("ApiKeyRequired") in (True, "true", "True"):
            unhonoured.append(f"{lid}: ApiKeyRequired (no API key is asked for)")
        function, timeout = integrations.get(
            integration_id, (None, MAX_INTEGRATION_TIMEOUT_SECONDS)
        )
        if key in routes:
            raise TemplateError(f"{lid}: Route with key {key!r} already exists for this API")
        routes[key] = RouteSpec(key, function, lid in two_way_routes, authorizer, timeout)

    stage_resources = [
        resolver.resolve(r.get("Properties") or {})
        for _, r in _resources_of(resources, "AWS::ApiGatewayV2::Stage")
        if belongs(r)
    ]
    stages = [str(props.get("StageName")) for props in stage_resources]
    stage = stages[0] if stages else "$default"
    problems: list[str] = []
    deployed = any(belongs(r) for _, r in _resources_of(resources, "AWS::ApiGatewayV2::Deployment"))
    if (
        stage_resources
        and not deployed
        and stage_resources[0].get("AutoDeploy")
        not in (
            True,
            "true",
        )
    ):
        problems.append(
            f"stage {stage} has neither AutoDeploy nor an AWS::ApiGatewayV2::Deployment: on AWS"
            " it serves nothing until the API is deployed"
        )
    allowed = permissions.grants(
        resolver.resolve(r.get("Properties") or {})
        for _, r in _resources_of(resources, "AWS::Lambda::Permission")
        if _active(resolver, r)
    )
    arn = f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}"
    authorizers = {
        key: replace(
            spec,
            invocable=_invocable(
                allowed, spec.function, f"{arn}/authorizers/{key}", spec.logical_id, problems
            ),
        )
        for key, spec in authorizers.items()
    }
    routes = {
        key: replace(
            route,
            invocable=_invocable(
                allowed, route.function, f"{arn}/{stage}/{key}", f"route {key}", problems
            ),
            authorizer=authorizers.get(route.authorizer.logical_id) if route.authorizer else None,
        )
        for key, route in routes.items()
    }
    tables = {}
    for lid, r in _resources_of(resources, "AWS::DynamoDB::Table"):
        if _active(resolver, r):
            props = resolver.resolve(r.get("Properties") or {})
            keys = props.get("KeySchema", [])
            schema = tuple((str(k["AttributeName"]), str(k["KeyType"])) for k in keys)
            tables[lid] = TableSpec(lid, resolver.physical_id(lid), schema, props)
    skipped = Counter(
        str(r.get("Type"))
        for r in resources.values()
        if r.get("Type") not in EMULATED and _active(resolver, r)
    )
    not_emulated = [f"{rtype} x{count}" for rtype, count in sorted(skipped.items())]
    return WebSocketApiSpec(
        logical_id=api_logical_id,
        api_id=api_id,
        name=str(api_props.get("Name", api_logical_id)),
        route_selection_expression=str(
            api_props.get("RouteSelectionExpression", "$request.body.action")
        ),
        stage=stage,
        routes=routes,
        functions=functions,
        tables=tables,
        not_emulated=not_emulated,
        settings_not_emulated=unhonoured,
        hook=_hook(template),
        problems=problems,
    )


def _invocable(
    allowed: list[permissions.Grant],
    function: FunctionSpec | None,
    source_arn: str,
    what: str,
    problems: list[str],
) -> bool:
    """Whether API Gateway may invoke ``function`` from ``source_arn``; says so when not."""
    if function is None or permissions.may_invoke(allowed, function.name, source_arn):
        return True
    problems.append(
        f"{what}: no AWS::Lambda::Permission lets apigateway.amazonaws.com invoke"
        f" {function.logical_id} from {source_arn}; on AWS (and here) it answers"
        ' "Internal server error"'
    )
    return False


def _integration_function(
    logical_id: str,
    props: Mapping[str, Any],
    by_name: Mapping[str, FunctionSpec],
    unhonoured: list[str],
) -> FunctionSpec | None:
    """The function an AWS_PROXY integration invokes; other kinds are named as not emulated
    (their routes then have no function: the caller gets an error, never a silent pass)."""
    kind = str(props.get("IntegrationType", ""))
    uri = str(props.get("IntegrationUri", ""))
    match = _FUNCTION_IN_URI.search(uri)
    if kind != "AWS_PROXY" or match is None:
        unhonoured.append(f"{logical_id}: IntegrationType {kind} ({uri or 'no URI'})")
    if "ContentHandlingStrategy" in props:
        unhonoured.append(f"{logical_id}: ContentHandlingStrategy (frames pass as they are)")
    return by_name.get(match.group(1)) if kind == "AWS_PROXY" and match else None


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


def _hook(template: Mapping[str, Any]) -> str | None:
    metadata = template.get("Metadata") or {}
    local = metadata.get("LocalGateway") if isinstance(metadata, dict) else None
    hook = local.get("Hook") if isinstance(local, dict) else None
    if hook is None or hook == "":
        return None
    if not isinstance(hook, str):
        raise TemplateError(f"Metadata.LocalGateway.Hook must be 'module:callable', not {hook!r}")
    return hook
