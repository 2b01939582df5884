"""Route selection, as API Gateway does it for WebSocket messages. Pure.

The expression ``$request.body.<path>`` names a field of the JSON body. The
selected value is matched case-sensitively against the route keys; a body that
is not JSON, lacks the field, or matches no route goes to ``$default``; with
no ``$default`` route there is no route (the caller gets Forbidden).
"""

from __future__ import annotations

import json
from collections.abc import Collection

DEFAULT_ROUTE = "$default"
_PREFIX = "$request.body."


def selection_path(expression: str) -> list[str]:
    """The JSON path an expression like ``$request.body.action`` selects."""
    if not expression.startswith(_PREFIX) or expression == _PREFIX:
        raise ValueError(f"unsupported route selection expression {expression!r}")
    return expression[len(_PREFIX) :].split(".")


def selected_value(body: str | bytes | None, path: list[str]) -> str | None:
    """The string at ``path`` in the JSON body, or None when there is none."""
    if body is None:
        return None
    try:
        value: object = json.loads(body)
    except (ValueError, RecursionError):
        return None
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return None
    return str(value)


def select_route(
    body: str | bytes | None, path: list[str], route_keys: Collection[str]
) -> str | None:
    """The route key for a message body, ``$default`` as fallback, None when nothing matches."""
    value = selected_value(body, path)
    if value is not None and value in route_keys and not value.startswith("$"):
        return value
    return DEFAULT_ROUTE if DEFAULT_ROUTE in route_keys else None
