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

import importlib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_gateway.aws.management_api.in_process import InProcessCallbacks
from local_gateway.functions.in_process import LocalApp


@dataclass(frozen=True, slots=True)
class LocalServices:
    """What the gateway offers an application's hook.

    ``callbacks``: the stage's @connections API in-process. ``invoke_async(name, event)``:
    Lambda's asynchronous Invoke of a template function (by name, partial or full ARN, as AWS
    finds it), returning once it is queued; raises FunctionNotFound, or GatewayClosing while
    the gateway stops. Both are the gateway's own, which may call everything;
    ``callbacks_for(logical_id)`` and ``invoke_async_for(logical_id)`` are the same faces as
    that function calls them, held to its role as its signed calls are (--iam): a call its
    role does not allow raises AccessDeniedException / InvokeAccessDenied in AWS's words.
    ``state_dir``: a folder of the gateway's that survives restarts. ``dynamodb_endpoint``:
    where the template's tables are, when a DynamoDB endpoint serves them, and
    ``dynamodb_client()`` a boto3 client for them there. ``options``: what
    the command line passed on for the hook (``serve --connections-store`` ...)."""

    callbacks: InProcessCallbacks
    invoke_async: Callable[[str, dict[str, Any]], None]
    callbacks_for: Callable[[str], InProcessCallbacks]
    invoke_async_for: Callable[[str], Callable[[str, dict[str, Any]], None]]
    state_dir: Path
    region: str
    stage: str
    callback_url: str
    dynamodb_endpoint: str | None = None
    dynamodb_client: Callable[[], Any] | None = None
    options: Mapping[str, str] = field(default_factory=dict)


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
