"""Route selection, as API Gateway does it for WebSocket messages. Pure.

Every form of route selection expression the WebSocket route documentation lists works:
``$request.body.action``, ``${request.body.action}``, composites such as
``${request.body.service}/${request.body.action}`` (a path that is not in the body resolves
to ""), static values (``action``), and ``\\$`` for a literal dollar sign. The value is
matched case-sensitively against the route keys; a body that is not JSON, or whose value
matches no route, goes to ``$default``; with no ``$default`` route there is no route (the
caller gets Forbidden). Selected values are stringified as the documentation shows (an
array becomes ``[item1, item2]``). Source: "Working with routes for WebSocket APIs in API
Gateway" and "API Gateway WebSocket API selection expressions".
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

DEFAULT_ROUTE = "$default"
_BODY = "request.body."
_UNBRACED = re.compile(r"\$request\.body\.([A-Za-z0-9_.\-]+)")


class SelectionExpressionError(ValueError):
    """A route selection expression the gateway cannot evaluate."""


def _path(variable: str, expression: str) -> tuple[str, ...]:
    if not variable.startswith(_BODY) or variable == _BODY:
        raise SelectionExpressionError(
            f"route selection expression {expression!r}: only $request.body paths select"
            f" WebSocket routes, not {variable!r}"
        )
    return tuple(variable[len(_BODY) :].split("."))


class RouteSelector:
    """A parsed route selection expression: literal text and body paths, in order."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.parts: list[str | tuple[str, ...]] = []
        literal: list[str] = []
        i = 0
        while i < len(expression):
            rest = expression[i:]
            if rest.startswith("\\$"):
                literal.append("$")
                i += 2
                continue
            if rest.startswith("${"):
                end = rest.find("}")
                if end < 0:
                    raise SelectionExpressionError(
                        f"route selection expression {expression!r}: '${{' without '}}'"
                    )
                self._literal(literal)
                self.parts.append(_path(rest[2:end], expression))
                i += end + 1
                continue
            if rest.startswith("$"):
                match = _UNBRACED.match(rest)
                if match is None:
                    raise SelectionExpressionError(
                        f"route selection expression {expression!r}: only $request.body"
                        " paths select WebSocket routes"
                    )
                self._literal(literal)
                self.parts.append(_path("request.body." + match.group(1), expression))
                i += match.end()
                continue
            literal.append(rest[0])
            i += 1
        self._literal(literal)

    def _literal(self, chars: list[str]) -> None:
        if chars:
            self.parts.append("".join(chars))
            chars.clear()

    def value(self, body: str | None) -> str | None:
        """The expression's value for a message body; None when the body is not JSON (which
        goes to $default whatever the expression)."""
        if body is None:
            return None
        try:
            document: object = json.loads(body)
        except (ValueError, RecursionError):
            return None
        return "".join(
            part if isinstance(part, str) else _stringify(_lookup(document, part))
            for part in self.parts
        )


def _lookup(document: object, path: tuple[str, ...]) -> object:
    value = document
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return ""
        value = value[key]
    return value


def _stringify(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_stringify(item) for item in value) + "]"
    return json.dumps(value, separators=(",", ":"))


def select_route(
    body: str | None, selector: RouteSelector, route_keys: Collection[str]
) -> str | None:
    """The route key for a message body, ``$default`` as fallback, None when nothing matches.
    A value naming ``$connect`` or ``$disconnect`` never selects them."""
    value = selector.value(body)
    if value is not None and value in route_keys and not value.startswith("$"):
        return value
    return DEFAULT_ROUTE if DEFAULT_ROUTE in route_keys else None
