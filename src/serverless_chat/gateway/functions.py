"""Run the template's Python functions in-process, in a worker pool, with Lambda's rules.

Each function is loaded once (its cold start): its Code folder goes on
sys.path and its handler module is imported. A module that offers
``build_handler(dependencies)`` (ours do) gets the gateway's local adapters
injected; any other handler is called as Lambda would call it, with the
function's environment variables applied to os.environ. Every invocation
logs Lambda's START / END / REPORT lines and is bounded by the function's
Timeout.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serverless_chat.gateway.events import new_request_id
from serverless_chat.gateway.lambda_context import LambdaContext
from serverless_chat.gateway.pool import ElasticPool
from serverless_chat.gateway.template import FunctionSpec

log = logging.getLogger("serverless_chat.lambda")

Handler = Callable[[dict[str, Any], Any], Any]


class FunctionLoadError(RuntimeError):
    """A function cannot run locally (not Python, no local code, import failure)."""


@dataclass(frozen=True, slots=True)
class Invocation:
    """The outcome of one invocation: a result, or an error (timed_out tells which kind)."""

    request_id: str
    result: Any = None
    error: str | None = None
    timed_out: bool = False
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status_code(self) -> int:
        """The proxy response's statusCode; 200 when the function returned no status."""
        if isinstance(self.result, dict) and "statusCode" in self.result:
            try:
                return int(self.result["statusCode"])
            except (TypeError, ValueError):
                return 502
        return 200

    @property
    def body(self) -> str | None:
        """The proxy response's body, or the return value itself when it is a string."""
        if isinstance(self.result, dict):
            body = self.result.get("body")
            return None if body is None else str(body)
        return self.result if isinstance(self.result, str) else None


# Modules the gateway itself runs on: --watch never reloads them (their classes and
# errors must stay the ones the gateway's adapters use). Editing them needs a restart.
HOST_MODULES = (
    "serverless_chat.gateway",
    "serverless_chat.adapters",
    "serverless_chat.errors",
    "serverless_chat.ports",
    "serverless_chat.site",
    "serverless_chat.cli",
)


def forget_modules(folders: set[Path]) -> list[str]:
    """Drop from sys.modules what was imported from the folders (but the host's modules),
    so the next import reads the files again."""
    forgotten = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file or name == "serverless_chat" or name.startswith(HOST_MODULES):
            continue
        if any(Path(file).resolve().is_relative_to(folder) for folder in folders):
            del sys.modules[name]
            forgotten.append(name)
    importlib.invalidate_caches()
    return forgotten


def load_handler(
    spec: FunctionSpec,
    local_dependencies: Callable[[FunctionSpec], Any] | None,
    host_environment: Mapping[str, str] | None = None,
) -> Handler:
    """Import the function's handler from its Code folder (the cold start)."""
    if not spec.runtime.startswith("python"):
        raise FunctionLoadError(f"{spec.logical_id}: runtime {spec.runtime!r} is not Python")
    if spec.code_dir is None or not spec.code_dir.is_dir():
        raise FunctionLoadError(f"{spec.logical_id}: Code is not a local folder ({spec.code_dir})")
    if "." not in spec.handler:
        raise FunctionLoadError(
            f"{spec.logical_id}: Handler {spec.handler!r} is not module.function"
        )
    code_dir = str(spec.code_dir)
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
    try:
        module = importlib.import_module(spec.module_name)
    except Exception as error:
        raise FunctionLoadError(
            f"{spec.logical_id}: cannot import {spec.module_name}: {error}"
        ) from error
    build = getattr(module, "build_handler", None)
    if callable(build) and local_dependencies is not None:
        handler: Handler = build(local_dependencies(spec))
        return handler
    os.environ.update({**(host_environment or {}), **spec.environment})
    entry = getattr(module, spec.attribute, None)
    if not callable(entry):
        raise FunctionLoadError(f"{spec.logical_id}: {spec.handler} is not a callable")
    return entry  # type: ignore[no-any-return]


class FunctionRunner:
    """Loads every function once and invokes them on a shared pool of threads (one while it
    keeps up: gateway/pool.py)."""

    def __init__(
        self,
        functions: dict[str, FunctionSpec],
        local_dependencies: Callable[[FunctionSpec], Any] | None = None,
        workers: int = 64,
        region: str = "us-east-1",
        host_environment: Mapping[str, str] | None = None,
    ) -> None:
        self._pool = ElasticPool(workers, name="lambda")
        self._region = region
        self._specs = functions
        self._local = local_dependencies
        self._environment = dict(host_environment or {})
        self._handlers: dict[str, Handler] = {}
        self.load_errors: dict[str, str] = {}
        self._load_all()

    def _load_all(self) -> int:
        loaded = 0
        for logical_id, spec in self._specs.items():
            try:
                self._handlers[logical_id] = load_handler(spec, self._local, self._environment)
            except FunctionLoadError as error:
                self.load_errors[logical_id] = str(error)
                log.error("%s", error)
            else:
                self.load_errors.pop(logical_id, None)
                loaded += 1
        return loaded

    def reload(self) -> int:
        """Import every function's code again (a new cold start); open connections stay.
        A function that no longer loads keeps its previous handler, and says why."""
        folders = {s.code_dir for s in self._specs.values() if s.code_dir is not None}
        forget_modules(folders)
        return self._load_all()

    async def invoke(self, spec: FunctionSpec, event: dict[str, Any]) -> Invocation:
        """Run the function on ``event`` in the pool, within its Timeout."""
        request_id = new_request_id()
        handler = self._handlers.get(spec.logical_id)
        if handler is None:
            reason = self.load_errors.get(spec.logical_id, f"{spec.logical_id} is not loaded")
            return Invocation(request_id, error=reason)
        context = LambdaContext(spec.name, spec.memory_mb, spec.timeout, request_id, self._region)
        log.info("START RequestId: %s Version: $LATEST Function: %s", request_id, spec.name)
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(spec.timeout):
                result = await loop.run_in_executor(self._pool, handler, event, context)
            outcome = Invocation(request_id, result=result)
        except TimeoutError:
            log.error("%s Task timed out after %.2f seconds", request_id, spec.timeout)
            outcome = Invocation(request_id, error="Task timed out", timed_out=True)
        except Exception as error:
            log.exception("%s %s failed", request_id, spec.name)
            outcome = Invocation(request_id, error=f"{type(error).__name__}: {error}")
        duration = (time.perf_counter() - started) * 1000
        log.info("END RequestId: %s", request_id)
        log.info(
            "REPORT RequestId: %s Function: %s Duration: %.2f ms Billed Duration: %d ms "
            "Memory Size: %d MB",
            request_id,
            spec.name,
            duration,
            int(duration) + 1,
            spec.memory_mb,
        )
        return Invocation(
            outcome.request_id, outcome.result, outcome.error, outcome.timed_out, duration
        )

    def shutdown(self) -> None:
        """Stop taking work; running invocations finish in their threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)
