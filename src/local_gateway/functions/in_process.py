"""Functions that an application runs in the gateway's process instead of in containers:
the handler type, what an application's hook returns (a :class:`LocalApp`), and the
modules their code was imported from forgotten when --watch sees it change."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
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


def forget_modules(folders: set[Path], keep: set[str]) -> list[str]:
    """Drop from sys.modules what was imported from the folders (but the modules in
    ``keep``: the gateway's and its hook's), so the next import reads the files again."""
    forgotten = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file or name in keep:
            continue
        if any(Path(file).resolve().is_relative_to(folder) for folder in folders):
            del sys.modules[name]
            forgotten.append(name)
    importlib.invalidate_caches()
    return forgotten
