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


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """One policy document a role holds, named by where it comes from (``ROLE/POLICY`` for an
    inline or attached policy, the managed policy's name, ``FUNCTION/TEMPLATE`` for a SAM
    policy template)."""

    name: str
    document: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """A function's execution role: its name and ARN, and its policies, resolved."""

    logical_id: str | None  # None: a role the template does not declare
    name: str
    arn: str  # arn:aws:iam::ACCOUNT:role/NAME
    policies: tuple[PolicySpec, ...] = ()
    # What the role holds that cannot be evaluated here: managed policies outside the table
    # of template/policies/managed_policies.py, a role the template does not declare.
    not_evaluated: tuple[str, ...] = ()

    def session_arn(self, session_name: str) -> str:
        """The assumed role's ARN as Lambda's credentials name it (the session is the
        function's name): ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION``."""
        account = self.arn.split(":")[4]
        return f"arn:aws:sts::{account}:assumed-role/{self.name}/{session_name}"


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
    # Its execution role (Role, or SAM's implicit one), None when the template names none.
    role: RoleSpec | None = None
    # When its code (or a layer's) was expected on this machine and is not there: where it
    # was looked for, in words (serve refuses to start with it).
    code_missing: str = ""
    # CDK's construct path (Metadata aws:cdk:path), which logs name it by beside its id.
    cdk_path: str = ""
    # Code written in the template (Code.ZipFile, SAM's InlineCode): run from a file named
    # index.py, as CloudFormation packages it; code_dir is then None.
    inline_code: str = ""
    # ReservedConcurrentExecutions: its invocations at once at most (0: every one throttled);
    # None shares the account's unreserved concurrency (functions/concurrency.py).
    reserved_concurrency: int | None = None

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
class IntegrationResponseSpec:
    """An IntegrationResponse: its key (``$default`` or ``/regex/``) and its templates."""

    key: str
    templates: Mapping[str, str] = field(default_factory=dict)
    template_selection_expression: str | None = None


@dataclass(frozen=True, slots=True)
class IntegrationSpec:
    """An Integration as API Gateway runs it: its type, what it reaches (a function for
    AWS_PROXY and AWS, a URL for HTTP and HTTP_PROXY, nothing for MOCK), its request
    templates and parameters, and its integration responses."""

    logical_id: str
    kind: str  # AWS_PROXY, AWS, MOCK, HTTP, HTTP_PROXY
    function: FunctionSpec | None = None
    uri: str = ""
    method: str = "POST"
    timeout: float = MAX_INTEGRATION_TIMEOUT_SECONDS
    request_templates: Mapping[str, str] = field(default_factory=dict)
    template_selection_expression: str | None = None
    passthrough: str = "WHEN_NO_MATCH"
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    responses: tuple[IntegrationResponseSpec, ...] = ()

    @property
    def proxy(self) -> bool:
        return self.kind in ("AWS_PROXY", "HTTP_PROXY")


@dataclass(frozen=True, slots=True)
class ApiKeySpec:
    """An AWS::ApiGateway::ApiKey usable on the served stage (through a UsagePlan)."""

    logical_id: str
    value: str
    enabled: bool = True
    generated: bool = False  # no Value in the template: made at start, as AWS makes one


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
    # The route's integration; None is AWS_PROXY to ``function`` (what tests build by hand).
    integration: IntegrationSpec | None = None
    api_key_required: bool = False
    # AuthorizationType AWS_IAM ($connect only): the handshake must be SigV4-signed by
    # credentials whose role allows execute-api:Invoke on the route.
    iam_auth: bool = False


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A DynamoDB table of the template, by its local physical name."""

    logical_id: str
    name: str
    key_schema: tuple[tuple[str, str], ...]
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class WebSocketApiSpec:
    """One WebSocket API of a template as the gateway serves it, with the template's
    functions and tables (the same in every API of the template)."""

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
    # Policies the functions' roles hold that IAM evaluation cannot read (said at start).
    policies_not_evaluated: list[str] = field(default_factory=list)
    # API keys: where a request's key is read, and the keys valid on the served stage.
    api_key_selection_expression: str = "$request.header.x-api-key"
    api_keys: tuple[ApiKeySpec, ...] = ()
    # The served stage's StageVariables ($stageVariables in mapping templates).
    stage_variables: Mapping[str, str] = field(default_factory=dict)
