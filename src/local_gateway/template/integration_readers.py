"""The readers of what a route is integrated with: integrations (whole: type, templates,
parameters, passthrough, timeout) and their integration responses, and the API keys,
usage plans and usage plan keys that ``ApiKeyRequired`` routes are checked against
(apigateway/integrations.py and apigateway/api_keys.py apply them)."""

from __future__ import annotations

import math
import re
import secrets
import string
from collections.abc import Mapping
from typing import Any

from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.reading import Reading, of_the_api
from local_gateway.template.specs import (
    ApiKeySpec,
    IntegrationResponseSpec,
    IntegrationSpec,
)

_FUNCTION_IN_URI = re.compile(r":function:([^:/]+)")


INTEGRATION_TYPES = ("AWS_PROXY", "AWS", "MOCK", "HTTP", "HTTP_PROXY")
PASSTHROUGH_BEHAVIORS = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")


@of_the_api
def integration_response(reading: Reading, logical_id: str) -> None:
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


@of_the_api
def integration(reading: Reading, logical_id: str) -> None:
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


def api_key(reading: Reading, logical_id: str) -> None:
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


def usage_plan(reading: Reading, logical_id: str) -> None:
    """An AWS::ApiGateway::UsagePlan: the API stages its keys may call."""
    props = reading.properties(logical_id)
    reading.usage_plans[reading.resolver.physical_id(logical_id)] = [
        (str(stage.get("ApiId")), str(stage.get("Stage")))
        for stage in props.get("ApiStages") or []
        if isinstance(stage, dict)
    ]
    if props.get("Throttle") or props.get("Quota"):
        reading.unhonoured.append(f"{logical_id}: Throttle and Quota (no key is ever limited)")


def usage_plan_key(reading: Reading, logical_id: str) -> None:
    """An AWS::ApiGateway::UsagePlanKey: a key in a plan."""
    props = reading.properties(logical_id)
    reading.usage_plan_keys.append((str(props.get("KeyId")), str(props.get("UsagePlanId"))))
