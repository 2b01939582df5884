"""Mapping templates: Velocity (VTL), rendered by airspeed, with API Gateway's variables.

API Gateway renders a WebSocket integration's request and response templates with
``$input`` (``body``, ``json(path)``, ``path(path)``), ``$context`` (the event's
requestContext: connectionId, routeKey, eventType, requestId, messageId, domainName, stage,
apiId, identity.sourceIp, authorizer.*, ...), ``$stageVariables`` and ``$util``
(``escapeJavaScript``, ``parseJson``, ``urlEncode``, ``urlDecode``, ``base64Encode``,
``base64Decode``). A variable that is not set renders as "" ("WebSocket API mapping
template reference for API Gateway";
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html,
and "Data transformations for WebSocket APIs in API Gateway").

What airspeed (0.7) cannot do that API Gateway's Velocity can: ``#foreach`` over a map's
``entrySet()``, Java string methods beyond those Python's ``str`` shares (``matches``,
``replaceAll`` with Java regexes, ``length()`` is there as ``len`` only), ``$input.params()``
and ``$util.escapeJavaScript`` on non-strings; JSONPath is the subset ``$``, ``.name``,
``['name']`` and ``[index]`` (no filters, wildcards or slices). A template airspeed cannot
parse is refused at start (MappingTemplateError), not when a message first needs it.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import airspeed

from local_gateway.template.cfn_yaml import TemplateError


class MappingTemplateError(TemplateError):
    """A mapping template the gateway cannot parse (said at start, with where it is)."""


def compile_template(source: str, where: str) -> airspeed.Template:
    """The template, parsed now so that a bad one stops the start."""
    template = airspeed.Template(source)
    try:
        template.ensure_compiled()
    except airspeed.TemplateError as error:
        raise MappingTemplateError(
            f"{where}: a mapping template Velocity (airspeed) cannot parse: {error}"
        ) from error
    return template


class _Unset(str):
    """An unset variable: renders as "", and so does anything below it."""

    def __getattr__(self, name: str) -> _Unset:
        if name.startswith("__"):
            raise AttributeError(name)
        return _UNSET

    def __getitem__(self, key: Any) -> _Unset:
        return _UNSET


_UNSET = _Unset("")


class _Blank(dict[str, Any]):
    """A map whose missing entries render as "" (API Gateway's unset variables)."""

    def __missing__(self, key: str) -> _Unset:
        return _UNSET

    def __contains__(self, key: object) -> bool:
        return True


def _blank(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _Blank({str(k): _blank(v) for k, v in value.items()})
    return value


_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def json_path(document: Any, path: str) -> Any:
    """The value at a JSONPath (``$``, ``.name``, ``['name']``, ``[i]``); None if absent."""
    if not path.startswith("$"):
        raise MappingTemplateError(f"JSONPath {path!r} must start with $")
    value = document
    position = 1
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None:
            raise MappingTemplateError(f"JSONPath {path!r}: only $, .name, ['name'], [i]")
        name, index, quoted, double = step.groups()
        position = step.end()
        key: str | int = int(index) if index is not None else (name or quoted or double or "")
        in_list = isinstance(key, int) and isinstance(value, list) and key < len(value)
        if not (in_list or (isinstance(key, str) and isinstance(value, dict) and key in value)):
            return None
        value = value[key]
    return value


class Input:
    """``$input``: the route request's body."""

    def __init__(self, body: str) -> None:
        self.body = body

    def _document(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def json(self, path: str) -> str:
        """The value at ``path`` as JSON text."""
        return json.dumps(json_path(self._document(), path))

    def path(self, path: str) -> Any:
        """The value at ``path``, as an object the template can navigate."""
        return _blank(json_path(self._document(), path))


_JS_ESCAPES = {
    '"': '\\"',
    "'": "\\'",
    "\\": "\\\\",
    "/": "\\/",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


class Util:
    """``$util``."""

    @staticmethod
    def escapeJavaScript(text: Any) -> str:  # (API Gateway's names)
        return "".join(_JS_ESCAPES.get(c, c) for c in str(text))

    @staticmethod
    def parseJson(text: str) -> Any:
        return _blank(json.loads(text))

    @staticmethod
    def urlEncode(text: str) -> str:
        return urllib.parse.quote_plus(str(text))

    @staticmethod
    def urlDecode(text: str) -> str:
        return urllib.parse.unquote_plus(str(text))

    @staticmethod
    def base64Encode(text: str) -> str:
        return base64.b64encode(str(text).encode()).decode()

    @staticmethod
    def base64Decode(text: str) -> str:
        return base64.b64decode(str(text)).decode()


def render(
    template: airspeed.Template,
    body: str,
    context: Mapping[str, Any],
    stage_variables: Mapping[str, str] | None = None,
) -> str:
    """The template's output for a request (or integration response) body."""
    namespace = {
        "input": Input(body),
        "context": _blank(context),
        "stageVariables": _blank(stage_variables or {}),
        "util": Util(),
    }
    return str(template.merge(namespace))
