"""Load CloudFormation YAML (or JSON) with its short-form tags, as plain dicts.

``!Ref X`` becomes ``{"Ref": "X"}``, ``!GetAtt A.B`` becomes
``{"Fn::GetAtt": ["A", "B"]}``, any other ``!Name v`` becomes ``{"Fn::Name": v}``,
so the resolver sees one form only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_TAGS = (
    "Base64 Cidr FindInMap GetAtt GetAZs ImportValue Join Select Split Sub Transform "
    "And Equals If Not Or Condition Ref Length ToJsonString"
).split()


class TemplateLoader(yaml.SafeLoader):
    """A SafeLoader that understands CloudFormation's tags."""


def _construct(tag: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        elif isinstance(node, yaml.MappingNode):
            value = loader.construct_mapping(node, deep=True)
        else:  # pragma: no cover - YAML has no other node kinds
            raise yaml.constructor.ConstructorError(None, None, f"bad node for !{tag}")
        if tag == "Ref":
            return {"Ref": value}
        if tag == "Condition":
            return {"Condition": value}
        if tag == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{tag}": value}

    return construct


for _tag in _TAGS:
    TemplateLoader.add_constructor(f"!{_tag}", _construct(_tag))


class TemplateError(ValueError):
    """The template cannot be read, or lacks what the gateway needs."""


def load_template(path: Path) -> dict[str, Any]:
    """The template at ``path`` as a dict; a clear TemplateError if it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"cannot read template {path}: {error.strerror}") from error
    try:
        document = yaml.load(text, Loader=TemplateLoader)
    except yaml.YAMLError as error:
        raise TemplateError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources)")
    return document
