"""Template parameters checked as CloudFormation checks them, with its words. Pure.

``AllowedValues``, ``AllowedPattern`` (the whole value must match), ``MinLength`` /
``MaxLength`` on strings, ``MinValue`` / ``MaxValue`` and the number itself on ``Number``
parameters; a ``ConstraintDescription`` replaces the message, as in CloudFormation's
"Parameter X failed to satisfy constraint: ..." form. The AllowedValues, AllowedPattern and
MinLength texts are CloudFormation's ValidationError texts as users quote them; AWS
documents no text for MaxLength, MinValue and MaxValue, so those follow the same pattern.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class ParameterError(ValueError):
    """A parameter value CloudFormation would refuse."""


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _violation(name: str, spec: Mapping[str, Any], value: str) -> str | None:
    kind = str(spec.get("Type", "String"))
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(v) for v in allowed]:
        return f"Parameter '{name}' must be one of AllowedValues"
    if kind == "Number":
        number = _number(value)
        if number is None:
            return f"Parameter '{name}' must be a number"
        if "MinValue" in spec and number < float(spec["MinValue"]):
            return f"Parameter '{name}' must be a number not less than {spec['MinValue']}"
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            return f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}"
        return None
    pattern = spec.get("AllowedPattern")
    if pattern is not None and re.fullmatch(str(pattern), value) is None:
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
