"""What a handler needs from outside, and how Lambda builds it from its environment.

A handler factory takes :class:`Dependencies`; the Lambda entry builds the boto3
versions once per container (at the first invocation, so that importing the
entry module stays as cheap as importing boto3); the local gateway builds its
own (SQLite store, in-process callback API).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from serverless_chat.handlers.event import WebSocketEvent
from serverless_chat.ports import Connections, ConnectionStore

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

# Parallel PostToConnection calls per invocation. boto3's connection pool is sized to match.
DEFAULT_FANOUT_CONCURRENCY = 32


@dataclass(frozen=True, slots=True)
class Dependencies:
    """The ports of one function: its store, its callback API, its fan-out pool."""

    store: ConnectionStore
    connections_for: Callable[[WebSocketEvent], Connections]
    fanout_executor: Executor


def fanout_concurrency(env: Mapping[str, str]) -> int:
    """FANOUT_CONCURRENCY from the environment, at least 1."""
    try:
        return max(1, int(env.get("FANOUT_CONCURRENCY", DEFAULT_FANOUT_CONCURRENCY)))
    except ValueError:
        return DEFAULT_FANOUT_CONCURRENCY


def aws_dependencies(env: Mapping[str, str]) -> Dependencies:
    """boto3 adapters configured from the function's environment variables.

    CONNECTIONS_TABLE names the table. The callback endpoint comes from each
    event (https://{domainName}/{stage}) unless CALLBACK_URL overrides it, and
    one client per endpoint is kept for the life of the container.
    """
    import boto3
    from botocore.config import Config

    from serverless_chat.adapters.dynamodb import DynamoDbConnectionStore
    from serverless_chat.adapters.management_api import ManagementApiConnections

    workers = fanout_concurrency(env)
    session = boto3.session.Session()
    dynamodb = session.client("dynamodb", config=Config(retries={"mode": "standard"}))
    store = DynamoDbConnectionStore(dynamodb, env.get("CONNECTIONS_TABLE", ""))
    override = env.get("CALLBACK_URL", "")
    clients: dict[str, Connections] = {}
    lock = threading.Lock()
    callback_config = Config(retries={"mode": "standard"}, max_pool_connections=workers)

    def connections_for(event: WebSocketEvent) -> Connections:
        endpoint = override or event.callback_url
        with lock:
            if endpoint not in clients:
                client = session.client(
                    "apigatewaymanagementapi", endpoint_url=endpoint, config=callback_config
                )
                clients[endpoint] = ManagementApiConnections(client)
            return clients[endpoint]

    return Dependencies(store, connections_for, ThreadPoolExecutor(workers, "fanout"))


def lambda_entry(build: Callable[[Dependencies], Handler]) -> Handler:
    """A Lambda handler that builds its dependencies from os.environ on first use, once."""
    built: list[Handler] = []
    lock = threading.Lock()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not built:
            with lock:
                if not built:
                    built.append(build(aws_dependencies(os.environ)))
        return built[0](event, context)

    return handler
