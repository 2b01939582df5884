"""What a test harness records of its gateway's functions: each invocation with its event
and answer (the runner's InvocationObserver), and the Lambda log lines (a logging handler on
``local_gateway.lambda``) that name a function by request id or label. Both arrive on the
gateway's loop thread and are read from the test's, so a lock guards them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local_gateway.functions.invocation import Invocation
from local_gateway.template.model import FunctionSpec


class FunctionError(AssertionError):
    """A function answered an invocation with an error: its own type, message and
    traceback, as Lambda reports them."""

    def __init__(self, function: str, invocation: Invocation) -> None:
        self.function = function
        self.invocation = invocation
        super().__init__(describe_failure(function, invocation))


def describe_failure(function: str, invocation: Invocation) -> str:
    trace = "".join(invocation.stack_trace).rstrip()
    head = f"{function} failed ({invocation.request_id}): {invocation.error_type}: "
    return head + (invocation.error or "") + (f"\nTraceback:\n{trace}" if trace else "")


@dataclass(slots=True)
class Recorded:
    """One invocation of a function: the event it got and, once it has answered, how."""

    function: str  # the function's logical id in the template
    request_id: str
    event: Mapping[str, Any]
    invocation: Invocation | None = None
    by_test: bool = False  # made through WebSocketApi.invoke (its error was raised there)


@dataclass(slots=True)
class Record:
    """What was recorded since the last reset: the invocations, by order and by request id,
    and the Lambda log lines that name a function."""

    invocations: list[Recorded] = field(default_factory=list)
    by_request: dict[str, Recorded] = field(default_factory=dict)
    logs: list[tuple[str, str]] = field(default_factory=list)  # (logical id or "", line)


class InvocationRecorder(logging.Handler):
    """Records invocations (the runner's InvocationObserver) and the Lambda log lines that
    name them, by request id or by the function's label."""

    def __init__(self, functions: Mapping[str, FunctionSpec]) -> None:
        super().__init__(logging.DEBUG)
        self._by_label = {spec.label: lid for lid, spec in functions.items()}
        self._lock = threading.Lock()
        self.record = Record()
        self.by_test: set[str] = set()

    def invoked(self, spec: FunctionSpec, request_id: str, event: Mapping[str, Any]) -> None:
        with self._lock:
            recorded = Recorded(spec.logical_id, request_id, event)
            self.record.invocations.append(recorded)
            self.record.by_request[request_id] = recorded

    def answered(self, spec: FunctionSpec, invocation: Invocation) -> None:
        with self._lock:
            recorded = self.record.by_request.get(invocation.request_id)
            if recorded is not None:
                recorded.invocation = invocation

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        with self._lock:
            function = ""
            for arg in args[:2]:
                if not isinstance(arg, str):
                    continue
                found = self.record.by_request.get(arg)
                function = found.function if found else self._by_label.get(arg, "")
                if function:
                    break
            if function:
                self.record.logs.append((function, record.getMessage()))

    def clear(self) -> None:
        with self._lock:
            self.record = Record()
            self.by_test = set()
