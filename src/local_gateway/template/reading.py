"""What the readers have found so far in one template (``Reading``), and the shape of a
reader: one function per CloudFormation resource type, which reads one resource of it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_gateway.template.code_location import ToolArtefacts
from local_gateway.template.intrinsics import Resolver
from local_gateway.template.policies import iam, permissions
from local_gateway.template.specs import (
    ApiKeySpec,
    AuthorizerSpec,
    FunctionSpec,
    IntegrationResponseSpec,
    IntegrationSpec,
    RouteSpec,
    TableSpec,
)


@dataclass
class Reading:
    """What the readers have found so far in one template, for the API ``api_id``."""

    resolver: Resolver
    base: Path  # the template's folder: local code paths are relative to it
    api_id: str
    # What the tool that wrote the template left beside it (CDK assets, a Serverless
    # package), where S3 code is found.
    artefacts: ToolArtefacts
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    functions_by_name: dict[str, FunctionSpec] = field(default_factory=dict)  # last one wins
    # By physical id: each integration (None when its kind is not emulated).
    integrations: dict[str, IntegrationSpec | None] = field(default_factory=dict)
    integration_responses: dict[str, list[IntegrationResponseSpec]] = field(default_factory=dict)
    # API keys by physical id; usage plans' (api, stage) pairs; (key, plan) links.
    api_keys: dict[str, ApiKeySpec] = field(default_factory=dict)
    usage_plans: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    usage_plan_keys: list[tuple[str, str]] = field(default_factory=list)
    authorizers: dict[str, AuthorizerSpec] = field(default_factory=dict)
    two_way_routes: set[str] = field(default_factory=set)
    routes: dict[str, RouteSpec] = field(default_factory=dict)
    stages: list[Mapping[str, Any]] = field(default_factory=list)
    grants: list[permissions.Grant] = field(default_factory=list)
    tables: dict[str, TableSpec] = field(default_factory=dict)
    unhonoured: list[str] = field(default_factory=list)
    roles: iam.RoleBook = field(init=False)
    _properties: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.roles = iam.RoleBook(self.resolver)

    def properties(self, logical_id: str) -> Any:
        """The resource's Properties with every intrinsic resolved, resolved once."""
        if logical_id not in self._properties:
            raw = self.resolver.resources[logical_id].get("Properties") or {}
            self._properties[logical_id] = self.resolver.resolve(raw)
        return self._properties[logical_id]

    def active(self, resource: Mapping[str, Any]) -> bool:
        """Whether the resource is created: it has no Condition, or its Condition holds."""
        condition = resource.get("Condition")
        return condition is None or self.resolver.condition(str(condition))

    def of_the_api(self, logical_id: str) -> bool:
        """Whether the resource (an ApiGatewayV2 one) belongs to the API being read."""
        return bool(self.properties(logical_id).get("ApiId") == self.api_id)

    def add_function(self, function: FunctionSpec) -> None:
        self.functions[function.logical_id] = function
        self.functions_by_name[function.name] = function

    def function_named(self, name: str) -> FunctionSpec | None:
        return self.functions_by_name.get(name)


Reader = Callable[[Reading, str], None]


def of_the_api(reader: Reader) -> Reader:
    """``reader``, for the resources of the API being read only."""

    def read(reading: Reading, logical_id: str) -> None:
        if reading.of_the_api(logical_id):
            reader(reading, logical_id)

    read.__doc__ = reader.__doc__
    return read
