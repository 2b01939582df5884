"""The Lambda context object handed to functions run by the gateway."""

from __future__ import annotations

import random
import time

from local_gateway.template.intrinsics import function_arn

# Request ids only need to be unique, not secret: a PRNG, not a system call per id.
_random_bits = random.Random().getrandbits
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def new_request_id() -> str:
    """A Lambda request id: a version 4 UUID's text, formatted here rather than through
    uuid.UUID (a third of the cost)."""
    h = f"{_random_bits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


class LambdaContext:
    """The attributes and method of Lambda's Python context object. One is made per
    invocation: what derives from the name is worked out only when a function asks."""

    __slots__ = (
        "_deadline",
        "_region",
        "aws_request_id",
        "client_context",
        "function_name",
        "function_version",
        "identity",
        "memory_limit_in_mb",
    )

    def __init__(
        self,
        function_name: str,
        memory_limit_in_mb: int,
        timeout_seconds: float,
        aws_request_id: str,
        region: str = "us-east-1",
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = str(memory_limit_in_mb)  # a str, as on Lambda
        self.aws_request_id = aws_request_id
        self.identity = None
        self.client_context = None
        self._region = region
        self._deadline = time.monotonic() + timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return function_arn(self._region, self.function_name)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return time.strftime("%Y/%m/%d/[$LATEST]local")

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's Timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))
