"""Each function's execution role, read from the template as IAM would hold it. Pure.

A function's role is what its ``Role`` names (``!GetAtt SomeRole.Arn``), or for an
``AWS::Serverless::Function`` without one, the role SAM makes for it: ``{Id}Role`` with
``AWSLambdaBasicExecutionRole`` and the function's ``Policies``. A role's policies are:

- ``AWS::IAM::Role`` ``Policies`` (inline) and ``ManagedPolicyArns``;
- each ``AWS::IAM::Policy`` and ``AWS::IAM::ManagedPolicy`` whose ``Roles`` names it (CDK
  writes every ``grant*`` this way: ``<Fn>ServiceRoleDefaultPolicy…``), and each template
  ManagedPolicy a role lists in ``ManagedPolicyArns`` by ``Ref``;
- SAM ``Policies``: inline documents, managed policies by name or ARN, and SAM's policy
  templates (``DynamoDBCrudPolicy`` …) from AWS's own definitions, the
  ``policy_templates.json`` aws-sam-translator ships (Apache-2.0, read from the installed
  package, not copied);
- AWS managed policies by ARN from the table in managed_policies.py; any other is named in
  ``RoleSpec.not_evaluated``, as a role outside the template is.

Every value is resolved through the template's Resolver (Fn::Sub, Fn::Join, Fn::GetAtt of
tables, functions and APIs, pseudo parameters), as the readers resolve every property.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from local_gateway.template.intrinsics import ACCOUNT_ID, Resolver
from local_gateway.template.policies.managed_policies import managed_policy, managed_policy_arn
from local_gateway.template.specs import PolicySpec, RoleSpec

BASIC_EXECUTION = managed_policy_arn("AWSLambdaBasicExecutionRole")


@cache
def policy_templates() -> Mapping[str, Any]:
    """SAM's policy templates by name, as aws-sam-translator defines them."""
    from samtranslator.policy_templates_data import POLICY_TEMPLATES_FILE

    with open(POLICY_TEMPLATES_FILE, encoding="utf-8") as file:
        templates: Mapping[str, Any] = json.load(file)["Templates"]
    return templates


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


@dataclass
class _Role:
    logical_id: str
    name: str
    policies: list[PolicySpec] = field(default_factory=list)
    managed: list[str] = field(default_factory=list)  # ARNs or template ManagedPolicy ids
    not_evaluated: list[str] = field(default_factory=list)


class RoleBook:
    """The template's roles and what is attached to them, read resource by resource (roles
    first, then the policies that name them), then each function's RoleSpec."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._roles: dict[str, _Role] = {}  # by logical id
        self._by_name: dict[str, _Role] = {}
        self._managed: dict[str, PolicySpec] = {}  # template ManagedPolicies, by id and ARN
        self._not_evaluated: list[str] = []

    # -- reading ----------------------------------------------------------------------------
    def add_role(self, logical_id: str, props: Mapping[str, Any]) -> None:
        """An AWS::IAM::Role: its inline Policies and ManagedPolicyArns."""
        role = _Role(logical_id, self.resolver.physical_id(logical_id))
        for policy in props.get("Policies") or []:
            name = f"{role.name}/{policy.get('PolicyName', '?')}"
            role.policies.append(PolicySpec(name, _document(policy.get("PolicyDocument"))))
        role.managed.extend(str(arn) for arn in props.get("ManagedPolicyArns") or [])
        self._roles[logical_id] = role
        self._by_name[role.name] = role

    def attach(self, logical_id: str, props: Mapping[str, Any], managed: bool) -> None:
        """An AWS::IAM::Policy (or ManagedPolicy): attached to each role its Roles names."""
        name = str(props.get("ManagedPolicyName" if managed else "PolicyName") or logical_id)
        spec = PolicySpec(name, _document(props.get("PolicyDocument")))
        if managed:
            self._managed[logical_id] = spec
            self._managed[f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}"] = spec
        for role_name in props.get("Roles") or []:
            role = self._by_name.get(str(role_name))
            if role is not None:
                role.policies.append(spec)

    # -- a function's role ------------------------------------------------------------------
    def for_function(self, logical_id: str, props: Mapping[str, Any], sam: bool) -> RoleSpec | None:
        """The role of the function ``logical_id`` (its resolved Properties ``props``)."""
        if props.get("Role"):
            return self._named(str(props["Role"]))
        return self._implicit(logical_id, props) if sam else None

    def _named(self, arn: str) -> RoleSpec:
        name = arn.rsplit("/", 1)[-1]
        role = self._by_name.get(name)
        if role is None:
            reason = f"role {arn}: not declared in the template"
            self._not_evaluated.append(reason)
            return RoleSpec(None, name, arn, (), (reason,))
        return self._spec(role)

    def _implicit(self, logical_id: str, props: Mapping[str, Any]) -> RoleSpec:
        """The role SAM makes for a function without Role (SAM's construct_role_for_resource:
        ``{Id}Role``, AWSLambdaBasicExecutionRole, then each entry of Policies)."""
        role = _Role(logical_id + "Role", f"{self.resolver.stack_name}-{logical_id}Role")
        role.managed.append(BASIC_EXECUTION)
        policies = props.get("Policies") or []
        for index, entry in enumerate(policies if isinstance(policies, list) else [policies]):
            self._sam_policy(role, index, entry)
        return self._spec(role)

    def _sam_policy(self, role: _Role, index: int, entry: Any) -> None:
        if isinstance(entry, str):
            arn = entry if entry.startswith("arn:") else managed_policy_arn(entry)
            if arn not in role.managed:
                role.managed.append(arn)
        elif isinstance(entry, dict) and "Statement" in entry:
            role.policies.append(PolicySpec(f"{role.name}/{role.logical_id}Policy{index}", entry))
        elif isinstance(entry, dict) and len(entry) == 1:
            ((template, values),) = entry.items()
            document = self._from_template(str(template), values)
            if document is None:
                role.not_evaluated.append(f"{role.logical_id}: Policies[{index}] {template}")
            else:
                role.policies.append(PolicySpec(f"{role.name}/{template}", document))
        else:
            role.not_evaluated.append(f"{role.logical_id}: Policies[{index}] {entry!r}")

    def _from_template(self, name: str, values: Any) -> Mapping[str, Any] | None:
        """SAM's policy template ``name`` with its parameters given ``values``; None when SAM
        has no such template or a parameter is missing (SAM would refuse the template)."""
        template = policy_templates().get(name)
        if template is None or not isinstance(values, dict):
            return None
        if set(template.get("Parameters") or {}) - set(values):
            return None
        document = _substitute(template["Definition"], values)
        resolved: Mapping[str, Any] = self.resolver.resolve(document)
        return resolved

    def _spec(self, role: _Role) -> RoleSpec:
        policies = list(role.policies)
        not_evaluated = list(role.not_evaluated)
        for arn in role.managed:
            local = self._managed.get(arn)
            known = managed_policy(arn)
            if local is not None:
                if local not in policies:
                    policies.append(local)
            elif known is not None:
                policies.append(PolicySpec(known[0], known[1]))
            else:
                not_evaluated.append(f"{role.name}: managed policy {arn} (not in the table)")
        self._not_evaluated.extend(r for r in not_evaluated if r not in self._not_evaluated)
        return RoleSpec(
            role.logical_id, role.name, role_arn(role.name), tuple(policies), tuple(not_evaluated)
        )

    def not_evaluated(self) -> list[str]:
        """Each policy or role a function holds that evaluation cannot read, once."""
        return list(self._not_evaluated)


def _document(value: Any) -> Mapping[str, Any]:
    """A PolicyDocument, which CloudFormation also takes as a JSON string."""
    if isinstance(value, str):
        parsed: Mapping[str, Any] = json.loads(value)
        return parsed
    return value if isinstance(value, dict) else {}


def _substitute(value: Any, parameters: Mapping[str, Any]) -> Any:
    """``value`` with each ``{"Ref": PARAMETER}`` of a policy template replaced by the value
    the function gives it, as SAM's policy template processor does."""
    if isinstance(value, list):
        return [_substitute(v, parameters) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in parameters:
            return parameters[value["Ref"]]
        return {k: _substitute(v, parameters) for k, v in value.items()}
    return value
