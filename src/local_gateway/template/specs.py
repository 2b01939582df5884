"""The read model: what the gateway knows of a template's WebSocket API, as plain data.

The rest of the gateway imports these classes through ``template.model``, as it always has;
the readers (readers.py) build them from a template. Every value in them is resolved: no
intrinsic function reaches the rest of the gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 3.0
DEFAULT_MEMORY_MB = 128
# API Gateway's integration timeout for WebSocket APIs: 50 ms to 29 s, 29 s by default.
MAX_INTEGRATION_TIMEOUT_SECONDS = 29.0
MIN_INTEGRATION_TIMEOUT_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A function of the template, as the gateway runs it."""

    logical_id: str
    name: str
    handler: str
    code_dir: Path | None
    runtime: str
    environment: Mapping[str, str]
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB
    # Its layers' local code (folders or .zip packages), in the template's order, as Lambda
    # extracts them under /opt; layers that are not local (an ARN) are named in not_local.
    layers: tuple[Path, ...] = ()
    layers_not_local: tuple[str, ...] = ()
    # When its code (or a layer's) was expected on this machine and is not there: where it
    # was looked for, in words (serve refuses to start with it).
    code_missing: str = ""
    # CDK's construct path (Metadata aws:cdk:path), which logs name it by beside its id.
    cdk_path: str = ""

    @property
    def label(self) -> str:
        """How logs name it: its name, and its CDK construct path when it has one."""
        return f"{self.name} ({self.cdk_path})" if self.cdk_path else self.name

    @property
    def described(self) -> str:
        """Its logical id, and its CDK construct path when it has one (at start, in errors)."""
        return f"{self.logical_id} ({self.cdk_path})" if self.cdk_path else self.logical_id

    @property
    def module_name(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True, slots=True)
class AuthorizerSpec:
    """A REQUEST authorizer: its function and the identity sources that must be present."""

    logical_id: str
    function: FunctionSpec | None
    identity_sources: tuple[str, ...]
    invocable: bool = True  # as RouteSpec.invocable, for .../authorizers/ID


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One route: its key, the function behind it, whether replies go back (two-way), and
    the authorizer that guards it ($connect only, as on API Gateway)."""

    route_key: str
    function: FunctionSpec | None
    two_way: bool = False
    authorizer: AuthorizerSpec | None = None
    integration_timeout: float = MAX_INTEGRATION_TIMEOUT_SECONDS
    # False when no AWS::Lambda::Permission lets API Gateway invoke the function for this
    # route: on AWS the route then answers "Internal server error".
    invocable: bool = True


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A DynamoDB table of the template, by its local physical name."""

    logical_id: str
    name: str
    key_schema: tuple[tuple[str, str], ...]
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class WebSocketApiSpec:
    """Everything the gateway serves, read from one template."""

    logical_id: str
    api_id: str
    name: str
    route_selection_expression: str
    stage: str
    routes: dict[str, RouteSpec]
    functions: dict[str, FunctionSpec]
    tables: dict[str, TableSpec]
    not_emulated: list[str] = field(default_factory=list)
    # Settings of emulated resources that the gateway does not honour, each named once.
    settings_not_emulated: list[str] = field(default_factory=list)
    # The application's hook (Metadata: LocalGateway: Hook), "module:callable".
    hook: str | None = None
    # What would fail on AWS as the template stands (said at start; the gateway fails alike).
    problems: list[str] = field(default_factory=list)
