"""The runtime inside one function's container: what Lambda's Python runtime does, locally.

The gateway starts this file as a script (``python -I -S bootstrap.py``) in a
process of the function's own, with the function's environment and nothing of the
gateway's: no site-packages, no script folder on ``sys.path``. It imports only the standard
library, so a function sees only the modules Lambda would give it: its Code folder, its
layers, the runtime's boto3, and the standard library.

It speaks to the gateway in JSON lines over its standard input and output, which it keeps
for itself; what the function prints goes to standard error, which the gateway logs as
Lambda's runtime sends it to CloudWatch.

    gateway -> container   {"event": ..., "requestId": ..., "deadlineMs": ..., "traceId": ...}
    container -> gateway   {"ready": true} | {"initError": ERROR}   (once, after the import)
                           {"result": ...} | {"error": ERROR}       (one per invocation)

ERROR is the body Lambda gives for a function error: errorMessage, errorType, stackTrace
(and requestId). Errors are named and worded as the Python runtime's
(``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``, ``Runtime.MarshalError`` ...).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from typing import Any

_FAULT_TRACE_KEEP = 50  # stack frames kept in an error's stackTrace
MAX_RESPONSE_BYTES = 6_291_556  # what a synchronous invocation may answer


class LambdaContext:
    """The context object the Python runtime hands a handler."""

    def __init__(self, request_id: str, deadline_ms: int, function_arn: str) -> None:
        env = os.environ
        self.aws_request_id = request_id
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = env.get(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"
        )  # a str, as on Lambda
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.invoked_function_arn = function_arn  # the gateway's, with its AWS::AccountId
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


class _RequestIdFilter(logging.Filter):
    """Puts the current request id on every record, as the runtime's log handler does."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


_request_ids = _RequestIdFilter()


def _configure_logging() -> None:
    """The root logger as the Python runtime sets it up: one handler, Lambda's line format
    (``[LEVEL]\\tTIME\\tREQUEST_ID\\tmessage``), level WARNING unless the function says."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_request_ids)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "")
    if level:
        root.setLevel(level.upper())


def _error(message: str, error_type: str, trace: list[str] | None = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": trace or []}


def _trace(error: BaseException, skip_own: bool = True) -> list[str]:
    """The stack of the function's own code: the runtime's frame is left out, as Lambda's
    Python runtime leaves out its own."""
    tb = error.__traceback__
    if skip_own and tb is not None:
        tb = tb.tb_next
    frames = traceback.extract_tb(tb)[-_FAULT_TRACE_KEEP:]
    return traceback.format_list(frames)


def _log_error(error: dict[str, Any], request_id: str = "") -> None:
    """The runtime's error line: ``[ERROR] Type: message`` and the traceback."""
    _request_ids.request_id = request_id
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(frame.rstrip("\n") for frame in error["stackTrace"])
    sys.stderr.write("\n".join(lines) + "\n")


def load_handler(handler: str) -> Any:
    """Import the handler as the Python runtime does, or raise _Fault with its words."""
    module_name, dot, attribute = handler.rpartition(".")
    if not dot or not module_name:
        raise _Fault(
            f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)",
            "Runtime.MalformedHandlerName",
        )
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise _Fault(
            f"Cannot use built-in module {module_name} as a handler module",
            "Runtime.BuiltInModuleConflict",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise _Fault(
            f"Unable to import module '{module_name}': {error}", "Runtime.ImportModuleError"
        ) from error
    except SyntaxError as error:
        raise _Fault(
            f"Syntax error in module '{module_name}': {error}",
            "Runtime.UserCodeSyntaxError",
            [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}'],
        ) from error
    entry = getattr(module, attribute, None)
    if entry is None:
        raise _Fault(
            f"Handler '{attribute}' missing on module '{module_name}'", "Runtime.HandlerNotFound"
        )
    return entry


class _Fault(Exception):
    def __init__(self, message: str, error_type: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error = _error(message, error_type, trace)


def _set_path(code_dir: str, extra: list[str]) -> None:
    """``sys.path`` as Lambda's: the Code folder first, then PYTHONPATH's entries, the
    layers and the runtime's packages, then the standard library."""
    python_path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    standard = [p for p in sys.path if p and "site-packages" not in p]
    sys.path[:] = [code_dir, *python_path, *extra, *standard]


def main() -> None:
    handler_name, code_dir, extra_paths = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    function_arn = sys.argv[4]
    # The protocol keeps the process's own stdin and stdout; the function's prints go to
    # stderr, and its stdin is empty.
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    sys.stdout.reconfigure(line_buffering=True, write_through=True)  # type: ignore[union-attr]
    os.chdir(code_dir)
    _set_path(code_dir, extra_paths)
    _configure_logging()

    def reply(message: dict[str, Any]) -> None:
        replies.write(json.dumps(message) + "\n")
        replies.flush()

    try:
        handler = load_handler(handler_name)
    except _Fault as fault:
        _log_error(fault.error)
        reply({"initError": fault.error})
        return
    except Exception as error:  # raised by the module's own code at import
        init_error = _error(str(error), type(error).__name__, _trace(error, skip_own=False))
        _log_error(init_error)
        reply({"initError": init_error})
        return
    reply({"ready": True})
    for line in requests:
        request = json.loads(line)
        request_id = request["requestId"]
        _request_ids.request_id = request_id
        os.environ["_X_AMZN_TRACE_ID"] = request.get("traceId", "")
        context = LambdaContext(request_id, request["deadlineMs"], function_arn)
        try:
            result = handler(request["event"], context)
        except Exception as error:
            failure = _error(str(error), type(error).__name__, _trace(error))
            failure["requestId"] = request_id
            _log_error(failure, request_id)
            reply({"error": failure})
            continue
        try:
            payload = json.dumps(result)  # ASCII: its length is its size in bytes
        except (TypeError, ValueError) as error:
            failure = _error(f"Unable to marshal response: {error}", "Runtime.MarshalError")
        else:
            if len(payload) <= MAX_RESPONSE_BYTES:
                replies.write('{"result": ' + payload + "}\n")
                replies.flush()
                continue
            failure = _error(
                f"Response payload size ({len(payload)} bytes) exceeded maximum allowed"
                f" payload size ({MAX_RESPONSE_BYTES} bytes).",
                "Function.ResponseSizeTooLarge",
            )
        failure["requestId"] = request_id
        _log_error(failure, request_id)
        reply({"error": failure})


if __name__ == "__main__":
    main()
