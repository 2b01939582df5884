"""The container bootstrap, which runs as a script inside each function's process (not as a
module of the package, so the import contracts in .importlinter do not see it), imports
only the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[5] / "src" / "local_gateway"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_container_bootstrap_imports_only_the_standard_library() -> None:
    names = _imports(GATEWAY / "functions" / "isolated" / "bootstrap.py")
    assert {name.split(".")[0] for name in names} <= set(sys.stdlib_module_names)
