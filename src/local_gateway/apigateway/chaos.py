"""AWS's non-guarantees on demand (``serve --chaos``, ``GatewayConfig.chaos``): what API
Gateway is allowed to do and seldom does on a quiet day, made to happen, seeded so that a run
can be repeated. Pure: the gateway asks, this answers and says in the log when it acts.

- ``drop-disconnect=SHARE``: that share of closes runs no ``$disconnect`` ("$disconnect is a
  best-effort event. API Gateway will try its best to deliver the $disconnect event to your
  integration, but it cannot guarantee delivery": "Manage connected users and client apps:
  $connect and $disconnect routes", API Gateway developer guide).
- ``vanish=SHARE``: that share of client closes become a client that vanished without a
  close (no FIN): the connection stays — its row, posts to it answering 200 — until a write
  to it fails (the next post) or its idle timeout, then ``$disconnect`` (``server/websocket``
  waits; "$disconnect ... is best effort", the same page; the idle timeout, "API Gateway
  quotas for WebSocket APIs").
- ``callback-rate=N``: the callback API takes N calls a second (a burst of N), and answers
  the rest 429 ``LimitExceededException``, as API Gateway throttles ("API Gateway quotas for
  WebSocket APIs"; the Management API reference names LimitExceededException, 429).
- ``callback-latency=DURATION``: added to every callback call (``20ms``, ``0.1s``).
- ``integration-latency=DURATION``: added to every call of a route's Lambda integration,
  before the function runs (inside the integration timeout, as the network to Lambda is).
- ``lambda-concurrency=N``: the account's Lambda concurrency (1,000 by default, "Lambda
  quotas"); an invocation over it is throttled 429 ``TooManyRequestsException``
  (``functions/concurrency.py`` counts).
- ``seed=N``: the random draws' seed (0 unless given).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("local_gateway")

MODES = (
    "drop-disconnect",
    "vanish",
    "callback-rate",
    "callback-latency",
    "integration-latency",
    "lambda-concurrency",
    "seed",
)
SAY_EVERY = 10.0  # seconds between two lines about the same frequent mode


class ChaosError(ValueError):
    """A --chaos specification that cannot be read (the message says what is wrong)."""


@dataclass(slots=True)
class Chaos:
    """The modes asked for, and their seeded state."""

    drop_disconnect: float = 0.0
    vanish: float = 0.0
    callback_rate: float | None = None
    callback_latency: float = 0.0
    integration_latency: float = 0.0
    lambda_concurrency: int | None = None
    seed: int = 0
    clock: Callable[[], float] = time.monotonic
    _random: random.Random = field(init=False, repr=False)
    _tokens: float = field(init=False, repr=False, default=0.0)
    _refilled: float = field(init=False, repr=False, default=0.0)
    _said: dict[str, float] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._tokens = self.callback_rate or 0.0
        self._refilled = self.clock()

    @classmethod
    def parse(cls, text: str) -> Chaos:
        """``drop-disconnect=0.3,callback-rate=5,callback-latency=50ms,seed=7``."""
        values: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, equals, value = part.partition("=")
            if not equals or name not in MODES:
                raise ChaosError(f"{part!r} is not one of {', '.join(m + '=…' for m in MODES)}")
            values[name] = value
        if not values:
            raise ChaosError("no mode given (one of " + ", ".join(MODES) + ")")
        chaos = cls(
            drop_disconnect=_number(values, "drop-disconnect", 0.0, 1.0, 0.0),
            vanish=_number(values, "vanish", 0.0, 1.0, 0.0),
            callback_rate=_rate(values),
            callback_latency=_duration("callback-latency", values),
            integration_latency=_duration("integration-latency", values),
            lambda_concurrency=_concurrency(values),
            seed=int(_number(values, "seed", 0, 2**63, 0)),
        )
        return chaos

    @property
    def active(self) -> bool:
        return bool(
            self.drop_disconnect
            or self.vanish
            or self.callback_rate
            or self.callback_latency
            or self.integration_latency
            or self.lambda_concurrency is not None
        )

    def drops_disconnect(self, connection_id: str) -> bool:
        """Whether this close's $disconnect is lost (said in the log when it is)."""
        if not self.drop_disconnect or self._random.random() >= self.drop_disconnect:
            return False
        log.warning(
            "chaos drop-disconnect: the $disconnect of %s is not delivered (best effort, as on"
            " AWS)",
            connection_id,
        )
        return True

    def vanishes(self, connection_id: str) -> bool:
        """Whether this client's close is taken for a vanished client (said in the log)."""
        if not self.vanish or self._random.random() >= self.vanish:
            return False
        log.warning(
            "chaos vanish: %s is taken to have vanished without a close (no FIN): it stays"
            " until a write to it fails or its idle timeout",
            connection_id,
        )
        return True

    def throttles_callback(self, connection_id: str) -> bool:
        """Whether this callback call is over --chaos callback-rate (then: 429)."""
        if self.callback_rate is None:
            return False
        now = self.clock()
        rate = self.callback_rate
        self._tokens = min(rate, self._tokens + (now - self._refilled) * rate)
        self._refilled = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return False
        self._say(
            "callback-rate",
            f"chaos callback-rate: a call on {connection_id} over {rate:g} a second answered"
            " 429 LimitExceededException",
        )
        return True

    def callback_delay(self) -> float:
        """Seconds added to this callback call."""
        if self.callback_latency:
            self._say(
                "callback-latency",
                f"chaos callback-latency: {self.callback_latency * 1000:g} ms added to callbacks",
            )
        return self.callback_latency

    def integration_delay(self, function: str) -> float:
        """Seconds added to this integration call, before ``function`` runs."""
        if self.integration_latency:
            self._say(
                "integration-latency",
                f"chaos integration-latency: {self.integration_latency * 1000:g} ms added"
                f" before {function} (and every integration call)",
            )
        return self.integration_latency

    def _say(self, mode: str, line: str) -> None:
        now = self.clock()
        if now - self._said.get(mode, -SAY_EVERY) >= SAY_EVERY:
            self._said[mode] = now
            log.warning("%s", line)


def _number(values: dict[str, str], name: str, low: float, high: float, default: float) -> float:
    text = values.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ChaosError(f"{name}={text}: not a number") from None
    if not low <= value <= high:
        raise ChaosError(f"{name}={text}: out of range ({low:g} to {high:g})")
    return value


def _rate(values: dict[str, str]) -> float | None:
    if "callback-rate" not in values:
        return None
    rate = _number(values, "callback-rate", 0.0, 1e9, 0.0)
    if rate <= 0:
        raise ChaosError(f"callback-rate={values['callback-rate']}: more than 0 calls a second")
    return rate


def _duration(name: str, values: dict[str, str]) -> float:
    text = values.get(name, "0")
    try:
        seconds = float(text[:-2]) / 1000 if text.endswith("ms") else float(text.removesuffix("s"))
    except ValueError:
        raise ChaosError(f"{name}={text}: not a duration like 50ms") from None
    if not 0 <= seconds < 60:
        raise ChaosError(f"{name}={text}: out of range (0 to 60 s)")
    return seconds


def _concurrency(values: dict[str, str]) -> int | None:
    if "lambda-concurrency" not in values:
        return None
    text = values["lambda-concurrency"]
    if not text.isdigit():
        raise ChaosError(f"lambda-concurrency={text}: not a whole number of invocations")
    return int(text)
