"""docs/architecture.md's layout names every module of src/serverless_chat by its path in the
package (``chat/usage.py``), on a line of its own, and names nothing the package does
not have: a newcomer reading it finds every module as it is (issue 18)."""

from __future__ import annotations

import re

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "serverless_chat"
DOC = ROOT / "docs" / "architecture.md"
TREE = "src/serverless_chat/"
# A name sits at column 2 of the tree; its description, and the description's continuation
# lines, further in.
NAME = re.compile(r"  (\S+)")


def modules() -> set[str]:
    """Every module's path in the package, but the packages' own __init__.py."""
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
    }


def layout_names() -> list[str]:
    """What the Layout's src/serverless_chat/ tree names: modules (``chat/usage.py``) and
    packages (``chat/``), in the doc's order."""
    section = DOC.read_text().split("\n## Layout\n", 1)[-1].split("\n## ", 1)[0]
    lines = iter(section.splitlines())
    if TREE not in lines:  # (reads the lines up to the tree's own, so the loop starts below it)
        raise AssertionError(f"docs/architecture.md has no Layout with a {TREE} tree")
    names = []
    for line in lines:
        if line and not line.startswith(" "):
            break  # the next top-level entry (infra/base.yaml) or the block's end
        match = NAME.match(line)
        if match:
            names.append(match.group(1))
    return names


def test_every_module_has_its_line_in_the_layout() -> None:
    missing = sorted(modules() - set(layout_names()))
    assert not missing, (
        f"docs/architecture.md's Layout names no line for {len(missing)} module(s) of "
        f"{TREE}; add one for each, by its path in the package, saying what it does and "
        "why: " + ", ".join(missing)
    )


def test_the_layout_names_only_what_the_package_has() -> None:
    gone = [name for name in layout_names() if not (PACKAGE / name).exists()]
    assert not gone, (
        f"docs/architecture.md's Layout names what {TREE} does not have (renamed or "
        "removed?): " + ", ".join(gone)
    )
