"""The aiohttp app of one WebSocket API's ports, and who may reach them: the guard (the
gateway's names and every API's listeners) and SigV4 in front, then the API's callback API,
its WebSocket at /{stage} with API Gateway's limits, and on the first API's ports the routes
the whole gateway serves there (Lambda's Invoke API, the services not emulated, the hook's
pages).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiohttp import web

from local_gateway.aws import sigv4
from local_gateway.aws.iam.access import Authorize
from local_gateway.aws.lambda_api.model import MAX_SYNC_PAYLOAD
from local_gateway.functions.credentials import SigningKey
from local_gateway.server.config import GatewayConfig
from local_gateway.server.guards.guard import Guard, middleware
from local_gateway.server.served_api import ServedApi
from local_gateway.server.websocket import Limits

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """Whether a gateway on ``host`` listens on loopback only (the usual case, and the safe
    one)."""
    return host in ("localhost", "::1") or host.startswith("127.")


def gateway_guard(config: GatewayConfig, apis: Sequence[ServedApi]) -> Guard:
    """Who may reach the gateway: its names and every API's listeners (a page of one
    API's port may open another API's WebSocket: they are one gateway's)."""
    loopback = is_loopback(config.host)
    names = [config.host, *(served.execute_api_host for served in apis)]
    if loopback:
        names += list(LOOPBACK_NAMES)
    listeners = [
        (scheme, port)
        for served in apis
        for scheme, port in (
            ("http", served.port),
            ("https", served.tls_port),
            ("ws", served.port),
        )
    ]
    return Guard.for_gateway(names, listeners, config.allow_origins, any_host=not loopback)


def api_application(
    served: ServedApi,
    config: GatewayConfig,
    guard: Guard,
    signing_key: Callable[[str], SigningKey | None],
    authorize: Authorize,
    refusal: Callable[[], str],
    rate: Callable[[], bool],
    gateway_routes: Sequence[web.RouteDef] = (),
) -> web.Application:
    """The app of ``served``'s ports: ``refusal`` says why a new connection is not admitted,
    ``rate`` takes one from the account's new-connection quota (all its APIs together);
    ``gateway_routes`` are the first API's port's own."""
    # (a synchronous Invoke may carry 6 MB; the callback API refuses over 128 KB itself)
    app = web.Application(
        client_max_size=MAX_SYNC_PAYLOAD + 64 * 1024,
        middlewares=[middleware(guard), sigv4.middleware(signing_key, config.region)],
    )
    limits = Limits(
        config.idle_timeout,
        config.max_connection_duration,
        config.max_frame_bytes,
        config.ping_interval,
        config.compress,
        config.max_in_flight,
    )
    app.router.add_routes(served.callback_routes(authorize))
    app.router.add_routes(gateway_routes)
    app.router.add_routes(served.websocket_routes(limits, refusal, signing_key, authorize, rate))
    return app
