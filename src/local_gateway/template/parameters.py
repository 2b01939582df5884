"""Template parameters checked as CloudFormation checks them, with its words. Pure.

``AllowedValues``, ``AllowedPattern`` (the whole value must match), ``MinLength`` /
``MaxLength`` on strings, ``MinValue`` / ``MaxValue`` and the number itself on ``Number``
parameters (each member of a ``List<Number>`` must be a number too); on a
``CommaDelimitedList`` (or another ``List<...>``) AllowedValues and AllowedPattern apply to
each space-trimmed member, as the CloudFormation guide's "Parameters" page says. YAML's
``true`` / ``false`` in AllowedValues are CloudFormation's strings ``"true"`` / ``"false"``.
A ``ConstraintDescription`` replaces the message, as in CloudFormation's
"Parameter X failed to satisfy constraint: ..." form. The AllowedValues, AllowedPattern and
MinLength texts are CloudFormation's ValidationError texts as users quote them; AWS
documents no text for MaxLength, MinValue and MaxValue, so those follow the same pattern.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# An integer or float, as a Number parameter takes it: no "nan", "inf", "1_000" or spaces.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class ParameterError(ValueError):
    """A parameter value CloudFormation would refuse."""


def _texts(value: Any) -> set[str]:
    """How an AllowedValues entry may be spelt by the time it is compared: YAML's booleans
    are CloudFormation's "true" / "false", and also str(True) / str(False), which is how
    the resolver hands over a YAML boolean Default."""
    if isinstance(value, bool):
        return {"true" if value else "false", str(value)}
    return {str(value)}


def _members(kind: str, value: str) -> list[str]:
    if kind == "CommaDelimitedList" or kind.startswith("List<"):
        return [member.strip() for member in value.split(",")]
    return [value]


def _violation(name: str, spec: Mapping[str, Any], value: str) -> str | None:
    kind = str(spec.get("Type", "String"))
    members = _members(kind, value)
    allowed = spec.get("AllowedValues")
    if allowed is not None:
        texts = set().union(
            *(_texts(v) for v in (allowed if isinstance(allowed, list) else [allowed]))
        )
        if any(member not in texts for member in members):
            return f"Parameter '{name}' must be one of AllowedValues"
    if kind in ("Number", "List<Number>"):
        if any(_NUMBER.fullmatch(member) is None for member in members):
            return f"Parameter '{name}' must be a number"
        if kind == "List<Number>":
            return None
        number = float(value)
        if "MinValue" in spec and number < float(spec["MinValue"]):
            return f"Parameter '{name}' must be a number not less than {spec['MinValue']}"
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            return f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}"
        return None
    pattern = spec.get("AllowedPattern")
    if pattern is not None:
        try:
            compiled = re.compile(str(pattern))
        except re.error as error:
            raise ParameterError(
                f"Parameter '{name}' has an AllowedPattern that is not a regular expression:"
                f" {error}"
            ) from None
        if any(compiled.fullmatch(member) is None for member in members):
            return f"Parameter '{name}' must match pattern {pattern}"
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        return f"Parameter '{name}' must contain at least {spec['MinLength']} characters"
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        return f"Parameter '{name}' must contain at most {spec['MaxLength']} characters"
    return None


def check_parameter(name: str, spec: Mapping[str, Any], value: str) -> None:
    """ParameterError with CloudFormation's message when ``value`` breaks a constraint."""
    problem = _violation(name, spec, value)
    if problem is None:
        return
    description = spec.get("ConstraintDescription")
    if description:
        raise ParameterError(f"Parameter {name} failed to satisfy constraint: {description}")
    raise ParameterError(problem)
