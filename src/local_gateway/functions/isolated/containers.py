"""Functions run as Lambda runs them: each in a process of its own, a "container".

A container is a Python process started for one function (forked from a warm parent of
its Python version, ``forking``), with that function's environment only (its template
variables and the Lambda runtime's, never the gateway's), its Code folder first on
``sys.path`` and none of the gateway's packages but the runtime's boto3 (``bootstrap``).
Its handler module is imported when it starts (the cold start, timed as ``Init
Duration``), then it serves one invocation at a time and stays warm. Between invocations
it is frozen (SIGSTOP to its whole session), as Lambda freezes an execution environment
once its invocation has returned ("Lambda execution environment lifecycle": threads and
work left running do not run until the next invocation thaws it, SIGCONT).
Concurrent invocations of a function start more containers, up to a ceiling, as Lambda
scales out; beyond it an invocation waits for a container to be free.

As on Lambda: a function that fails to import answers every invocation with its init error
(each tries the import again, in a new container); a function that runs past its Timeout
is stopped and its container thrown away (the next invocation starts cold); a container
that exits during an invocation answers ``Runtime.ExitError``. What a function prints is
logged under its name.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from local_gateway.functions.isolated.forking import ContainerProcess, ForkServerError, Launcher
from local_gateway.template.intrinsics import function_arn
from local_gateway.template.model import FunctionSpec

log = logging.getLogger("local_gateway.lambda")

# Lambda's init phase may take 10 s before the first invocation is refused.
INIT_TIMEOUT_SECONDS = 10.0
# The Invoke API's cap on a synchronous response (the figure Lambda's error names), and a
# line of the protocol that can carry one; the bootstrap checks the exact size.
MAX_RESPONSE_BYTES = 6_291_556
MAX_ANSWER_LINE = 2 * MAX_RESPONSE_BYTES + 1024
MAX_LOG_LINE = 256 * 1024


@dataclass(frozen=True, slots=True)
class ContainerOutcome:
    """What one invocation in a container gave: a result, or Lambda's error body."""

    result: Any = None
    error: Mapping[str, Any] | None = None
    timed_out: bool = False
    init_ms: float | None = None  # the cold start's init, when this invocation had one


class ContainerError(Exception):
    """A container died or broke the protocol."""


class Container:
    """One process running one function; one invocation at a time. The process leads a
    session of its own, so that the terminal's Ctrl-C reaches the gateway alone (which then
    stops its containers in order), and stopping it ends whatever it started too."""

    def __init__(self, spec: FunctionSpec, process: ContainerProcess) -> None:
        self.spec = spec
        self._process = process
        self._logs: asyncio.Task[None] | None = None
        self.frozen = False

    @classmethod
    async def start(
        cls,
        spec: FunctionSpec,
        environment: Mapping[str, str],
        extra_paths: list[str],
        launcher: Launcher,
    ) -> Container:
        arn = function_arn(environment.get("AWS_REGION", "us-east-1"), spec.name)
        args = [spec.handler, str(spec.code_dir), json.dumps(extra_paths), arn]
        process = await launcher(args, environment, MAX_ANSWER_LINE)
        container = cls(spec, process)
        container._logs = asyncio.create_task(container._relay_logs())
        return container

    @property
    def alive(self) -> bool:
        return self._process.returncode is None

    async def _relay_logs(self) -> None:
        """Every line the function writes, logged under its name (a line over
        MAX_LOG_LINE is cut there, as CloudWatch cuts a log event)."""
        stream = self._process.stderr
        assert stream is not None
        pending = b""
        while chunk := await stream.read(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if len(pending) > MAX_LOG_LINE:
                lines.append(pending[:MAX_LOG_LINE] + b" [cut]")
                pending = b""
            for line in lines:
                log.info("[%s] %s", self.spec.label, line.decode("utf-8", "replace"))
        if pending:
            log.info("[%s] %s", self.spec.label, pending.decode("utf-8", "replace"))

    async def _read(self) -> dict[str, Any]:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            line = await stdout.readline()
        except (ValueError, asyncio.LimitOverrunError) as error:
            raise ResponseTooLarge() from error
        if not line:
            status = await self._process.wait()
            raise ContainerError(f"Runtime exited with error: exit status {status}")
        message: dict[str, Any] = json.loads(line)
        return message

    async def ready(self) -> Mapping[str, Any] | None:
        """Wait for the import: None when the handler is ready, else the init error."""
        message = await self._read()
        return message.get("initError")

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signum)

    def freeze(self) -> None:
        """Stop the process and all it started (SIGSTOP): nothing of it runs until
        ``thaw``, as Lambda freezes an environment between invocations."""
        self._signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        """Resume what ``freeze`` stopped (SIGCONT)."""
        self._signal(signal.SIGCONT)
        self.frozen = False

    async def invoke(self, request: Mapping[str, Any]) -> dict[str, Any]:
        stdin = self._process.stdin
        assert stdin is not None
        self.thaw()
        try:
            stdin.write(json.dumps(request).encode() + b"\n")
            await stdin.drain()
        except (ConnectionError, BrokenPipeError) as error:
            raise ContainerError("Runtime exited before the invocation") from error
        return await self._read()

    async def stop(self) -> None:
        """End the process and all it started (at once: Lambda gives a container no goodbye
        either); its last log lines are relayed, for a second at most. A frozen process is
        killed as it is, and continued so that nothing of its session stays stopped."""
        self._signal(signal.SIGKILL)
        self._signal(signal.SIGCONT)
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        await self._process.wait()
        if self._logs is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._logs), 1.0)
            except (TimeoutError, asyncio.CancelledError):
                self._logs.cancel()
            except Exception as error:  # the relay itself failed: say so, stop anyway
                log.warning("[%s] log relay failed: %s", self.spec.label, error)


class ResponseTooLarge(ContainerError):
    """The function's answer is over what the Invoke API carries."""


class FunctionContainers:
    """The warm containers of one function, started as invocations need them.

    Every container is known from the moment it starts until it is stopped, so ``stop``
    ends them all, those still importing too; ``retire`` (new code under ``--watch``)
    stops the idle ones now and each busy one when its invocation ends, as Lambda lets
    running invocations finish on the old code."""

    def __init__(
        self,
        spec: FunctionSpec,
        environment: Callable[[], Mapping[str, str]],
        extra_paths: list[str],
        launcher: Launcher,
        max_containers: int,
    ) -> None:
        self.spec = spec
        self._environment = environment
        self._extra_paths = extra_paths
        self._launcher = launcher
        self._idle: list[Container] = []
        self._live: set[Container] = set()  # started and not stopped: idle, busy, importing
        self._slots = asyncio.Semaphore(max_containers)
        self._max = max_containers
        self._warned_full = False
        self._closed = False  # stopped: nothing more starts
        self._retired = False  # replaced: what finishes is stopped, nothing more starts

    async def invoke(
        self, event: Mapping[str, Any], request_id: str, trace_id: str
    ) -> ContainerOutcome:
        if self._slots.locked() and not self._warned_full:
            self._warned_full = True
            log.warning(
                "%s: %d invocations at once; more wait for a free container",
                self.spec.name,
                self._max,
            )
        async with self._slots:
            if self._closed or self._retired:
                return ContainerOutcome(
                    error=_fault("the gateway is stopping", "Runtime.ExitError")
                )
            return await self._invoke(event, request_id, trace_id)

    async def _start(self) -> tuple[Container, Mapping[str, Any] | None, float]:
        started = time.perf_counter()
        try:
            container = await Container.start(
                self.spec, self._environment(), self._extra_paths, self._launcher
            )
        except ForkServerError as error:
            raise ContainerError(str(error)) from error
        self._live.add(container)
        if self._closed:
            await self._stop(container)
            raise ContainerError("the gateway is stopping")
        try:
            async with asyncio.timeout(INIT_TIMEOUT_SECONDS):
                init_error = await container.ready()
        except (TimeoutError, ContainerError) as error:
            await self._stop(container)
            reason = "Task timed out" if isinstance(error, TimeoutError) else str(error)
            raise ContainerError(reason) from error
        return container, init_error, (time.perf_counter() - started) * 1000

    async def _invoke(
        self, event: Mapping[str, Any], request_id: str, trace_id: str
    ) -> ContainerOutcome:
        init_ms = None
        container = None
        while self._idle:
            candidate = self._idle.pop()
            if candidate.alive:
                container = candidate
                break
            await self._stop(candidate)  # it died while idle: a new one starts, as on Lambda
        if container is None:
            try:
                container, init_error, init_ms = await self._start()
            except ContainerError as error:
                return ContainerOutcome(error=_fault(str(error), "Runtime.InitError"))
            if init_error is not None:
                await self._stop(container)
                return ContainerOutcome(error=init_error, init_ms=init_ms)
        request = {
            "event": event,
            "requestId": request_id,
            "traceId": trace_id,
            "deadlineMs": int(time.time() * 1000 + self.spec.timeout * 1000),
        }
        try:
            async with asyncio.timeout(self.spec.timeout):
                answer = await container.invoke(request)
        except TimeoutError:
            await self._stop(container)
            return ContainerOutcome(timed_out=True, init_ms=init_ms)
        except ResponseTooLarge:
            await self._stop(container)
            return ContainerOutcome(error=_too_large(), init_ms=init_ms)
        except ContainerError as error:
            await self._stop(container)
            return ContainerOutcome(error=_fault(str(error), "Runtime.ExitError"), init_ms=init_ms)
        except BaseException:  # cancelled (the caller went away): the container is unknown
            await asyncio.shield(self._stop(container))
            raise
        if self._closed or self._retired:
            await self._stop(container)
        else:
            container.freeze()  # the invocation has returned: nothing of it runs on
            self._idle.append(container)
        if "error" in answer:
            return ContainerOutcome(error=answer["error"], init_ms=init_ms)
        return ContainerOutcome(result=answer.get("result"), init_ms=init_ms)

    async def _stop(self, container: Container) -> None:
        self._live.discard(container)
        await container.stop()

    async def retire(self) -> None:
        """New code replaces this function's: idle containers stop now, busy ones when
        their invocation ends."""
        self._retired = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._stop(c) for c in idle))

    async def stop(self) -> None:
        """Stop every container, warm, busy or importing; nothing more starts."""
        self._closed = True
        self._idle.clear()
        await asyncio.gather(*(self._stop(c) for c in list(self._live)))


def _fault(message: str, error_type: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": []}


def _too_large() -> dict[str, Any]:
    return _fault(
        f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES}"
        " bytes).",
        "Function.ResponseSizeTooLarge",
    )
