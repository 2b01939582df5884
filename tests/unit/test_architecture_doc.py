"""docs/architecture.md's Layout names every module of src/serverless_chat and of
src/local_gateway by its path in its package (``chat/usage.py``,
``aws/management_api/model.py``), on a line of its own, names nothing a package does not
have, and says nothing of a module's imports that its imports belie: a newcomer reading it
finds every module as it is (issues 18 and 22).

What a line may claim of imports, and how each claim is checked against the imports in the
module's source (every ``import`` and ``from ... import``, at any depth, but those under
``if TYPE_CHECKING:``, which run for the type checker only):

- "the standard library only": every imported module is in ``sys.stdlib_module_names``;
- "pure", "no I/O": no module that reads or writes files, sockets or processes, or talks to
  AWS (:data:`IO_MODULES`);
- "no sockets": no network module (:data:`SOCKET_MODULES`);
- "imports nothing of the chat": no ``serverless_chat`` module; "imports nothing of the
  gateway": no ``local_gateway`` module;
- "dev-time": not in the Lambda package (``deploy/package.py``'s runtime files).

A claim on a package's line (``chat/``) holds for every module of the package.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from serverless_chat.deploy.package import runtime_files
from tests.conftest import ROOT

DOC = ROOT / "docs" / "architecture.md"
SRC = ROOT / "src"
PACKAGES = ("serverless_chat", "local_gateway")
# A name sits at column 2 of a tree; its description, and the description's continuation
# lines, further in.
NAME = re.compile(r"  (\S+)(.*)")

IO_MODULES = frozenset(
    {
        "aiohttp",
        "asyncio",
        "boto3",
        "botocore",
        "http",
        "io",
        "moto",
        "multiprocessing",
        "os",
        "pathlib",
        "requests",
        "selectors",
        "shutil",
        "socket",
        "sqlite3",
        "ssl",
        "subprocess",
        "tempfile",
        "urllib",
        "websockets",
        "yaml",
        "zipfile",
    }
)
SOCKET_MODULES = frozenset(
    {"aiohttp", "http", "requests", "selectors", "socket", "ssl", "urllib", "websockets"}
)


@dataclass(frozen=True)
class Line:
    """One entry of a tree: the name (a module's or a package's path in its package) and
    what the doc says of it, continuation lines included."""

    package: str
    name: str
    text: str

    @property
    def path(self) -> Path:
        return SRC / self.package / self.name

    def modules(self) -> list[Path]:
        """The module the line names, or every module of the package it names."""
        if self.path.is_dir():
            return sorted(self.path.rglob("*.py"))
        return [self.path]


def modules(package: str) -> set[str]:
    """Every module's path in the package, but the packages' own __init__.py."""
    root = SRC / package
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if path.name != "__init__.py"
    }


def layout_lines(package: str) -> list[Line]:
    """What the Layout's ``src/{package}/`` tree names: modules (``chat/usage.py``) and
    packages (``chat/``), in the doc's order, each with what the doc says of it."""
    tree = f"src/{package}/"
    section = DOC.read_text().split("\n## Layout\n", 1)[-1].split("\n## ", 1)[0]
    lines = iter(section.splitlines())
    if tree not in lines:  # (reads the lines up to the tree's own, so the loop starts below it)
        raise AssertionError(f"docs/architecture.md has no Layout with a {tree} tree")
    entries: list[Line] = []
    for line in lines:
        if line and not line.startswith(" "):
            break  # the next top-level entry (infra/base.yaml) or the block's end
        match = NAME.match(line)
        if match:
            entries.append(Line(package, match.group(1), match.group(2).strip()))
        elif line.strip() and entries:
            last = entries[-1]
            entries[-1] = Line(package, last.name, f"{last.text} {line.strip()}")
    return entries


def all_lines() -> Iterator[Line]:
    for package in PACKAGES:
        yield from layout_lines(package)


def imported(module: Path) -> set[str]:
    """Every module the source imports by name, but under ``if TYPE_CHECKING:``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: the project's own
                found.add(f"{'.' * node.level}{node.module or ''}")
            elif node.module:
                found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(module.read_text()))
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def not_stdlib(module: Path) -> list[str]:
    return sorted(n for n in imported(module) if top(n) not in sys.stdlib_module_names)


def io_imports(module: Path) -> list[str]:
    return sorted(n for n in imported(module) if top(n) in IO_MODULES)


def socket_imports(module: Path) -> list[str]:
    return sorted(n for n in imported(module) if top(n) in SOCKET_MODULES)


def chat_imports(module: Path) -> list[str]:
    return sorted(n for n in imported(module) if top(n) == "serverless_chat")


def gateway_imports(module: Path) -> list[str]:
    return sorted(n for n in imported(module) if top(n) == "local_gateway")


def shipped(module: Path) -> list[str]:
    return ["ships to Lambda (deploy/package.py)"] if module in SHIPPED else []


SHIPPED = frozenset(path.resolve() for path in runtime_files())

# A claim, as a line words it → what in a module belies it (nothing: the claim holds).
CLAIMS: dict[str, Callable[[Path], list[str]]] = {
    "the standard library only": not_stdlib,
    "pure": io_imports,
    "no I/O": io_imports,
    "no sockets": socket_imports,
    "imports nothing of the chat": chat_imports,
    "imports nothing of the gateway": gateway_imports,
    "dev-time": shipped,
}


def makes(text: str, claim: str) -> bool:
    return re.search(rf"\b{re.escape(claim)}\b", text) is not None


def belied_claims() -> list[str]:
    wrong = []
    for line in all_lines():
        for claim, check in CLAIMS.items():
            if not makes(line.text, claim):
                continue
            for module in line.modules():
                evidence = check(module.resolve())
                if evidence:
                    where = module.relative_to(SRC).as_posix()
                    wrong.append(
                        f"{line.package}/{line.name} says {claim!r}, but {where}: "
                        + ", ".join(evidence)
                    )
    return wrong


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_has_its_line_in_the_layout(package: str) -> None:
    missing = sorted(modules(package) - {line.name for line in layout_lines(package)})
    assert not missing, (
        f"docs/architecture.md's Layout names no line for {len(missing)} module(s) of "
        f"src/{package}/; add one for each, by its path in the package, saying what it does "
        "and why: " + ", ".join(missing)
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_the_layout_names_only_what_the_package_has(package: str) -> None:
    gone = [line.name for line in layout_lines(package) if not line.path.exists()]
    assert not gone, (
        f"docs/architecture.md's Layout names what src/{package}/ does not have (renamed or "
        "removed?): " + ", ".join(gone)
    )


def test_what_a_line_says_of_imports_is_what_the_module_imports() -> None:
    wrong = belied_claims()
    assert not wrong, (
        "docs/architecture.md's Layout says of a module's imports what its source belies; "
        "correct the line, or drop the claim:\n" + "\n".join(wrong)
    )


def test_the_import_claims_are_checked_where_they_are_made() -> None:
    """Each kind of claim is made somewhere in the Layout, so its check is not dead."""
    texts = [line.text for line in all_lines()]
    unused = [claim for claim in CLAIMS if not any(makes(text, claim) for text in texts)]
    assert not unused, "no line of the Layout makes the claim: " + ", ".join(unused)
