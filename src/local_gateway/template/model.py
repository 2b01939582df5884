"""The WebSocket API a template declares, as the gateway needs it: ``read_api``.

The template is read as a pipeline, each stage once:

1. SAM expanded: ``Globals`` merged into the SAM resources by SAM's one merge
   (sam_globals), then each ``AWS::Serverless::WebSocketApi`` and
   ``AWS::Serverless::SimpleTable`` expanded as SAM expands it (sam_websocket,
   sam_simpletable). From here on the template is plain CloudFormation.
2. The served APIs found (every ``AWS::ApiGatewayV2::Api`` with ProtocolType WEBSOCKET, in
   the template's order) and a local id made for each, distinct, so that intrinsics can
   name any of them from any resource.
3. For each API, each resource read by its type's reader (readers.READERS), its properties
   resolved once through the intrinsic resolver, so the template is the only config.
4. Each API assembled: the stage served, whether AWS::Lambda::Permission lets API Gateway
   invoke each route's and authorizer's function, what would fail on AWS, every resource
   type that has no reader listed as not emulated, and the application's hook from
   ``Metadata: LocalGateway: Hook``.

The read model's classes live in specs.py and are exported from here, where the rest of
the gateway has always imported them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from local_gateway.template.cfn_yaml import TemplateError, load_template
from local_gateway.template.code_location import ToolArtefacts, tool_artefacts
from local_gateway.template.intrinsics import ACCOUNT_ID, Resolver
from local_gateway.template.policies import permissions
from local_gateway.template.readers import READERS, Reading, read_resources
from local_gateway.template.sam.sam_globals import apply_globals
from local_gateway.template.sam.sam_simpletable import expand_simple_tables
from local_gateway.template.sam.sam_websocket import expand_websocket_apis
from local_gateway.template.specs import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_INTEGRATION_TIMEOUT_SECONDS,
    ApiKeySpec,
    AuthorizerSpec,
    FunctionSpec,
    IntegrationResponseSpec,
    IntegrationSpec,
    PolicySpec,
    RoleSpec,
    RouteSpec,
    TableSpec,
    WebSocketApiSpec,
)

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_INTEGRATION_TIMEOUT_SECONDS",
    "ApiKeySpec",
    "AuthorizerSpec",
    "FunctionSpec",
    "IntegrationResponseSpec",
    "IntegrationSpec",
    "PolicySpec",
    "RoleSpec",
    "RouteSpec",
    "TableSpec",
    "WebSocketApiSpec",
    "check_code",
    "expand_sam",
    "local_api_ids",
    "read_api",
    "read_apis",
]


def expand_sam(template: dict[str, Any]) -> dict[str, Any]:
    """The template as SAM's transform leaves it, for what the gateway serves: Globals
    merged into its Function, WebSocketApi and SimpleTable resources, then the WebSocketApis
    and SimpleTables expanded."""
    return expand_simple_tables(expand_websocket_apis(apply_globals(template)))


def _websocket_apis(path: Path, resources: Mapping[str, Any]) -> list[str]:
    """The logical ids of the WEBSOCKET APIs (by ProtocolType as written), in order."""
    found = [
        str(logical_id)
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::ApiGatewayV2::Api"
        and (resource.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"
    ]
    if not found:
        raise TemplateError(
            f"{path} declares no AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET"
        )
    return found


def local_api_ids(logical_ids: list[str]) -> dict[str, str]:
    """A local API id for each logical id, distinct from the others: ``local`` and the
    first letters of the logical id, 10 characters of lowercase letters and digits as AWS's
    are; two whose letters agree (ChatApi, ChatAdminApi) differ by a digit at the end."""
    ids: dict[str, str] = {}
    for logical_id in logical_ids:
        base = "local" + re.sub(r"[^a-z0-9]", "", logical_id.lower())[:5]
        candidate, number = base, 1
        while candidate in ids.values():
            number += 1
            candidate = base[: 10 - len(str(number))] + str(number)
        ids[logical_id] = candidate
    return ids


def read_apis(
    path: Path,
    parameters: Mapping[str, str] | None = None,
    stack_name: str = "serverless-chat",
    region: str = "us-east-1",
) -> tuple[WebSocketApiSpec, ...]:
    """Every WEBSOCKET API of the template at ``path``, in the template's order (each is
    served on its own, as each is an API of its own on AWS). The template-wide parts
    (functions, tables, the hook) are the same in each; an API key made at start has one
    value on every API whose usage plan names it."""
    template = expand_sam(load_template(path))
    api_ids = local_api_ids(_websocket_apis(path, template["Resources"]))
    artefacts = tool_artefacts(path)
    readings = [
        _read_one(template, path, logical_id, api_ids, parameters, stack_name, region, artefacts)
        for logical_id in api_ids
    ]
    keys = {key.logical_id: key for key in readings[0][1].api_keys.values()}
    return tuple(
        replace(spec, api_keys=tuple(keys.get(k.logical_id, k) for k in spec.api_keys))
        for spec, _ in readings
    )


def read_api(
    path: Path,
    parameters: Mapping[str, str] | None = None,
    stack_name: str = "serverless-chat",
    region: str = "us-east-1",
) -> WebSocketApiSpec:
    """The first WEBSOCKET API of the template at ``path``."""
    return read_apis(path, parameters, stack_name, region)[0]


def _read_one(
    template: dict[str, Any],
    path: Path,
    api_logical_id: str,
    api_ids: Mapping[str, str],
    parameters: Mapping[str, str] | None,
    stack_name: str,
    region: str,
    artefacts: ToolArtefacts,
) -> tuple[WebSocketApiSpec, Reading]:
    """The API ``api_logical_id`` with the template's functions and tables, and the reading
    it was assembled from."""
    api_id = api_ids[api_logical_id]
    resolver = Resolver(template, parameters, stack_name, region, api_ids)
    reading = Reading(resolver, path.parent, api_id, artefacts)
    api_props = reading.properties(api_logical_id)
    read_resources(reading)
    stage = str(reading.stages[0].get("StageName")) if reading.stages else "$default"
    problems = _undeployed(reading, stage)
    arn = f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}"
    authorizers = {
        key: replace(
            spec,
            invocable=_invocable(
                reading.grants,
                spec.function,
                f"{arn}/authorizers/{key}",
                spec.logical_id,
                problems,
            ),
        )
        for key, spec in reading.authorizers.items()
    }
    routes = {
        key: replace(
            route,
            invocable=_invocable(
                reading.grants, route.function, f"{arn}/{stage}/{key}", f"route {key}", problems
            ),
            authorizer=authorizers.get(route.authorizer.logical_id) if route.authorizer else None,
        )
        for key, route in reading.routes.items()
    }
    spec = WebSocketApiSpec(
        logical_id=api_logical_id,
        api_id=api_id,
        name=str(api_props.get("Name", api_logical_id)),
        route_selection_expression=str(
            api_props.get("RouteSelectionExpression", "$request.body.action")
        ),
        stage=stage,
        routes=routes,
        functions=reading.functions,
        tables=reading.tables,
        not_emulated=_not_emulated(reading),
        settings_not_emulated=reading.unhonoured,
        hook=_hook(template),
        problems=problems,
        policies_not_evaluated=reading.roles.not_evaluated(),
        api_key_selection_expression=_api_key_selection(api_props, routes),
        api_keys=_stage_keys(reading, api_id, stage),
        stage_variables={
            str(k): str(v)
            for k, v in (
                (reading.stages[0].get("StageVariables") if reading.stages else None) or {}
            ).items()
        },
    )
    return spec, reading


API_KEY_SELECTION_EXPRESSIONS = (
    "$request.header.x-api-key",
    "$context.authorizer.usageIdentifierKey",
)


def _api_key_selection(api_props: Mapping[str, Any], routes: Mapping[str, RouteSpec]) -> str:
    """The API's ApiKeySelectionExpression; the authorizer's usageIdentifierKey is not
    emulated, and is refused at start when a route requires a key (never let through)."""
    expression = str(api_props.get("ApiKeySelectionExpression", API_KEY_SELECTION_EXPRESSIONS[0]))
    if expression not in API_KEY_SELECTION_EXPRESSIONS:
        raise TemplateError(
            f"ApiKeySelectionExpression {expression!r}: API Gateway supports only"
            f" {' and '.join(API_KEY_SELECTION_EXPRESSIONS)}"
        )
    required = [key for key, route in routes.items() if route.api_key_required]
    if required and expression != API_KEY_SELECTION_EXPRESSIONS[0]:
        raise TemplateError(
            f"ApiKeySelectionExpression {expression} (routes {', '.join(required)} require a"
            " key): not emulated by the local gateway, which reads keys from x-api-key only"
        )
    return expression


def _stage_keys(reading: Reading, api_id: str, stage: str) -> tuple[ApiKeySpec, ...]:
    """The API keys in a usage plan that names the served API and stage."""
    plans = {plan for plan, stages in reading.usage_plans.items() if (api_id, stage) in stages}
    return tuple(
        reading.api_keys[key]
        for key, plan in reading.usage_plan_keys
        if plan in plans and key in reading.api_keys
    )


def _undeployed(reading: Reading, stage: str) -> list[str]:
    """A stage that neither auto-deploys nor has a Deployment serves nothing on AWS."""
    deployed = any(
        resource.get("Type") == "AWS::ApiGatewayV2::Deployment"
        and reading.active(resource)
        and reading.of_the_api(logical_id)
        for logical_id, resource in reading.resolver.resources.items()
    )
    if not reading.stages or deployed or reading.stages[0].get("AutoDeploy") in (True, "true"):
        return []
    return [
        f"stage {stage} has neither AutoDeploy nor an AWS::ApiGatewayV2::Deployment: on AWS"
        " it serves nothing until the API is deployed"
    ]


def _not_emulated(reading: Reading) -> list[str]:
    """Each created resource type that no reader reads, with its count."""
    skipped = Counter(
        str(r.get("Type"))
        for r in reading.resolver.resources.values()
        if r.get("Type") not in READERS and reading.active(r)
    )
    return [f"{rtype} x{count}" for rtype, count in sorted(skipped.items())]


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


def _hook(template: Mapping[str, Any]) -> str | None:
    metadata = template.get("Metadata") or {}
    local = metadata.get("LocalGateway") if isinstance(metadata, dict) else None
    hook = local.get("Hook") if isinstance(local, dict) else None
    if hook is None or hook == "":
        return None
    if not isinstance(hook, str):
        raise TemplateError(f"Metadata.LocalGateway.Hook must be 'module:callable', not {hook!r}")
    return hook


def check_code(api: WebSocketApiSpec) -> None:
    """TemplateError, naming the function and where its code was looked for, when a Python
    function's code (or a layer's) is not on this machine: refused at start, rather than a
    502 at the first handshake."""
    missing = [
        f
        for f in api.functions.values()
        if f.code_missing and (f.runtime.startswith("python") or not f.runtime)
    ]
    if not missing:
        return
    first = missing[0]
    more = f" (and {len(missing) - 1} more functions)" if len(missing) > 1 else ""
    raise TemplateError(
        f"function {first.described} has no code to run: {first.code_missing}{more}"
    )
