"""The gateway stands alone: nothing under local_gateway imports the chat (its
handlers, its logic, its adapters, its ports or errors): the chat wires itself onto the
gateway through its hook (serverless_chat.local), not the other way round. The container
bootstrap, which runs inside each function's process, imports only the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[3] / "src" / "local_gateway"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_gateway_imports_nothing_of_the_chat() -> None:
    offending = {
        f"{path.name}: {name}"
        for path in GATEWAY.rglob("*.py")
        for name in _imports(path)
        if name.startswith("serverless_chat") and not name.startswith("local_gateway")
    }
    assert offending == set()


def test_the_container_bootstrap_imports_only_the_standard_library() -> None:
    names = _imports(GATEWAY / "functions" / "bootstrap.py")
    assert {name.split(".")[0] for name in names} <= set(sys.stdlib_module_names)
