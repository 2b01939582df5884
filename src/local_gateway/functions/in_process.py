"""Functions that an application runs in the gateway's process instead of in containers:
the handler type, and what an application's hook returns (a :class:`LocalApp`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from local_gateway.template.model import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]


class LocalApp(Protocol):
    """What a hook returns: in-process handlers for the functions it claims."""

    def handler(self, function: FunctionSpec) -> Handler | None:
        """A handler to run ``function`` in the gateway's process, or None to run it
        isolated, as Lambda runs it. Asked again after ``--watch`` reloads the code."""

    def web_routes(self) -> list[web.RouteDef]:
        """HTTP routes the gateway serves beside the stage (a web page, say); may be empty."""

    def close(self) -> None:
        """The gateway stops: release what the app holds (files, threads)."""
