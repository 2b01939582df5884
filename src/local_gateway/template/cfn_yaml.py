"""CloudFormation YAML (or JSON) with its short-form tags, read as plain dicts and written
back in the short form: the one reader and writer of templates, for the gateway and the
deploy tools alike.

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
        raise TemplateError(f"{path} is not valid YAML: {_yaml_problem(error)}") from error
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources)")
    return document


def _yaml_problem(error: yaml.YAMLError) -> str:
    """PyYAML's error in one line: where it stopped, and what it found there (its own text
    spans several lines and quotes the document)."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        return f"{where}{error.problem}"
    return " ".join(str(error).split())


class TemplateDumper(yaml.SafeDumper):
    """Block YAML with lists indented under their key, intrinsics as their short tags."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        # A tagged scalar (!Ref X) is read back as its text whatever it looks like, so it
        # may stay plain wherever YAML allows plain text; PyYAML would quote every one.
        style: str = super().choose_scalar_style()
        event = self.event
        if style != "'" or not isinstance(event, yaml.ScalarEvent) or event.style:
            return style
        if not str(event.tag or "").startswith("!"):
            return style
        analysis = self.analysis or self.analyze_scalar(event.value)
        plain = analysis.allow_flow_plain if self.flow_level else analysis.allow_block_plain
        return "" if plain and not analysis.empty and not analysis.multiline else style


def _scalar_like(value: Any) -> bool:
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        return (key == "Ref" or key.startswith("Fn::")) and (
            isinstance(inner, str) or key == "Fn::GetAtt"
        )
    return isinstance(value, str | int | float | bool)


def _represent_mapping(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    if len(data) == 1:
        ((key, value),) = data.items()
        if key == "Ref":
            return dumper.represent_scalar("!Ref", value)
        if key == "Fn::GetAtt":
            return dumper.represent_scalar("!GetAtt", ".".join(value))
        if key.startswith("Fn::"):
            tag = "!" + key.removeprefix("Fn::")
            if isinstance(value, list):
                flow = all(_scalar_like(v) or isinstance(v, list) for v in value)
                return dumper.represent_sequence(tag, value, flow_style=flow)
            if isinstance(value, dict):
                return dumper.represent_mapping(tag, value)
            return dumper.represent_scalar(tag, value)
    return dumper.represent_mapping("tag:yaml.org,2002:map", data)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = bool(data) and all(isinstance(v, str | int | float | bool) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


TemplateDumper.add_representer(dict, _represent_mapping)
TemplateDumper.add_representer(list, _represent_list)


def dump_yaml(data: Any) -> str:
    """``data`` as CloudFormation YAML in its short form: what :func:`load_template` reads
    back as the same dicts."""
    return yaml.dump(
        data, Dumper=TemplateDumper, sort_keys=False, width=10_000, allow_unicode=True, indent=2
    )
