"""One self-contained template for the CloudFormation console: code inline, nothing to upload.

Each function's ``Code`` becomes ``ZipFile``: one ``index.py`` that carries the runtime
modules that function imports and a small importer that serves them, so ``index.handler``
is the very same handler the packaged stack runs. Each function carries its own copy, and
CloudFormation takes at most 1 MB of template, so the sources travel as lean as they can:
their code without docstrings or comments (``lean_source``: the same syntax tree, less its
docstrings), zlib-compressed, base85. Verbatim and compressed, eleven functions' copies were
over the limit.
"""

from __future__ import annotations

import ast
import base64
import copy
import functools
import json
import zlib
from pathlib import Path
from typing import Any

import yaml

from serverless_chat.deploy.package import (
    import_closure,
    module_name,
    runtime_files,
    vendored_files,
)

_LOADER = '''
import base64
import importlib.abc
import importlib.util
import json
import sys
import zlib

SOURCES = json.loads(zlib.decompress(base64.b85decode(BUNDLE)))


class _BundledModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the modules in SOURCES as if they were files."""

    def find_spec(self, name, path=None, target=None):
        if name not in SOURCES:
            return None
        package = name in PACKAGES
        return importlib.util.spec_from_loader(name, self, is_package=package)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = module.__name__
        module.__file__ = f"<bundled {name}>"
        exec(compile(SOURCES[name], module.__file__, "exec"), module.__dict__)


sys.meta_path.insert(0, _BundledModules())
'''


def _vendored_modules() -> dict[str, Path]:
    """Module name → file for the vendored pure-Python libraries (PyJWT)."""
    modules: dict[str, Path] = {}
    for path, name in vendored_files():
        if name.endswith(".py"):
            parts = name[:-3].split("/")
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


@functools.cache  # each module is in most functions' closures: made lean once
def lean_source(source: str) -> str:
    """``source`` without its docstrings and comments: what runs is the same (nothing the
    Lambda package carries reads a ``__doc__``), at about 60% of the compressed size."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.body and _is_docstring(node.body[0]):
            node.body[0:1] = [] if len(node.body) > 1 else [ast.Pass()]
    return ast.unparse(tree) + "\n"


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def inline_source(handler_module: str, attribute: str = "handler") -> str:
    """index.py for one function: its modules as literal strings, the importer, the entry."""
    by_name = {module_name(path): path for path in runtime_files()}
    modules = import_closure(handler_module)
    if handler_module.endswith(".authorize"):  # the authorizer ships PyJWT beside it
        vendored = _vendored_modules()
        by_name.update(vendored)
        modules = sorted({*modules, *vendored})
    packages = sorted(m for m in modules if by_name[m].name == "__init__.py")
    sources = {name: lean_source(by_name[name].read_text()) for name in modules}
    bundle = base64.b85encode(zlib.compress(json.dumps(sources).encode(), 9)).decode()
    lines = [
        f'"""serverless-chat: {handler_module}.{attribute}, made inline by'
        " `serverless-chat template --standalone`. BUNDLE holds the modules it imports,"
        ' without their docstrings, as JSON {name: source}, zlib-compressed, base85."""',
        f"BUNDLE = {bundle!r}",
        f"PACKAGES = {set(packages)!r}",
        _LOADER,
    ]
    lines.append(f"from {handler_module} import {attribute} as handler  # noqa: E402")
    return "\n".join(lines) + "\n"


def bundled_sources(index_py: str) -> dict[str, str]:
    """The module sources an index.py carries (for checking them against the files)."""
    start = index_py.index("BUNDLE = ") + len("BUNDLE = ")
    end = index_py.index("\n", start)
    bundle: str = ast.literal_eval(index_py[start:end])
    sources: dict[str, str] = json.loads(zlib.decompress(base64.b85decode(bundle)))
    return sources


def standalone_template(template: dict[str, Any]) -> dict[str, Any]:
    """The template with every function whose Code is our local folder made inline."""
    result = copy.deepcopy(template)
    for resource in result["Resources"].values():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        props = resource["Properties"]
        if not isinstance(props.get("Code"), str):
            continue
        module, _, attribute = str(props["Handler"]).rpartition(".")
        props["Code"] = {"ZipFile": inline_source(module, attribute)}
        props["Handler"] = "index.handler"
        _drop_lint_exception(resource)
    return result


def dump_template(template: dict[str, Any]) -> str:
    """YAML in CloudFormation's long form (Fn::Sub, Ref, …), readable in the console."""

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return yaml.dump(template, Dumper=Dumper, sort_keys=False, width=100, allow_unicode=True)


def _drop_lint_exception(resource: dict[str, Any]) -> None:
    """The cfn-lint exception for a local Code folder no longer applies; checkov's stay."""
    metadata = resource.get("Metadata", {})
    metadata.pop("cfn-lint", None)
    if not metadata:
        resource.pop("Metadata", None)
