"""What one invocation comes to, as Lambda answers it: a result, a function's error, a
timeout, or a throttle (the function never ran); and who is told of each invocation
(:class:`InvocationObserver`). The errors are logged as Lambda logs them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from local_gateway.functions.concurrency import Throttle
from local_gateway.functions.isolated.containers import ContainerOutcome
from local_gateway.template.model import FunctionSpec

log = logging.getLogger("local_gateway.lambda")

THROTTLED = "TooManyRequestsException"


@dataclass(frozen=True, slots=True)
class Invocation:
    """The outcome of one invocation: a result, or an error (timed_out tells which kind)."""

    request_id: str
    result: Any = None
    error: str | None = None
    timed_out: bool = False
    duration_ms: float = 0.0
    error_type: str = ""
    stack_trace: tuple[str, ...] = ()

    @property
    def error_body(self) -> dict[str, Any]:
        """Lambda's answer for a function error: what the Invoke API returns."""
        return {
            "errorMessage": self.error or "",
            "errorType": self.error_type or "Error",
            "requestId": self.request_id,
            "stackTrace": list(self.stack_trace),
        }

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def throttled(self) -> bool:
        """Lambda refused to run it (429 TooManyRequestsException): the function never ran."""
        return self.error_type == THROTTLED

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

    @property
    def headers(self) -> dict[str, str]:
        """The proxy response's headers (a $connect's Sec-WebSocket-Protocol, say)."""
        headers = self.result.get("headers") if isinstance(self.result, dict) else None
        if not isinstance(headers, dict):
            return {}
        return {str(k): str(v) for k, v in headers.items()}


class InvocationObserver(Protocol):
    """Told of every invocation, on the gateway's loop, before its START line and after its
    REPORT line (what a test harness records: local_gateway/testing). It must be quick and
    must not raise."""

    def invoked(self, spec: FunctionSpec, request_id: str, event: Mapping[str, Any]) -> None: ...

    def answered(self, spec: FunctionSpec, invocation: Invocation) -> None: ...


def throttled(request_id: str, spec: FunctionSpec, throttle: Throttle, running: int) -> Invocation:
    """Lambda's refusal to run it: no START line, the function never sees the event."""
    log.warning(
        "%s throttled: 429 %s (%s), %d of its invocations running",
        spec.label,
        THROTTLED,
        throttle.reason,
        running,
    )
    return Invocation(request_id, error=throttle.message, error_type=THROTTLED)


def timed_out(request_id: str, spec: FunctionSpec) -> Invocation:
    """Past its Timeout: Lambda's Sandbox.Timedout, logged as Lambda logs it."""
    message = f"Task timed out after {spec.timeout:.2f} seconds"
    log.error("%s Error: %s", request_id, message)
    return Invocation(request_id, error=message, timed_out=True, error_type="Sandbox.Timedout")


def from_container(request_id: str, spec: FunctionSpec, outcome: ContainerOutcome) -> Invocation:
    """What a container's invocation came to: its result, its error, or its timeout."""
    if outcome.timed_out:
        return timed_out(request_id, spec)
    if outcome.error is not None:
        error_type = str(outcome.error.get("errorType", "Error"))
        message = str(outcome.error.get("errorMessage", ""))
        trace = tuple(str(line) for line in outcome.error.get("stackTrace") or ())
        if error_type in ("Runtime.ExitError", "Runtime.InitError"):
            log.error("%s %s: %s", request_id, error_type, message)
        return Invocation(request_id, error=message, error_type=error_type, stack_trace=trace)
    return Invocation(request_id, result=outcome.result)
