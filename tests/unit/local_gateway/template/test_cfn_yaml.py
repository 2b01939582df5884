from pathlib import Path

import pytest

from local_gateway.template.cfn_yaml import TemplateError, load_template


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    return path


def test_short_form_tags_become_long_form(tmp_path: Path) -> None:
    doc = load_template(
        _write(
            tmp_path,
            """
Resources:
  A:
    Type: X
    Properties:
      R: !Ref B
      G: !GetAtt B.Arn
      S: !Sub "${B}-x"
      J: !Join [",", [a, !Ref B]]
      I: !If [Cond, 1, 2]
""",
        )
    )
    props = doc["Resources"]["A"]["Properties"]
    assert props["R"] == {"Ref": "B"}
    assert props["G"] == {"Fn::GetAtt": ["B", "Arn"]}
    assert props["S"] == {"Fn::Sub": "${B}-x"}
    assert props["J"] == {"Fn::Join": [",", ["a", {"Ref": "B"}]]}
    assert props["I"] == {"Fn::If": ["Cond", 1, 2]}


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="cannot read template"):
        load_template(tmp_path / "absent.yaml")


def test_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="not valid YAML"):
        load_template(_write(tmp_path, "Resources: [unclosed"))


def test_not_a_template(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no Resources"):
        load_template(_write(tmp_path, "just: a mapping"))


def test_invalid_yaml_is_one_line_saying_where(tmp_path: Path) -> None:
    """A README passed by mistake: one line with where parsing stopped, no quoted excerpt."""
    path = tmp_path / "README.md"
    path.write_text("# A sample\n\n**Update**: read this first\n")
    with pytest.raises(TemplateError) as raised:
        load_template(path)
    assert str(raised.value) == (
        f"{path} is not valid YAML: line 3, column 2: expected alphabetic or numeric"
        " character, but found '*'"
    )
