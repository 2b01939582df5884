"""SAM's ``Globals`` section, merged into its resources as SAM merges it: the one merge. Pure.

The SAM page "Globals section of the AWS SAM template" (section "Overridable properties",
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html)
states the rules, and samtranslator/plugins/globals/globals.py (``GlobalProperties._do_merge``)
applies them: a primitive the resource sets overrides the global one, maps are merged key by
key (recursively), and lists are joined, the global entries first. A value of another kind
than its global counterpart, or an intrinsic function (``Ref``, ``Fn::*``, ``Condition``),
counts as a primitive: the resource's own wins. The merge runs on the template as written,
before any intrinsic is resolved, as SAM's plugin does before CloudFormation sees the stack.

``Globals.Function`` applies to each ``AWS::Serverless::Function`` and
``Globals.WebSocketApi`` to each ``AWS::Serverless::WebSocketApi`` (whose section may hold
only the properties SAM allows there, checked as SAM checks them); a section, once merged,
leaves the template as SAM's plugin removes it, so nothing merges it twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from local_gateway.template.cfn_yaml import TemplateError

# The Globals sections the gateway applies, and the resource type each one fills.
RESOURCE_TYPES = {
    "Function": "AWS::Serverless::Function",
    "WebSocketApi": "AWS::Serverless::WebSocketApi",
    "SimpleTable": "AWS::Serverless::SimpleTable",
}
# The properties Globals.WebSocketApi may hold (globals.py, supported_properties).
WEBSOCKET_API_PROPERTIES = (
    "AccessLogSettings",
    "ApiKeySelectionExpression",
    "DefaultRouteSettings",
    "DisableExecuteApiEndpoint",
    "DisableSchemaValidation",
    "Domain",
    "FailOnWarnings",
    "IpAddressType",
    "PropagateTags",
    "RouteSelectionExpression",
    "RouteSettings",
    "StageVariables",
    "Tags",
)
# Sections whose properties are checked; Globals.Function's are not (as before this module).
_SUPPORTED = {"WebSocketApi": WEBSOCKET_API_PROPERTIES, "SimpleTable": ("SSESpecification",)}


def is_intrinsic(value: Any) -> bool:
    """Whether ``value`` is one intrinsic function (a one-key map of Ref, Condition, Fn::*)."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key in ("Ref", "Condition") or str(key).startswith("Fn::")


def merge(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals merge: maps merged key by key, lists joined (global first), anything
    else (an intrinsic counts as a plain value) the resource's own."""
    if (
        isinstance(global_value, dict)
        and isinstance(local_value, dict)
        and not is_intrinsic(global_value)
        and not is_intrinsic(local_value)
    ):
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = merge(merged[key], value) if key in merged else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


def _section(template: Mapping[str, Any], kind: str) -> dict[str, Any]:
    section = (template.get("Globals") or {}).get(kind)
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise TemplateError(f"'Globals' section is invalid. Value of {kind} must be a dictionary")
    supported = _SUPPORTED.get(kind)
    for key in section:
        if supported is not None and key not in supported:
            raise TemplateError(
                f"'Globals' section is invalid. '{key}' is not a supported property of"
                f" '{kind}'. Must be one of the following values - {list(supported)}"
            )
    return section


def apply_globals(
    template: Mapping[str, Any], kinds: Iterable[str] = tuple(RESOURCE_TYPES)
) -> dict[str, Any]:
    """``template`` with each ``Globals`` section of ``kinds`` merged into the Properties of
    every resource of its type, and taken out of ``Globals``. A section is read (and
    checked) only when the template has a resource it applies to."""
    resources: Mapping[str, Any] = template.get("Resources") or {}
    result = dict(template)
    merged_resources = dict(resources)
    applied: list[str] = []
    for kind in kinds:
        rtype = RESOURCE_TYPES[kind]
        targets = [
            lid for lid, r in resources.items() if isinstance(r, dict) and r.get("Type") == rtype
        ]
        if not targets:
            continue
        section = _section(template, kind)
        applied.append(kind)
        if not section:
            continue
        for lid in targets:
            resource = resources[lid]
            own = resource.get("Properties") or {}
            merged_resources[lid] = {**resource, "Properties": merge(dict(section), own)}
    if applied:
        result["Resources"] = merged_resources
        remaining = {k: v for k, v in (template.get("Globals") or {}).items() if k not in applied}
        if remaining:
            result["Globals"] = remaining
        else:
            result.pop("Globals", None)
    return result
