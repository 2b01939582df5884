"""Run the template's functions as Lambda runs them, and log as Lambda logs.

Every function runs isolated, in containers of its own (``containers``), unless the
application's hook (``services``) hands the gateway an in-process handler for it; those run
on the gateway's thread pool (``pool``, ``in_process_run``), for speed, with the same
Timeout and log lines. Lambda's concurrency (``concurrency``) throttles what would run over
it; what an invocation comes to is ``invocation``'s.
Every invocation logs Lambda's START / END / REPORT lines (REPORT with ``Init Duration``
after a cold start).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from local_gateway.functions.code_package import CodePackageError, code_folder, inline_folder
from local_gateway.functions.concurrency import ACCOUNT_CONCURRENCY, Concurrency
from local_gateway.functions.context import new_request_id
from local_gateway.functions.credentials import SigningKey, issue_credentials
from local_gateway.functions.in_process import Handler, LocalApp
from local_gateway.functions.in_process_run import run_in_process
from local_gateway.functions.invocation import (
    Invocation,
    InvocationObserver,
    from_container,
    throttled,
)
from local_gateway.functions.isolated.containers import FunctionContainers
from local_gateway.functions.isolated.forking import ForkServer
from local_gateway.functions.isolated.interpreters import (
    Interpreter,
    find_interpreter,
    gateway_interpreter,
    retired_runtime_message,
)
from local_gateway.functions.isolated.runtime import lambda_environment, prepare_runtime_dir
from local_gateway.functions.pool import DEFAULT_WORKERS, ElasticPool
from local_gateway.template.model import FunctionSpec

log = logging.getLogger("local_gateway.lambda")


class FunctionLoadError(RuntimeError):
    """A function cannot run locally (not Python, no local code)."""


def check_runnable(spec: FunctionSpec) -> None:
    """FunctionLoadError when the gateway cannot run ``spec`` at all."""
    if not spec.runtime.startswith("python"):
        raise FunctionLoadError(
            f"{spec.logical_id}: runtime {spec.runtime!r} is not Python; the local gateway"
            " runs Python functions only"
        )
    retired = retired_runtime_message(spec.runtime)
    if retired is not None:
        raise FunctionLoadError(f"{spec.logical_id}: {retired}")
    if not spec.inline_code and (spec.code_dir is None or not spec.code_dir.exists()):
        raise FunctionLoadError(
            f"{spec.logical_id}: Code is not a local folder or .zip ({spec.code_dir})"
        )


@dataclass(slots=True)
class RunnerConfig:
    """How the functions run: where, with what around them."""

    region: str = "us-east-1"
    workers: int = DEFAULT_WORKERS
    max_containers: int = 10  # containers of one function at once
    state_dir: Path = Path(".serverless-chat")
    # What the gateway adds to a container's environment (its services' endpoints), asked
    # when the container starts; the function's own variables win over these, the Lambda
    # runtime's over both.
    environment: Callable[[FunctionSpec], Mapping[str, str]] | None = None
    # The account's Lambda concurrency (--chaos lambda-concurrency sets it lower).
    account_concurrency: int = ACCOUNT_CONCURRENCY


class FunctionRunner:
    """Invokes the template's functions: in-process when the hook wired them, else in
    containers. ``invoke`` never raises for what a function does."""

    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        app: LocalApp | None = None,
        config: RunnerConfig | None = None,
    ) -> None:
        config = config or RunnerConfig()
        # Absolute: a container's working folder is its code folder (Lambda's /var/task).
        self._config = replace(config, state_dir=config.state_dir.absolute())
        self._specs = dict(functions)
        self._app = app
        self._pool = ElasticPool(self._config.workers, name="lambda")
        self.concurrency = Concurrency(
            {lid: spec.reserved_concurrency for lid, spec in self._specs.items()},
            self._config.account_concurrency,
        )
        self._credentials = {logical_id: issue_credentials() for logical_id in self._specs}
        # Every signed callback and Invoke request looks its key up here.
        self._function_by_key = {
            credentials["AWS_ACCESS_KEY_ID"]: logical_id
            for logical_id, credentials in self._credentials.items()
        }
        self._runtime_dir: Path | None = None
        self._interpreters: dict[str, Interpreter] = {}  # by runtime, as found at start
        self._fork_servers: dict[Path, ForkServer] = {}  # by interpreter
        self._in_process: dict[str, Handler] = {}
        self._containers: dict[str, FunctionContainers] = {}
        self._retired: list[FunctionContainers] = []  # replaced by --watch, finishing work
        self._closed = False
        self.load_errors: dict[str, str] = {}
        self.observers: list[InvocationObserver] = []
        self._wire()

    def credentials(self, logical_id: str) -> dict[str, str]:
        """The function's credentials, as its containers get them in their environment."""
        return dict(self._credentials[logical_id])

    def signing_key(self, access_key_id: str) -> SigningKey | None:
        """The secret and session token of a function's credentials, for SigV4 checks."""
        logical_id = self._function_by_key.get(access_key_id)
        if logical_id is None:
            return None
        credentials = self._credentials[logical_id]
        return SigningKey(credentials["AWS_SECRET_ACCESS_KEY"], credentials["AWS_SESSION_TOKEN"])

    @property
    def isolated(self) -> list[FunctionSpec]:
        """The functions that run in containers."""
        return [self._specs[logical_id] for logical_id in self._containers]

    def function_for_key(self, access_key_id: str) -> str:
        """The logical id of the function whose containers carry this access key ("")."""
        return self._function_by_key.get(access_key_id, "")

    def placement(self, logical_id: str) -> str:
        """Where a function runs: "in-process", "isolated", or why it cannot run."""
        if logical_id in self._in_process:
            return "in-process"
        if logical_id in self._containers:
            return "isolated"
        return self.load_errors.get(logical_id, "not loaded")

    def _wire(self) -> None:
        for logical_id, spec in self._specs.items():
            try:
                check_runnable(spec)
                handler = self._app.handler(spec) if self._app is not None else None
                if handler is None:
                    self._containers[logical_id] = self._containers_for(spec)
            except Exception as error:  # the function cannot run, or the hook failed on it
                self.load_errors[logical_id] = str(error)
                log.error("%s", error)
                continue
            self.load_errors.pop(logical_id, None)
            if handler is not None:
                self._in_process[logical_id] = handler

    def _containers_for(self, spec: FunctionSpec) -> FunctionContainers:
        state = self._config.state_dir
        try:
            if spec.inline_code:
                code = inline_folder(spec.inline_code, state)
            else:
                assert spec.code_dir is not None
                code = code_folder(spec.code_dir, state)
            spec = replace(spec, code_dir=code)
            layers = [code_folder(layer, state) for layer in spec.layers]
        except (CodePackageError, OSError, zipfile.BadZipFile) as error:
            raise FunctionLoadError(f"{spec.logical_id}: {error}") from error
        for layer in spec.layers_not_local:
            log.warning(
                "%s: layer %s is not local code of this template: what it carries is missing here",
                spec.logical_id,
                layer,
            )
        if self._runtime_dir is None:
            self._runtime_dir = prepare_runtime_dir(self._config.state_dir / "runtime")
        credentials = self._credentials[spec.logical_id]
        services = self._config.environment
        interpreter = self.interpreter(spec.runtime)
        fork_server = self._fork_servers.get(interpreter.executable)
        if fork_server is None:
            fork_server = ForkServer(
                interpreter.executable, self._config.state_dir / "pycache", self._runtime_dir
            )
            self._fork_servers[interpreter.executable] = fork_server

        def environment() -> dict[str, str]:
            extra = services(spec) if services is not None else {}
            return lambda_environment(
                spec, self._config.region, credentials, extra, interpreter.executable
            )

        # Lambda extracts layers under /opt: /opt/python/lib/pythonX.Y/site-packages and
        # /opt/python come before the runtime's packages on sys.path.
        layer_paths = [
            str(path)
            for layer in layers
            for path in (
                layer / "python" / "lib" / spec.runtime / "site-packages",
                layer / "python",
            )
        ]
        return FunctionContainers(
            spec,
            environment,
            [*layer_paths, str(self._runtime_dir)],
            fork_server,
            self._config.max_containers,
        )

    def interpreter(self, runtime: str) -> Interpreter:
        """The Python a runtime's functions run on: one of its version when this machine
        has one (said once), else the gateway's own (and the difference said once)."""
        known = self._interpreters.get(runtime)
        if known is not None:
            return known
        found = find_interpreter(runtime)
        own = gateway_interpreter()
        if found is None:
            log.warning(
                "%s functions run on this gateway's Python %s: no %s found on PATH or under"
                " pyenv, so code that needs %s (or breaks on %s) is not checked here",
                runtime,
                own.full_version,
                runtime,
                runtime,
                own.full_version,
            )
            found = own
        else:
            log.info(
                "%s functions run on %s (Python %s)", runtime, found.executable, found.full_version
            )
        self._interpreters[runtime] = found
        return found

    @property
    def interpreters(self) -> dict[str, Interpreter]:
        """The Python each runtime of the isolated functions runs on."""
        return dict(self._interpreters)

    async def warm(self) -> None:
        """Start the fork servers now, so that the first cold start does not wait for
        theirs; one that fails says so, and the first container tries again."""
        results = await asyncio.gather(
            *(server.start() for server in list(self._fork_servers.values())),
            return_exceptions=True,
        )
        for server, error in zip(self._fork_servers.values(), results, strict=False):
            if isinstance(error, Exception):
                log.warning("a fork server did not start: %s", error)
            for name, why in server.not_preloaded.items():
                log.warning(
                    "%s: the runtime's %s (the one installed beside the gateway) does not"
                    " import on this Python (%s): its functions that import it fail here,"
                    " where Lambda's runtime carries a %s of its own",
                    server.executable,
                    name,
                    why,
                    name,
                )

    async def reload(self, forget: Callable[[], object]) -> int:
        """New code: retire every function's containers (idle ones stop now, busy ones when
        their invocation ends; the next invocation starts cold), call ``forget`` (drops the
        modules the in-process handlers were imported from), wire the functions again. A
        function the hook can no longer build keeps its old handler."""
        old = dict(self._in_process)
        retired = list(self._containers.values())
        self._containers.clear()
        await asyncio.gather(*(containers.retire() for containers in retired))
        self._retired.extend(retired)
        forget()
        self._in_process.clear()
        await asyncio.to_thread(self._wire)
        for logical_id, handler in old.items():
            if logical_id in self.load_errors:
                self._in_process[logical_id] = handler
                self._containers.pop(logical_id, None)
        return len(self._in_process) + len(self._containers)

    def in_process(self, logical_id: str) -> bool:
        """Whether the hook runs this function in the gateway's process (no cold start, no
        wait for a container: its own Timeout bounds it)."""
        return logical_id in self._in_process

    async def invoke(self, spec: FunctionSpec, event: dict[str, Any]) -> Invocation:
        """Run the function on ``event`` within its Timeout."""
        request_id = new_request_id()
        if self._closed:
            return Invocation(
                request_id, error="the gateway is stopping", error_type="Runtime.ExitError"
            )
        containers = self._containers.get(spec.logical_id)
        handler = self._in_process.get(spec.logical_id)
        if containers is None and handler is None:
            reason = self.load_errors.get(spec.logical_id, f"{spec.logical_id} is not loaded")
            return Invocation(request_id, error=reason, error_type="Runtime.InvalidEntrypoint")
        throttle = self.concurrency.acquire(spec.logical_id)
        if throttle is not None:  # Lambda throttles rather than queue: the function never runs
            return throttled(request_id, spec, throttle, self.concurrency.running(spec.logical_id))
        try:
            return await self._invoke(spec, event, request_id, containers, handler)
        finally:
            self.concurrency.release(spec.logical_id)

    async def _invoke(
        self,
        spec: FunctionSpec,
        event: dict[str, Any],
        request_id: str,
        containers: FunctionContainers | None,
        handler: Handler | None,
    ) -> Invocation:
        for observer in self.observers:
            observer.invoked(spec, request_id, event)
        log.info("START RequestId: %s Version: $LATEST Function: %s", request_id, spec.label)
        started = time.perf_counter()
        init_ms = None
        if containers is not None:
            outcome = await containers.invoke(event, request_id, _trace_id())
            init_ms = outcome.init_ms
            invocation = from_container(request_id, spec, outcome)
        else:
            assert handler is not None
            invocation = await run_in_process(
                self._pool,
                spec,
                handler,
                event,
                request_id,
                self._config.region,
                lambda: self._closed,
            )
        duration = (time.perf_counter() - started) * 1000 - (init_ms or 0.0)
        log.info("END RequestId: %s", request_id)
        init = f" Init Duration: {init_ms:.2f} ms" if init_ms is not None else ""
        status = " Status: timeout" if invocation.timed_out else ""
        log.info(
            "REPORT RequestId: %s Function: %s Duration: %.2f ms Billed Duration: %d ms "
            "Memory Size: %d MB%s%s",
            request_id,
            spec.label,
            duration,
            int(duration) + 1,
            spec.memory_mb,
            init,
            status,
        )
        invocation = replace(invocation, duration_ms=duration)
        for observer in self.observers:
            observer.answered(spec, invocation)
        return invocation

    async def shutdown(self) -> None:
        """Stop taking work; in-process invocations finish in their threads, every
        container is stopped (retired ones too)."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        containers = [*self._containers.values(), *self._retired]
        self._containers.clear()
        self._retired.clear()
        await asyncio.gather(*(c.stop() for c in containers))
        servers = list(self._fork_servers.values())
        self._fork_servers.clear()
        await asyncio.gather(*(server.stop() for server in servers))


def _trace_id() -> str:
    """An X-Ray trace header, as Lambda sets _X_AMZN_TRACE_ID for each invocation."""
    epoch = f"{int(time.time()):08x}"
    return f"Root=1-{epoch}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"
