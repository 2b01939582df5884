"""Resolve CloudFormation intrinsic functions the way a local stack would.

Physical ids are made up but stable: ``Ref`` of a function or table is its
name property or ``{stack}-{LogicalId}``; ``Fn::GetAtt X.Arn`` is an ARN in a
fake account that embeds that name. Supported: Ref, Fn::GetAtt, Fn::Sub,
Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or,
Fn::FindInMap, Fn::Base64, Fn::GetAZs, Condition, and the pseudo parameters; and the
template's ``Rules`` (their assertions over the parameters, with Fn::Contains,
Fn::EachMemberEquals and Fn::EachMemberIn; a rule using another rule function is left to
CloudFormation) are checked on load.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.parameters import ParameterError, check_parameter


class _NoValue:
    """AWS::NoValue: the property it stands in is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

ACCOUNT_ID = "123456789012"


def function_arn(region: str, name: str, account_id: str = ACCOUNT_ID) -> str:
    """A function's ARN as Lambda writes it (the context's invoked_function_arn, errors)."""
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}"


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")

# Which property names a resource's Ref, when it is set (otherwise {stack}-{LogicalId}).
_NAME_PROPERTY = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::ApiGatewayV2::Stage": "StageName",  # Ref of a stage is its name
}
_ARN_SERVICE = {
    "AWS::Lambda::Function": ("lambda", "function:{}"),
    "AWS::Serverless::Function": ("lambda", "function:{}"),
    "AWS::DynamoDB::Table": ("dynamodb", "table/{}"),
    "AWS::Serverless::SimpleTable": ("dynamodb", "table/{}"),
    "AWS::IAM::Role": ("iam", "role/{}"),
    "AWS::Logs::LogGroup": ("logs", "log-group:{}:*"),
}


class Resolver:
    """Evaluates intrinsics against one template, its parameters and pseudo parameters."""

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str] | None = None,
        stack_name: str = "serverless-chat",
        region: str = "us-east-1",
        api_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.resources: Mapping[str, Any] = template.get("Resources", {})
        self.stack_name = stack_name
        self.region = region
        self.api_ids = dict(api_ids or {})
        self.pseudo: dict[str, Any] = {
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack_name}/local"
            ),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        self.parameters = self._parameter_values(parameters or {})
        self._conditions: dict[str, bool] = {}
        self._check_rules()

    def _check_rules(self) -> None:
        """The template's ``Rules``, as CloudFormation checks them before it creates
        anything: a rule whose ``RuleCondition`` holds (or that has none) and one of whose
        ``Assertions`` is false refuses the parameters, with its ``AssertDescription``."""
        rules: Mapping[str, Any] = self.template.get("Rules", {}) or {}
        for name, rule in rules.items():
            try:
                if "RuleCondition" in rule and not self.resolve(rule["RuleCondition"]):
                    continue
                failed = [
                    assertion
                    for assertion in rule.get("Assertions", []) or []
                    if not self.resolve(assertion.get("Assert"))
                ]
            except TemplateError:  # a rule function not evaluated here (Fn::ValueOf …)
                continue  # is CloudFormation's to check, as it will
            if failed:
                reason = failed[0].get("AssertDescription") or f"rule {name} failed"
                raise TemplateError(f"{reason} (rule {name})")

    def _parameter_values(self, overrides: Mapping[str, str]) -> dict[str, Any]:
        declared: Mapping[str, Any] = self.template.get("Parameters", {}) or {}
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise TemplateError(f"unknown parameter(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in overrides:
                value: Any = overrides[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                raise TemplateError(f"parameter {name} has no default; pass --parameter {name}=…")
            if isinstance(value, bool):  # CloudFormation's parameter values are strings
                value = "true" if value else "false"
            try:
                check_parameter(name, spec, str(value))
            except ParameterError as error:
                raise TemplateError(str(error)) from None
            if str(spec.get("Type", "")).startswith("List<") or spec.get("Type") == (
                "CommaDelimitedList"
            ):
                value = (
                    [v.strip() for v in str(value).split(",")] if isinstance(value, str) else value
                )
            values[name] = value if isinstance(value, list) else str(value)
        return values

    # -- physical ids -------------------------------------------------------
    def physical_id(self, logical_id: str) -> str:
        """What Ref of this resource returns locally."""
        resource = self.resources[logical_id]
        rtype = resource.get("Type", "")
        if rtype == "AWS::ApiGatewayV2::Api":
            return self.api_ids.get(logical_id, logical_id.lower())
        name_property = _NAME_PROPERTY.get(rtype)
        if name_property:
            name = (resource.get("Properties") or {}).get(name_property)
            if name is not None:
                return str(self.resolve(name))
            return f"{self.stack_name}-{logical_id}"
        return logical_id

    def attribute(self, logical_id: str, name: str) -> Any:
        """Fn::GetAtt for the attributes a WebSocket stack uses."""
        if logical_id not in self.resources:
            raise TemplateError(f"Fn::GetAtt names unknown resource {logical_id}")
        rtype = self.resources[logical_id].get("Type", "")
        physical = self.physical_id(logical_id)
        if name == "Arn":
            service, pattern = _ARN_SERVICE.get(rtype, ("local", "{}"))
            region = "" if service == "iam" else self.region
            return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{pattern.format(physical)}"
        if name == "ApiEndpoint":
            return f"wss://{physical}.execute-api.{self.region}.amazonaws.com"
        if name == "ApiId":
            return physical
        if name == "StreamArn":
            return f"{self.attribute(logical_id, 'Arn')}/stream/local"
        return f"{physical}.{name}"

    # -- evaluation -----------------------------------------------------------
    def condition(self, name: str) -> bool:
        """The value of a named condition (memoised)."""
        if name not in self._conditions:
            conditions: Mapping[str, Any] = self.template.get("Conditions", {}) or {}
            if name not in conditions:
                raise TemplateError(f"unknown condition {name}")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic evaluated; AWS::NoValue properties dropped."""
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Condition" and isinstance(arg, str):
                return self.condition(arg)
            if key.startswith("Fn::"):
                return self._function(key[4:], arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _ref(self, name: Any) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.physical_id(name)
        raise TemplateError(f"Ref to unknown name {name!r}")

    def _function(self, name: str, arg: Any) -> Any:
        handler = getattr(self, f"_fn_{name.lower()}", None)
        if handler is None:
            raise TemplateError(f"Fn::{name} is not supported by the local gateway")
        return handler(arg)

    def _fn_getatt(self, arg: Any) -> Any:
        logical_id, attribute = self.resolve(arg)
        return self.attribute(str(logical_id), str(attribute))

    def _fn_sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def substitute(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                return str(variables[expression])
            if "." in expression and expression.split(".", 1)[0] in self.resources:
                logical_id, attribute = expression.split(".", 1)
                return str(self.attribute(logical_id, attribute))
            return str(self._ref(expression))

        return _SUB_VARIABLE.sub(substitute, str(text))

    def _fn_join(self, arg: Any) -> str:
        delimiter, items = arg
        return str(delimiter).join(str(v) for v in self.resolve(items))

    def _fn_select(self, arg: Any) -> Any:
        index, items = self.resolve(arg)
        return items[int(index)]

    def _fn_split(self, arg: Any) -> list[str]:
        delimiter, text = self.resolve(arg)
        return str(text).split(str(delimiter))

    def _fn_if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_equals(self, arg: Any) -> bool:
        left, right = self.resolve(arg)
        return str(left) == str(right)

    def _fn_not(self, arg: Any) -> bool:
        return not self.resolve(arg)[0]

    def _fn_and(self, arg: Any) -> bool:
        return all(self.resolve(arg))

    def _fn_or(self, arg: Any) -> bool:
        return any(self.resolve(arg))

    # Rule functions (a template's Rules only)
    def _fn_contains(self, arg: Any) -> bool:
        members, value = self.resolve(arg)
        return str(value) in [str(m) for m in members]

    def _fn_eachmemberequals(self, arg: Any) -> bool:
        members, value = self.resolve(arg)
        return all(str(m) == str(value) for m in members)

    def _fn_eachmemberin(self, arg: Any) -> bool:
        members, allowed = self.resolve(arg)
        return {str(m) for m in members} <= {str(a) for a in allowed}

    def _fn_findinmap(self, arg: Any) -> Any:
        mapping, top, second = self.resolve(arg)[:3]
        return self.template["Mappings"][mapping][top][second]

    def _fn_base64(self, arg: Any) -> str:
        return base64.b64encode(str(self.resolve(arg)).encode()).decode()

    def _fn_getazs(self, arg: Any) -> list[str]:
        return [f"{self.region}{zone}" for zone in "abc"]
