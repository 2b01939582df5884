"""What an isolated function needs to reach the gateway's services, and only them: every
AWS service it calls goes to the gateway (those not emulated answer 501), the template's
tables to the DynamoDB endpoint, HTTPS verified against the gateway's own certificate, and
its other network traffic through the gateway's egress proxy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from local_gateway.functions.isolated.egress import proxy_environment
from local_gateway.template.model import FunctionSpec

# The variables that name a CA bundle, for botocore, requests and OpenSSL's defaults.
CA_BUNDLE_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


@dataclass(frozen=True, slots=True)
class ServiceEndpoints:
    """Where the gateway serves what a function calls."""

    services_url: str  # AWS_ENDPOINT_URL: every service's calls
    lambda_url: str  # AWS_ENDPOINT_URL_LAMBDA: the Invoke API
    dynamodb_url: str | None = None
    certificate: Path | None = None
    proxy_port: int | None = None
    proxy_passwords: Mapping[str, str] = field(default_factory=dict)  # logical id -> password
    direct_hosts: tuple[str, ...] = ()  # reached without the proxy

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        """The variables one function's containers get, beside Lambda's own."""
        env = {"AWS_ENDPOINT_URL": self.services_url, "AWS_ENDPOINT_URL_LAMBDA": self.lambda_url}
        if self.certificate is not None:
            env.update(dict.fromkeys(CA_BUNDLE_VARIABLES, str(self.certificate)))
        if self.dynamodb_url:
            env["AWS_ENDPOINT_URL_DYNAMODB"] = self.dynamodb_url
        if self.proxy_port is not None:
            password = self.proxy_passwords.get(spec.logical_id, "")
            direct = list(self.direct_hosts)
            env.update(proxy_environment(self.proxy_port, spec.logical_id, password, direct))
        return env
