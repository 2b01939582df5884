"""What a handler needs from outside, and how Lambda builds it from its environment.

A handler factory takes :class:`Dependencies`; the Lambda entry builds the boto3
versions once per container (at the first invocation, so that importing the
entry module stays as cheap as importing boto3); the local gateway builds its
own (connections in memory, history in SQLite, the callback API in-process).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from serverless_chat.adapters.metrics import CountingMetrics
from serverless_chat.chat.service import Chat, ChatSettings
from serverless_chat.handlers import logs
from serverless_chat.handlers.event_view import WebSocketEvent
from serverless_chat.ports import (
    Connections,
    ConnectionStore,
    FanoutPages,
    FlushableMetrics,
    MessageStore,
)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

# Parallel PostToConnection calls per invocation. boto3's connection pool is sized to match.
DEFAULT_FANOUT_CONCURRENCY = 32


class Dependencies:
    """The ports of one function: its stores, its callback API, its limits.

    A plain class rather than a dataclass: importing an entry module is part of the cold
    start, and a dataclass costs more to define (docs/performance.md, cold start)."""

    __slots__ = (
        "connections_for",
        "environment",
        "messages",
        "metrics",
        "pages",
        "settings",
        "signing_secret",
        "store",
    )

    def __init__(
        self,
        store: ConnectionStore,
        messages: MessageStore,
        connections_for: Callable[[WebSocketEvent], Connections],
        settings: ChatSettings | None = None,
        metrics: FlushableMetrics | None = None,
        environment: Mapping[str, str] | None = None,
        signing_secret: Callable[[], str] | None = None,  # the authorizer's HS256 secret
        pages: FanoutPages | None = None,  # where a big room's other pages go
    ) -> None:
        self.store = store
        self.messages = messages
        self.connections_for = connections_for
        self.settings = settings or ChatSettings()
        self.metrics: FlushableMetrics = metrics or CountingMetrics()
        self.environment = environment or {}
        self.signing_secret = signing_secret
        self.pages = pages

    def chat(self, event: WebSocketEvent) -> Chat:
        """The chat as seen by one invocation."""
        return Chat(
            self.store,
            self.messages,
            self.connections_for(event),
            self.settings,
            metrics=self.metrics,
            pages=self.pages,
            origin={"domainName": event.domain_name, "stage": event.stage},
        )


class AuthorizerDependencies:
    """What the authorizer needs from outside: its settings and its signing secret (no
    table, no callback API: it builds no DynamoDB client and no pool)."""

    __slots__ = ("environment", "metrics", "signing_secret")

    def __init__(
        self,
        environment: Mapping[str, str],
        metrics: FlushableMetrics | None = None,
        signing_secret: Callable[[], str] | None = None,
    ) -> None:
        self.environment = environment
        self.metrics: FlushableMetrics = metrics or CountingMetrics()
        self.signing_secret = signing_secret


class Built(Protocol):
    """What a Lambda entry needs of what it built: metrics to write out after each call."""

    @property
    def metrics(self) -> FlushableMetrics: ...


D = TypeVar("D", bound=Built)


def fanout_concurrency(env: Mapping[str, str]) -> int:
    """FANOUT_CONCURRENCY from the environment, at least 1."""
    try:
        return max(1, int(env.get("FANOUT_CONCURRENCY", DEFAULT_FANOUT_CONCURRENCY)))
    except ValueError:
        return DEFAULT_FANOUT_CONCURRENCY


def aws_dependencies(env: Mapping[str, str]) -> Dependencies:
    """boto3 adapters configured from the function's environment variables.

    CONNECTIONS_TABLE, MESSAGES_TABLE and DIRECT_MESSAGES_TABLE name the tables. CALLBACK_URL is the
    @connections endpoint: the template sets it to the stage's own execute-api
    endpoint (or to its CallbackEndpoint parameter), since an event's domainName is
    the custom domain when clients come through one, and a custom domain does not
    serve @connections. Without it, the endpoint comes from each event
    (https://{domainName}/{stage}). One client per endpoint is kept for the
    container's life: the lean signed HTTP adapter, or boto3's own client when the
    environment sends that endpoint through a proxy (HTTPS_PROXY / NO_PROXY), which
    the lean adapter does not speak (none on Lambda; the local gateway's isolated
    functions reach its callback API so).
    """
    import boto3
    from botocore.config import Config

    from serverless_chat.adapters.dynamodb import DynamoDbTables
    from serverless_chat.adapters.lambda_pages import LambdaFanoutPages
    from serverless_chat.adapters.metrics import EmbeddedMetrics
    from serverless_chat.adapters.signed_http import MAX_STREAMS, SignedHttpConnections

    workers = fanout_concurrency(env)
    session = boto3.session.Session()
    dynamodb = session.client(
        "dynamodb", config=Config(retries={"mode": "standard"}, max_pool_connections=workers)
    )
    tables = DynamoDbTables(dynamodb)  # the backend on AWS, as on a local DynamoDB endpoint
    store = tables.connection_store(env.get("CONNECTIONS_TABLE", ""))
    messages = tables.message_store(
        env.get("MESSAGES_TABLE", ""), env.get("DIRECT_MESSAGES_TABLE", "")
    )
    override = env.get("CALLBACK_URL", "")
    clients: dict[str, Connections] = {}
    lock = threading.Lock()
    credentials = session.get_credentials()
    region = session.region_name or env.get("AWS_REGION", "us-east-1")

    def connections_for(event: WebSocketEvent) -> Connections:
        # The lean signed HTTP adapter, not boto3's client: a fan-out's posts cost less CPU
        # (docs/performance.md), and CPU is what bounds one invocation's fan-out.
        endpoint = override or event.callback_url
        with lock:
            if endpoint not in clients:
                if proxied(endpoint, env):
                    from concurrent.futures import ThreadPoolExecutor

                    from serverless_chat.adapters.management_api import ManagementApiConnections

                    clients[endpoint] = ManagementApiConnections(
                        session.client(
                            "apigatewaymanagementapi",
                            endpoint_url=endpoint,
                            config=Config(
                                retries={"mode": "standard"}, max_pool_connections=workers
                            ),
                        ),
                        ThreadPoolExecutor(workers, "fanout"),
                    )
                else:
                    clients[endpoint] = SignedHttpConnections(
                        endpoint, credentials, region, concurrency=max(workers, MAX_STREAMS)
                    )
            return clients[endpoint]

    return Dependencies(
        store,
        messages,
        connections_for,
        ChatSettings.from_env(env),
        EmbeddedMetrics(
            env.get("METRICS_NAMESPACE", "ServerlessChat"),
            {"Stage": env.get("STAGE_NAME", "production")},
        ),
        dict(env),
        ssm_secret(session, env["JWT_SECRET_PARAMETER"])
        if env.get("JWT_SECRET_PARAMETER")
        else None,
        LambdaFanoutPages(session, env["FANOUT_FUNCTION"]) if env.get("FANOUT_FUNCTION") else None,
    )


def aws_authorizer_dependencies(env: Mapping[str, str]) -> AuthorizerDependencies:
    """The authorizer's settings from its environment, and its secret from SSM
    (JWT_SECRET_PARAMETER) when it checks HS256 tokens: a boto3 session only then."""
    from serverless_chat.adapters.metrics import EmbeddedMetrics

    secret = None
    if env.get("JWT_SECRET_PARAMETER"):
        import boto3

        secret = ssm_secret(boto3.session.Session(), env["JWT_SECRET_PARAMETER"])
    metrics = EmbeddedMetrics(
        env.get("METRICS_NAMESPACE", "ServerlessChat"),
        {"Stage": env.get("STAGE_NAME", "production")},
    )
    return AuthorizerDependencies(dict(env), metrics, secret)


def proxied(endpoint: str, env: Mapping[str, str]) -> bool:
    """Whether ``env``'s proxy variables send requests to ``endpoint`` through a proxy."""
    from urllib.parse import urlsplit
    from urllib.request import proxy_bypass_environment  # type: ignore[attr-defined]

    parts = urlsplit(endpoint)
    scheme = parts.scheme or "https"
    proxy = env.get(f"{scheme}_proxy") or env.get(f"{scheme.upper()}_PROXY")
    if not proxy or not parts.hostname:
        return False
    bypass = env.get("no_proxy") or env.get("NO_PROXY") or ""
    return not proxy_bypass_environment(parts.netloc, {"no": bypass})


def ssm_secret(session: Any, name: str, ttl_seconds: float = 300.0) -> Callable[[], str]:
    """The SecureString ``name``, read once and kept for ``ttl_seconds`` (so a rotated
    secret is picked up within minutes without a call per connection)."""
    client = session.client("ssm")
    cached: list[tuple[float, str]] = []
    lock = threading.Lock()

    def read() -> str:
        with lock:
            if not cached or time.monotonic() - cached[0][0] > ttl_seconds:
                value = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
                cached[:] = [(time.monotonic(), str(value))]
            return cached[0][1]

    return read


def lambda_entry(
    build: Callable[[D], Handler],
    dependencies: Callable[[Mapping[str, str]], D] = aws_dependencies,  # type: ignore[assignment]
) -> Handler:
    """A Lambda handler that builds its dependencies from os.environ on first use, once
    (``dependencies``: the chat's stores and callback API, or what another function needs
    instead); each invocation logs JSON lines with its ids and ends with one EMF metrics
    line."""
    built: list[tuple[Handler, D]] = []
    lock = threading.Lock()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not built:
            with lock:
                if not built:
                    logs.configure()
                    deps = dependencies(os.environ)
                    built.append((build(deps), deps))
        handle, deps = built[0]
        logs.begin(event, context)
        try:
            return handle(event, context)
        finally:
            deps.metrics.flush()

    return handler
