"""The routes `serve` lists at start: what answers each route, and where its function runs.

Pure: it reads the API's read model and asks ``placement`` where a function runs ("in-process",
"isolated", or why it cannot run), so the listing is tested without starting a gateway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local_gateway import RouteSpec, WebSocketApiSpec


def route_lines(api: WebSocketApiSpec, placement: Callable[[str], str], hook: str) -> list[str]:
    """One line a route, sorted by key (as serverless-offline lists its routes at start)."""
    lines = ["routes:"]
    width = max((len(key) for key in api.routes), default=0)
    for key, route in sorted(api.routes.items()):
        lines.append(f"  {key:<{width}}  {_answered_by(route, placement, hook)}")
    return lines


def _answered_by(route: RouteSpec, placement: Callable[[str], str], hook: str) -> str:
    integration = route.integration
    if route.function is None:
        if integration is None:
            # None that runs here: an integration not emulated, named at start with why.
            return "(no integration the gateway runs: the caller gets an error)"
        if integration.kind == "MOCK":
            # A MOCK integration is API Gateway's own answer: no function, no error.
            return "MOCK integration (API Gateway answers, no function)"
        if integration.kind in ("HTTP", "HTTP_PROXY"):
            return f"{integration.kind} integration to {integration.uri}"
        return f"{integration.kind} integration with no function: the caller gets an error"
    function = route.function
    where = placement(function.logical_id)
    if where == "in-process":
        return f"{function.described}: in-process (hook {hook})"
    if where == "isolated":
        return f"{function.described}: isolated"
    # Why it cannot run; the reason names the function itself, which this line already does.
    reason = where.removeprefix(f"{function.logical_id}: ")
    return f"{function.described}: cannot run here, so its caller gets an error ({reason})"
