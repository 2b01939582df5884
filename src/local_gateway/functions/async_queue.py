"""Lambda's asynchronous queue, as it runs an event: a throttled event is tried again
(an asynchronous Invoke, an integration's ``InvocationType: Event``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from local_gateway.functions.invocation import Invocation
from local_gateway.template.model import FunctionSpec

# Lambda's asynchronous queue: a throttled event goes back to the queue and is tried again,
# 1 s after the first attempt and up to 5 minutes apart, for up to 6 hours ("How Lambda
# handles errors and retries with asynchronous invocation", Lambda developer guide).
QUEUE_RETRY_FIRST, QUEUE_RETRY_MOST, QUEUE_MAX_AGE = 1.0, 300.0, 6 * 3600.0


def queued(
    invoke: Callable[[FunctionSpec, Any], Awaitable[Invocation]],
    first_wait: float = QUEUE_RETRY_FIRST,
) -> Callable[[FunctionSpec, Any], Awaitable[Invocation]]:
    """``invoke`` as Lambda's asynchronous queue runs an event: tried again while throttled."""

    async def run(spec: FunctionSpec, event: Any) -> Invocation:
        wait, started = first_wait, time.monotonic()
        while True:
            invocation = await invoke(spec, event)
            if not invocation.throttled or time.monotonic() - started > QUEUE_MAX_AGE:
                return invocation
            await asyncio.sleep(wait)
            wait = min(wait * 2, QUEUE_RETRY_MOST)

    return run
