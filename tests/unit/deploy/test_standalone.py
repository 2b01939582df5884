import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from local_gateway.template.cfn_yaml import load_template
from serverless_chat.deploy.package import module_name, runtime_files
from serverless_chat.deploy.standalone import (
    _vendored_modules,
    bundled_sources,
    dump_template,
    standalone_template,
)
from tests.conftest import TEMPLATE


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("standalone") / "chat-stack.yaml"
    path.write_text(dump_template(standalone_template(load_template(TEMPLATE))))
    return path


def _functions(path: Path) -> dict[str, Any]:
    document = load_template(path)
    return {
        k: v["Properties"]
        for k, v in document["Resources"].items()
        if v["Type"] == "AWS::Lambda::Function"
    }


def test_every_function_is_inline(standalone: Path) -> None:
    functions = _functions(standalone)
    assert len(functions) == 11
    for props in functions.values():
        assert set(props["Code"]) == {"ZipFile"}
        assert props["Handler"] == "index.handler"


def _docstrings_removed(source: str) -> str:
    """The syntax tree of ``source``, every docstring taken out (the test's own reading)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.expr) or not isinstance(body, list) or not body:
            continue
        first = body[0]
        value = first.value if isinstance(first, ast.Expr) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            del body[0]
            body[:] = body or [ast.Pass()]
    return ast.dump(tree)


def test_the_inline_code_is_the_runtime_code_without_its_docstrings(standalone: Path) -> None:
    files = {module_name(path): path.read_text() for path in runtime_files()}
    files.update({name: path.read_text() for name, path in _vendored_modules().items()})
    for props in _functions(standalone).values():
        sources = bundled_sources(props["Code"]["ZipFile"])
        assert sources
        for name, source in sources.items():
            assert _docstrings_removed(source) == _docstrings_removed(files[name]), name
            assert ast.get_docstring(ast.parse(source), clean=False) is None, name


def test_it_fits_the_console_upload_limit(standalone: Path) -> None:
    assert standalone.stat().st_size < 1024 * 1024


def test_the_inline_index_imports_its_handler_from_the_bundle(
    standalone: Path, tmp_path: Path
) -> None:
    props = _functions(standalone)["SendMessageHandler"]
    (tmp_path / "index.py").write_text(props["Code"]["ZipFile"])
    code = (
        "import index, sys;"
        "assert callable(index.handler);"
        "print(sys.modules['serverless_chat.handlers.send_message'].__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.stdout.strip() == "<bundled serverless_chat.handlers.send_message>", result.stderr


def test_the_cli_writes_it(tmp_path: Path) -> None:
    out = tmp_path / "chat-stack.yaml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "serverless_chat.cli",
            "template",
            "--standalone",
            "--template",
            str(TEMPLATE),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(out.read_text())["Resources"]["ConnectHandler"]
