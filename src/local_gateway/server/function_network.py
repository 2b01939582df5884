"""The network isolated functions see: the gateway's certificate (made at start for every
API's own host, as AWS's would name it), the egress proxy that carries each API's host to
that API's TLS port and refuses the rest, and the environment that tells a container where
the gateway's services are (functions/isolated/environment.py), as they stand when it starts.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from local_gateway.aws import not_emulated
from local_gateway.functions.isolated.egress import EgressProxy
from local_gateway.functions.isolated.environment import ServiceEndpoints
from local_gateway.server.config import GatewayConfig
from local_gateway.server.served_api import ServedApi
from local_gateway.server.tls import certificate_path, make_certificate
from local_gateway.template.model import FunctionSpec


class FunctionNetwork:
    """The certificate, the proxy and the endpoints of one gateway's functions (``functions``:
    their logical ids; ``dynamodb_endpoint``: where the template's tables are, asked when a
    container starts)."""

    def __init__(
        self,
        config: GatewayConfig,
        apis: Sequence[ServedApi],
        functions: Iterable[str],
        dynamodb_endpoint: Callable[[], str | None],
    ) -> None:
        self._config = config
        self._apis = apis
        self._dynamodb_endpoint = dynamodb_endpoint
        # Each function's password for the egress proxy, which names the caller by it.
        self._proxy_passwords = {lid: secrets.token_urlsafe(16) for lid in functions}
        self._proxy: EgressProxy | None = None
        self._certificate: Path | None = None

    async def start(self) -> tuple[Path, Path]:
        """Make the certificate and start the proxy; the certificate and its key, which the
        APIs' TLS ports serve."""
        hosts = [served.execute_api_host for served in self._apis]
        cert, key = await asyncio.to_thread(
            make_certificate,
            certificate_path(self._config.state_dir).parent,
            [*hosts, "localhost", self._config.host, "127.0.0.1"],
        )
        self._certificate = cert
        # Each API's own host, as a function calls it, to that API's TLS port.
        self._proxy = EgressProxy(
            {
                f"{served.execute_api_host}:443": ("127.0.0.1", served.tls_port)
                for served in self._apis
            },
            self._proxy_passwords,
        )
        await self._proxy.start()
        return cert, key

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        """An isolated function's way to the gateway's services, as they stand when its
        container starts."""
        base = f"http://{self._config.host}:{self._apis[0].port}"
        endpoints = ServiceEndpoints(
            services_url=base + not_emulated.PREFIX,
            lambda_url=base,
            dynamodb_url=self._dynamodb_endpoint(),
            certificate=self._certificate,
            proxy_port=self._proxy.port if self._proxy is not None else None,
            proxy_passwords=self._proxy_passwords,
            direct_hosts=("127.0.0.1", "localhost", "::1", self._config.host),
        )
        return endpoints.environment(spec)

    async def stop(self) -> None:
        """Stop the proxy (nothing when it never started)."""
        if self._proxy is not None:
            await self._proxy.stop()
