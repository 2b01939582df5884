"""The ceiling probe's hook: its one function, in the gateway's process, on its callbacks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from local_gateway import FunctionSpec, LocalServices


class CeilingApp:
    def __init__(self, services: LocalServices) -> None:
        self._services = services

    def handler(self, function: FunctionSpec) -> Any:
        folder = str(Path(__file__).parent / "functions")
        if folder not in sys.path:
            sys.path.insert(0, folder)
        import broadcast

        return broadcast.build_handler(self._services.callbacks.post_many)

    def web_routes(self) -> list[web.RouteDef]:
        return []

    def close(self) -> None:
        pass


def app(services: LocalServices) -> CeilingApp:
    return CeilingApp(services)
