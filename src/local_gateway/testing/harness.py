"""A local gateway started for a test suite: on free ports, on an event loop of its own
thread (so plain tests and asyncio tests, whatever their loop, use it alike), with what its
functions received and logged recorded, clients that record their frames, signed boto3
clients for its callback API and its DynamoDB, ``invoke``, and ``reset`` between tests."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import boto3
from websockets.asyncio.client import connect as connect_async
from websockets.sync.client import connect as connect_sync
from websockets.typing import Subprotocol

from local_gateway.apigateway.chaos import Chaos, ChaosError
from local_gateway.functions.invocation import Invocation
from local_gateway.server.config import GatewayConfig
from local_gateway.server.gateway import LocalGateway
from local_gateway.template.model import FunctionSpec
from local_gateway.testing.clients import AsyncClient, Client
from local_gateway.testing.loop_thread import CALL_TIMEOUT, LoopThread
from local_gateway.testing.recording import (
    FunctionError,
    InvocationRecorder,
    Recorded,
    describe_failure,
)

# The logger that carries Lambda's START / END / REPORT lines and each isolated function's
# output (functions/runner.py, functions/invocation.py, functions/in_process_run.py,
# functions/isolated/containers.py).
LAMBDA_LOGGER = "local_gateway.lambda"
START_TIMEOUT = 120.0
CONFIG_FIELDS = frozenset(f.name for f in fields(GatewayConfig)) - {"template", "state_dir"}


class HarnessError(Exception):
    """A test asked the harness for something it cannot do (the message says what)."""


class WebSocketApi:
    """A template's WebSocket API served by a local gateway for tests. Start it with
    ``start()`` (the pytest fixtures do), ``reset()`` between tests, ``stop()`` at the end."""

    def __init__(
        self,
        template: Path,
        state_dir: Path,
        parameters: Mapping[str, str] | None = None,
        **config: Any,
    ) -> None:
        unknown = sorted(set(config) - CONFIG_FIELDS)
        if unknown:
            raise HarnessError(
                f"unknown gateway setting(s) {', '.join(unknown)}: the settings are "
                f"GatewayConfig's fields ({', '.join(sorted(CONFIG_FIELDS))})"
            )
        if not template.is_file():
            raise HarnessError(f"template {template}: no such file")
        # The key the tests' boto3 clients sign with (an administrator's, as on AWS).
        self.access_key = "local-gateway-tests"
        self.secret_key = secrets.token_urlsafe(24)
        keys = {**dict(config.pop("signing_keys", {})), self.access_key: self.secret_key}
        config.setdefault("port", 0)
        if isinstance(config.get("chaos"), str):  # "drop-disconnect=0.5,seed=3"
            try:
                config["chaos"] = Chaos.parse(config["chaos"])
            except ChaosError as error:
                raise HarnessError(f"chaos: {error}") from None
        self.config = GatewayConfig(
            template=template,
            state_dir=state_dir,
            parameters=dict(parameters or {}),
            signing_keys=keys,
            **config,
        )
        self.gateway = LocalGateway(self.config)
        self._observer = InvocationRecorder(self.gateway.api.functions)
        self._loop: LoopThread | None = None
        self._clients: list[Client] = []
        self._expect_errors = False
        self.url = ""

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> str:
        """Start the gateway on a loop thread of its own; its ws:// URL."""
        if self._loop is not None:
            return self.url
        self._loop = LoopThread(f"local-gateway {self.config.template.name}")
        logger = logging.getLogger(LAMBDA_LOGGER)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)  # START / REPORT and the functions' output
        logger.addHandler(self._observer)
        try:
            self.url = self._loop.run(self.gateway.start(), START_TIMEOUT)
        except BaseException:
            self._close_loop()
            raise
        self.gateway.functions.observers.append(self._observer)
        return self.url

    def stop(self) -> None:
        """Close the clients, stop the gateway and its loop thread: nothing is left running."""
        if self._loop is None:
            return
        self._close_clients()
        try:
            self._loop.run(self.gateway.stop(), START_TIMEOUT)
        finally:
            self._close_loop()

    def _close_loop(self) -> None:
        logging.getLogger(LAMBDA_LOGGER).removeHandler(self._observer)
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    @property
    def running(self) -> bool:
        return self._loop is not None and self._loop.alive

    def reset(self) -> None:
        """Between tests, without a restart: every client closed (the gateway runs their
        $disconnect), the template's tables emptied, what was recorded forgotten."""
        self._close_clients()
        self._loop_thread().run(self.gateway.reset())
        self._settle()
        self._observer.clear()
        self._expect_errors = False

    def _settle(self, timeout: float = CALL_TIMEOUT) -> None:
        """Wait for the invocations still running (an asynchronous Invoke a $connect made)
        to answer, so that none of a test's is recorded as the next one's."""
        deadline = time.monotonic() + timeout
        while any(r.invocation is None for r in self.invocations()):
            if time.monotonic() > deadline:
                raise HarnessError(f"invocations still running after {timeout} s at reset")
            time.sleep(0.02)

    def _close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()

    def _loop_thread(self) -> LoopThread:
        if self._loop is None:
            raise HarnessError("the gateway is not started")
        return self._loop

    # -- where it is -----------------------------------------------------------
    @property
    def callback_url(self) -> str:
        """The callback (Management) API: ``https://{api}.execute-api…/{stage}`` on AWS."""
        return self.gateway.callback_url

    @property
    def urls(self) -> dict[str, str]:
        """Each WebSocket API of the template by logical id: its ws:// URL (``url`` is the
        first's)."""
        return {served.spec.logical_id: served.url for served in self.gateway.apis}

    @property
    def callback_urls(self) -> dict[str, str]:
        """Each WebSocket API's callback (Management) API by logical id."""
        return {served.spec.logical_id: served.callback_url for served in self.gateway.apis}

    def _served(self, api: str | None) -> tuple[str, str]:
        """(ws:// URL, callback URL) of the API named ``api`` (logical id, Name or API id;
        None: the first)."""
        if api is None:
            return self.url, self.callback_url
        try:
            served = self.gateway.served(api)
        except KeyError as error:
            raise HarnessError(str(error.args[0])) from None
        return served.url, served.callback_url

    @property
    def dynamodb_endpoint(self) -> str | None:
        """Where the template's tables are (None when the template has none)."""
        return self.gateway.dynamodb_endpoint

    @property
    def functions(self) -> dict[str, FunctionSpec]:
        """The template's functions by logical id."""
        return dict(self.gateway.api.functions)

    # -- clients -----------------------------------------------------------------
    def _client_url(self, query: str | Mapping[str, str], api: str | None = None) -> str:
        if isinstance(query, Mapping):
            from urllib.parse import urlencode

            query = urlencode(query)
        return self._served(api)[0] + (f"?{query.lstrip('?')}" if query else "")

    def connect(
        self,
        query: str | Mapping[str, str] = "",
        headers: Mapping[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
        *,
        api: str | None = None,
    ) -> Client:
        """A client (plain tests) of the API named ``api`` (the first by default), closed at
        the next reset; the handshake's refusal raises websockets' InvalidStatus, with the
        status API Gateway would answer."""
        connection = connect_sync(
            self._client_url(query, api),
            additional_headers=dict(headers or {}),
            subprotocols=[Subprotocol(name) for name in subprotocols or ()] or None,
            open_timeout=CALL_TIMEOUT,
            proxy=None,  # the gateway is here, whatever HTTP(S)_PROXY says
            legacy=True,  # a connection a test closes itself, or the next reset does
        )
        client = Client(connection)
        self._clients.append(client)
        return client

    async def connect_async(
        self,
        query: str | Mapping[str, str] = "",
        headers: Mapping[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
        *,
        api: str | None = None,
    ) -> AsyncClient:
        """A client for asyncio tests, on the test's loop (close it, or ``async with`` it;
        the gateway closes its side at the next reset)."""
        connection = await connect_async(
            self._client_url(query, api),
            additional_headers=dict(headers or {}),
            subprotocols=[Subprotocol(name) for name in subprotocols or ()] or None,
            open_timeout=CALL_TIMEOUT,
            proxy=None,
        )
        return AsyncClient(connection)

    def management_client(self, config: Any = None, *, api: str | None = None) -> Any:
        """boto3's ``apigatewaymanagementapi`` client, pointed at the callback API of the API
        named ``api`` (the first by default) and signed (SigV4) with the tests' key;
        ``config`` a botocore Config (boto3 retries a 429 LimitExceededException unless told
        not to: ``retries={"total_max_attempts": 1}``)."""
        return boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=self._served(api)[1],
            region_name=self.config.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=config,
        )

    def dynamodb_client(self) -> Any:
        """boto3's DynamoDB client for the template's tables, signed with the tests' key."""
        endpoint = self.dynamodb_endpoint
        if endpoint is None:
            raise HarnessError(
                "no DynamoDB endpoint: the template declares no table run on the embedded"
                " DynamoDB (or every function runs in-process)"
            )
        return boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name=self.config.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    # -- functions -------------------------------------------------------------
    def function(self, name: str) -> FunctionSpec:
        """A function by logical id or by FunctionName."""
        specs = self.gateway.api.functions
        if name in specs:
            return specs[name]
        for spec in specs.values():
            if spec.name == name:
                return spec
        known = ", ".join(sorted(specs)) or "none"
        raise HarnessError(f"no function {name!r} in the template (its functions: {known})")

    def invoke(self, function: str, event: Mapping[str, Any]) -> Any:
        """Run ``function`` once on ``event``, as Lambda would (its container, Timeout and
        log lines); its result. A function error raises FunctionError with its traceback."""
        spec = self.function(function)
        invocation = self._loop_thread().run(self._invoke(spec, event), spec.timeout + 30)
        return self._result(spec, invocation)

    async def invoke_async(self, function: str, event: Mapping[str, Any]) -> Any:
        """``invoke`` for asyncio tests."""
        spec = self.function(function)
        invocation = await self._loop_thread().run_async(self._invoke(spec, event))
        return self._result(spec, invocation)

    async def _invoke(self, spec: FunctionSpec, event: Mapping[str, Any]) -> Invocation:
        invocation = await self.gateway.functions.invoke(spec, dict(event))
        self._observer.by_test.add(invocation.request_id)
        return invocation

    def _result(self, spec: FunctionSpec, invocation: Invocation) -> Any:
        if not invocation.ok:
            raise FunctionError(spec.logical_id, invocation)
        return invocation.result

    # -- what was recorded -----------------------------------------------------
    def invocations(self, function: str | None = None) -> list[Recorded]:
        """Every invocation since the last reset, in the order they started."""
        logical_id = self.function(function).logical_id if function else None
        return [
            r
            for r in list(self._observer.record.invocations)
            if logical_id is None or r.function == logical_id
        ]

    def answered(
        self, function: str, count: int = 1, timeout: float = CALL_TIMEOUT
    ) -> list[Recorded]:
        """Wait until ``function`` has answered ``count`` invocations since the last reset
        (its REPORT line logged); those invocations. TimeoutError past ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            done = [r for r in self.invocations(function) if r.invocation is not None]
            if len(done) >= count:
                return done
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{function} answered {len(done)} invocation(s) of {count} in {timeout} s"
                )
            time.sleep(0.02)

    def events(self, function: str) -> list[Mapping[str, Any]]:
        """The events ``function`` received since the last reset, in order."""
        return [recorded.event for recorded in self.invocations(function)]

    def logs(self, function: str | None = None) -> list[str]:
        """Lambda's log lines (START, END, REPORT, errors, an isolated function's output)
        since the last reset, of one function or of all."""
        logical_id = self.function(function).logical_id if function else None
        return [
            line
            for owner, line in list(self._observer.record.logs)
            if logical_id is None or owner == logical_id
        ]

    def expect_function_errors(self) -> None:
        """Say that functions may fail in this test (the plugin then does not fail it)."""
        self._expect_errors = True

    def unexpected_failures(self) -> list[str]:
        """The function errors since the last reset that no ``invoke`` raised, described with
        their tracebacks; none when the test said it expects them."""
        if self._expect_errors:
            return []
        by_test = self._observer.by_test
        return [
            describe_failure(r.function, r.invocation)
            for r in self.invocations()
            if r.invocation is not None and not r.invocation.ok and r.request_id not in by_test
        ]
