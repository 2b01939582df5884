"""A statement's Condition block, evaluated as IAM does ("IAM JSON policy elements: Condition
operators" and "…: Condition"):

- every operator of the block and every key under it must hold (AND); the values listed for
  one key are alternatives (OR);
- context key names are not case-sensitive;
- a key absent from the request: the condition is false, except for the negated operators
  (``StringNotEquals``, ``StringNotLike``, ``ArnNotLike`` …, true) and ``…IfExists`` (true);
  ``Null`` tests presence itself;
- ``ForAnyValue:`` holds when any of the request's values matches (false without the key),
  ``ForAllValues:`` when every one does (true without the key).

Supported: String(Not)Equals(IgnoreCase), String(Not)Like, Arn(Not)Equals, Arn(Not)Like, Bool,
Null, Numeric(Not)Equals/LessThan(Equals)/GreaterThan(Equals), (Not)IpAddress, each with
``IfExists`` and under ``ForAnyValue:``/``ForAllValues:``. Any other operator (Date…,
BinaryEquals) is ``unsupported``: the condition does not hold, and the operator is named.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from local_gateway.aws.iam.patterns import arn_pattern, string_pattern

Context = Mapping[str, Sequence[str]]  # lower-cased key → the request's values


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(value: str, wanted: str) -> bool:
        left, right = _number(value), _number(wanted)
        return left is not None and right is not None and compare(left, right)

    return match


def _ip(value: str, wanted: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(wanted, strict=False)
    except ValueError:
        return False


# Operator (positive form) → does one request value match one policy value?
_MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda value, wanted: value == wanted,
    "StringEqualsIgnoreCase": lambda value, wanted: value.lower() == wanted.lower(),
    "StringLike": lambda value, wanted: string_pattern(wanted).fullmatch(value) is not None,
    "ArnEquals": lambda value, wanted: arn_pattern(wanted).fullmatch(value) is not None,
    "ArnLike": lambda value, wanted: arn_pattern(wanted).fullmatch(value) is not None,
    "Bool": lambda value, wanted: value.lower() == wanted.lower(),
    "NumericEquals": _numeric(lambda a, b: a == b),
    "NumericLessThan": _numeric(lambda a, b: a < b),
    "NumericLessThanEquals": _numeric(lambda a, b: a <= b),
    "NumericGreaterThan": _numeric(lambda a, b: a > b),
    "NumericGreaterThanEquals": _numeric(lambda a, b: a >= b),
    "IpAddress": _ip,
}
# The negated operators: their positive form, negated for each request value.
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "NotIpAddress": "IpAddress",
}
SUPPORTED = sorted([*_MATCHERS, *_NEGATED, "Null"])


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class Condition:
    """One operator and key of a Condition block, with the policy's values."""

    operator: str  # as written: ForAnyValue:StringLikeIfExists
    key: str  # lower-cased
    values: tuple[str, ...]

    @property
    def parts(self) -> tuple[str, str, bool]:
        """(set qualifier or "", the operator's base name, IfExists)."""
        qualifier, _, name = self.operator.rpartition(":")
        if_exists = name.endswith("IfExists")
        return qualifier, name.removesuffix("IfExists"), if_exists

    @property
    def supported(self) -> bool:
        qualifier, name, _ = self.parts
        return qualifier in ("", "ForAnyValue", "ForAllValues") and (
            name in _MATCHERS or name in _NEGATED or name == "Null"
        )

    def holds(self, context: Context) -> bool:
        if not self.supported:
            return False
        qualifier, name, if_exists = self.parts
        present = self.key in context
        if name == "Null":  # "true": the key must be absent; "false": present
            return any((v.lower() == "true") != present for v in self.values)
        values = context.get(self.key, ())
        if not present:
            if if_exists or qualifier == "ForAllValues":
                return True
            return name in _NEGATED and qualifier != "ForAnyValue"
        negated = name in _NEGATED
        matcher = _MATCHERS[_NEGATED.get(name, name)]

        def one(value: str) -> bool:
            matched = any(matcher(value, wanted) for wanted in self.values)
            return not matched if negated else matched

        if qualifier == "ForAllValues":
            return all(one(v) for v in values)
        if qualifier == "ForAnyValue":
            return any(one(v) for v in values)
        # a single-valued key: its one value (a multivalued one without a qualifier: any)
        return any(one(v) for v in values)


def parse(block: Any) -> tuple[Condition, ...]:
    """A statement's Condition element as Conditions (empty when it has none)."""
    if not isinstance(block, dict):
        return ()
    found = []
    for operator, keys in block.items():
        for key, wanted in (keys or {}).items() if isinstance(keys, dict) else ():
            listed = wanted if isinstance(wanted, list) else [wanted]
            found.append(Condition(str(operator), str(key).lower(), tuple(map(_text, listed))))
    return tuple(found)


def context_of(values: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """A request context (key → a value or a list of values) as conditions read it."""
    return {
        key.lower(): tuple(map(_text, value if isinstance(value, list | tuple) else [value]))
        for key, value in (values or {}).items()
    }
