"""What a local gateway is asked to serve, and how: the template, where to listen, API
Gateway's limits (configurable for tests), the hook and its options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from local_gateway.apigateway.chaos import Chaos
from local_gateway.functions.concurrency import ACCOUNT_CONCURRENCY
from local_gateway.functions.pool import DEFAULT_WORKERS


@dataclass(slots=True)
class GatewayConfig:
    """What ``serverless-chat serve`` was asked for."""

    template: Path
    host: str = "127.0.0.1"
    # The first WebSocket API's ports; a template's further APIs take the next ones, one each
    # (0: free ones).
    port: int = 8080
    tls_port: int = 0  # HTTPS / WSS, for functions that call https://{domainName}/{stage}
    # Origins besides the gateway's own whose pages may open the WebSocket ("*": any).
    allow_origins: tuple[str, ...] = ()
    # Seconds a client has to send a request's head (the upgrade) before it is dropped.
    handshake_timeout: float = 15.0
    # Open connections at most (None: what the open-file limit leaves room for).
    max_connections: int | None = None
    # Access keys (and their secrets) that tools may sign callback and Invoke requests with,
    # beside the containers' own and the credentials boto3 finds for the gateway itself.
    signing_keys: Mapping[str, str] = field(default_factory=dict)
    state_dir: Path = Path(".serverless-chat")
    parameters: Mapping[str, str] = field(default_factory=dict)
    stack_name: str = "serverless-chat"
    region: str = "us-east-1"
    # Threads for the functions the hook runs in-process (a ceiling: functions/pool.py),
    # and containers of one function at once for the others.
    workers: int = DEFAULT_WORKERS
    max_containers: int = 10
    watch: bool = False
    watch_interval: float = 1.0
    dynamodb_endpoint: str | None = None
    # The application's hook: None takes the template's (Metadata: LocalGateway: Hook);
    # "" runs every function isolated. hook_options are passed on to it.
    hook: str | None = None
    hook_options: Mapping[str, str] = field(default_factory=dict)
    # API Gateway's quota of new connections a second (an increase raises it; tests lower it).
    new_connections_per_second: float = 500.0
    # API Gateway's limits, configurable for tests.
    idle_timeout: float = 600.0
    max_connection_duration: float = 7200.0
    max_frame_bytes: int = 32 * 1024
    ping_interval: float | None = 30.0  # a client that misses a pong is gone
    # A connection's messages running at once, beyond which its next frame waits (the
    # gateway's bound: AWS documents none per connection).
    max_in_flight: int = 100
    # IAM: "enforce" refuses what the caller's role does not allow, as AWS does; "warn"
    # lets it through and logs what AWS would have said (aws/iam/access.py).
    iam: str = "enforce"
    callback_latency: float = 0.0  # seconds added to each callback call, as on AWS
    # AWS's non-guarantees on demand (apigateway/chaos.py): None, or Chaos.parse("…").
    chaos: Chaos | None = None
    # permessage-deflate: a connection's compressor holds ~90 KB once it has sent a frame
    # (15,000 connections: 1.3 GB), and on loopback it saves nothing. Off unless asked for.
    compress: bool = False

    def ports(self, index: int) -> tuple[int, int]:
        """The (plain, TLS) ports asked for the template's ``index``-th API: the ones asked
        for the gateway, then the next ones in turn (0 stays 0: free ones)."""
        port, tls_port = self.port, self.tls_port
        return (port + index if port else 0, tls_port + index if tls_port else 0)

    @property
    def account_concurrency(self) -> int:
        """Lambda's concurrency quota of the account: --chaos lambda-concurrency, or 1,000."""
        chaos = self.chaos
        if chaos is not None and chaos.lambda_concurrency is not None:
            return chaos.lambda_concurrency
        return ACCOUNT_CONCURRENCY
