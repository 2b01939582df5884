"""The seam between the local gateway and an application that wires its own functions.

The gateway runs every function of a template as Lambda runs it, each in an environment of
its own (``containers``). An application may instead run some of its functions in the
gateway's process, wired onto services the gateway offers, to keep the fast path fast: it
names a *hook* — ``module:callable`` — in the template's ``Metadata``::

    Metadata:
      LocalGateway:
        Hook: serverless_chat.local:chat_app

or with ``serve --hook module:callable`` (``--no-hook`` ignores it). The gateway imports the
hook's module (with the template's folder on ``sys.path``), calls it once with
:class:`LocalServices`, and gets a :class:`LocalApp` back, whose ``handler`` it asks, for each
function of the template, for an in-process handler; a function it declines runs isolated.

The gateway imports nothing of any application: the services speak API Gateway's and
Lambda's vocabulary (``local_gateway.errors``), and the hook adapts them to its own ports.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from local_gateway.aws.management_api.model import ConnectionDetails, ConnectionRegistry
from local_gateway.errors import ManagementApiError
from local_gateway.template.model import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]

# How long a worker waits for the loop to carry out one callback call.
CALL_TIMEOUT_SECONDS = 10.0


class InProcessCallbacks:
    """The @connections API of the gateway's stage, called from worker threads without HTTP.

    Each method raises what the HTTP API would answer, as a
    :class:`~local_gateway.errors.ManagementApiError` (GoneException, ...)."""

    def __init__(self, registry: ConnectionRegistry, loop: asyncio.AbstractEventLoop) -> None:
        self._registry = registry
        self._loop = loop
        self._loop_thread = threading.get_ident() if loop.is_running() else None

    def _check_thread(self) -> None:
        if self._loop_thread == threading.get_ident():
            raise RuntimeError("InProcessCallbacks is for worker threads, not the event loop")

    def _call_latency(self) -> None:
        """--callback-latency: each call costs what a call to AWS costs (post_many's posts
        overlap, as parallel calls would)."""
        if self._registry.latency:
            time.sleep(self._registry.latency)

    def post(self, connection_id: str, data: bytes) -> None:
        """PostToConnection: one frame to the client."""
        self._check_thread()
        self._call_latency()
        future = asyncio.run_coroutine_threadsafe(
            self._registry.post(connection_id, data), self._loop
        )
        future.result(CALL_TIMEOUT_SECONDS)

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, ManagementApiError]:
        """Many PostToConnection calls in one hop to the loop; the refusals by connection id.

        As on AWS, a post succeeds once the gateway has taken it, not once the client has
        read it: the verdicts (gone, too large, buffer full) are given here, from the worker
        thread, and the frames are handed to the loop without waiting for them to be
        written. With a simulated callback latency the caller waits for the posts, as it
        would on AWS."""
        self._check_thread()
        if self._registry.latency:
            future = asyncio.run_coroutine_threadsafe(
                self._registry.post_many(deliveries), self._loop
            )
            return future.result(CALL_TIMEOUT_SECONDS + len(deliveries) / 1000)
        failures, accepted = self._registry.accept(deliveries)
        if accepted:
            self._loop.call_soon_threadsafe(self._registry.send_accepted, accepted)
        return failures

    def info(self, connection_id: str) -> ConnectionDetails:
        """GetConnection."""
        self._check_thread()
        self._call_latency()

        async def info() -> ConnectionDetails:
            return self._registry.info(connection_id)

        return asyncio.run_coroutine_threadsafe(info(), self._loop).result(CALL_TIMEOUT_SECONDS)

    def close(self, connection_id: str) -> None:
        """DeleteConnection."""
        self._check_thread()
        self._call_latency()
        future = asyncio.run_coroutine_threadsafe(self._registry.close(connection_id), self._loop)
        future.result(CALL_TIMEOUT_SECONDS)


@dataclass(frozen=True, slots=True)
class LocalServices:
    """What the gateway offers an application's hook.

    ``callbacks``: the stage's @connections API in-process. ``invoke_async(name, event)``:
    Lambda's asynchronous Invoke of a template function (by name or logical id), returning
    once it is queued; raises FunctionNotFound, or GatewayClosing while the gateway stops.
    ``state_dir``: a folder of the gateway's that survives restarts. ``dynamodb_endpoint``:
    where the template's tables are, when a DynamoDB endpoint serves them. ``options``: what
    the command line passed on for the hook (``serve --connections-store`` ...)."""

    callbacks: InProcessCallbacks
    invoke_async: Callable[[str, dict[str, Any]], None]
    state_dir: Path
    region: str
    stage: str
    callback_url: str
    dynamodb_endpoint: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)


class LocalApp(Protocol):
    """What a hook returns: in-process handlers for the functions it claims."""

    def handler(self, function: FunctionSpec) -> Handler | None:
        """A handler to run ``function`` in the gateway's process, or None to run it
        isolated, as Lambda runs it. Asked again after ``--watch`` reloads the code."""

    def web_routes(self) -> list[web.RouteDef]:
        """HTTP routes the gateway serves beside the stage (a web page, say); may be empty."""

    def close(self) -> None:
        """The gateway stops: release what the app holds (files, threads)."""


Hook = Callable[[LocalServices], LocalApp]


class HookError(ValueError):
    """A hook cannot be loaded: the sentence says which and why."""


def load_hook(reference: str, template_dir: Path) -> Hook:
    """The callable that ``module:attribute`` names, imported with the template's folder on
    ``sys.path``; HookError when there is none."""
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise HookError(f"hook {reference!r} is not module:callable")
    folder = str(template_dir.resolve())
    if folder not in sys.path:
        sys.path.append(folder)
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise HookError(f"hook {reference!r}: cannot import {module_name}: {error}") from error
    hook = getattr(module, attribute, None)
    if not callable(hook):
        raise HookError(f"hook {reference!r}: {module_name} has no callable {attribute!r}")
    return hook  # type: ignore[no-any-return]
