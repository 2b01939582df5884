"""An invocation of an in-process handler (one an application's hook wired), as Lambda's
Python runtime runs it: on the gateway's thread pool within the function's Timeout, an
unhandled error logged with the function's own frames, a result marshalled to JSON of at
most 6 MB.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from local_gateway.functions.context import LambdaContext
from local_gateway.functions.in_process import Handler
from local_gateway.functions.invocation import Invocation, timed_out
from local_gateway.functions.isolated.containers import MAX_RESPONSE_BYTES
from local_gateway.template.model import FunctionSpec

log = logging.getLogger("local_gateway.lambda")


async def run_in_process(
    pool: Executor,
    spec: FunctionSpec,
    handler: Handler,
    event: dict[str, Any],
    request_id: str,
    region: str,
    closed: Callable[[], bool],
) -> Invocation:
    """Run ``handler`` on ``pool`` within the function's Timeout, answered as Lambda's Python
    runtime answers (``closed``: whether the gateway is stopping, its pool shut down)."""
    context = LambdaContext(spec.name, spec.memory_mb, spec.timeout, request_id, region)
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(spec.timeout):
            result = await loop.run_in_executor(pool, handler, event, context)
    except TimeoutError:
        return timed_out(request_id, spec)
    except RuntimeError as error:
        if closed():  # the pool was shut down under it
            return Invocation(request_id, error=str(error), error_type="Runtime.ExitError")
        return failed(request_id, spec, error)
    except Exception as error:
        return failed(request_id, spec, error)
    return marshalled(request_id, result)


# The frames of an in-process function's traceback that are the gateway's, not the
# function's: its own package, and the thread pool that ran the handler.
_NOT_THE_FUNCTIONS = (str(Path(__file__).resolve().parents[1]), "/concurrent/futures/")


def failed(request_id: str, spec: FunctionSpec, error: Exception) -> Invocation:
    """An unhandled error, logged and answered as Lambda's Python runtime does: the error's
    type and message, and the function's own frames (the gateway's are not its)."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not any(part in frame.filename for part in _NOT_THE_FUNCTIONS)
    ]
    trace = traceback.format_list(frames)
    log.error(
        "%s %s failed: [ERROR] %s: %s\nTraceback (most recent call last):\n%s",
        request_id,
        spec.label,
        type(error).__name__,
        error,
        "".join(trace).rstrip(),
    )
    return Invocation(
        request_id, error=str(error), error_type=type(error).__name__, stack_trace=tuple(trace)
    )


def marshalled(request_id: str, result: Any) -> Invocation:
    """An in-process result as the runtime hands it on: JSON, at most 6 MB (what a
    container's bootstrap checks too), else Lambda's error."""
    try:
        size = len(json.dumps(result))
    except (TypeError, ValueError) as error:
        message = f"Unable to marshal response: {error}"
        log.error("%s Runtime.MarshalError: %s", request_id, message)
        return Invocation(request_id, error=message, error_type="Runtime.MarshalError")
    if size > MAX_RESPONSE_BYTES:
        message = (
            f"Response payload size ({size} bytes) exceeded maximum allowed payload size"
            f" ({MAX_RESPONSE_BYTES} bytes)."
        )
        log.error("%s Function.ResponseSizeTooLarge: %s", request_id, message)
        return Invocation(request_id, error=message, error_type="Function.ResponseSizeTooLarge")
    return Invocation(request_id, result=result)
