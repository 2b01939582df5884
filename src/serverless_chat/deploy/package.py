"""The Lambda package: the runtime modules only, zipped deterministically.

What ships is defined once: the modules the function table's entry modules import, and
what those import (followed through the source, imports inside functions included), with
the packages that hold them. The local stand-in stores (``adapters/sqlite.py``,
``adapters/memory.py``) and every dev-time tool stay out because no entry module imports
them; ``tests/unit/deploy/test_package.py`` builds the zip and lists its files.

The same source gives the same bytes and so the same S3 key, so CloudFormation sees
no change in an unchanged function and leaves it alone.

With an interpreter of the runtime's version at hand (``python3.13`` for the template's
runtime), the zip also carries each module's bytecode, compiled as unchecked-hash .pyc
files (PEP 552: used without looking at the source's time). /var/task is read-only, so
without them every cold start compiles every module it imports: about 10 ms here.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from serverless_chat.routes import ENTRY_MODULES

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SOURCE_ROOT = PACKAGE_DIR.parent
PACKAGE = PACKAGE_DIR.name
# Pure-Python libraries the template ships beside the runtime code (the authorizer's PyJWT).
VENDORED = ("jwt",)
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold
# The template's functions run on this; bytecode is only usable by the same version.
LAMBDA_RUNTIME = "python3.13"
LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the zip: the paths tracebacks show


def runtime_files() -> list[Path]:
    """Every source file that ships, sorted, as paths under SOURCE_ROOT: the entry modules'
    import closure."""
    by_name = _package_modules()
    needed = {name for entry in ENTRY_MODULES for name in import_closure(entry)}
    return sorted(by_name[name] for name in needed)


def _package_modules() -> dict[str, Path]:
    """Module name → file, for every module of the package."""
    return {module_name(path): path for path in PACKAGE_DIR.rglob("*.py")}


def module_name(path: Path) -> str:
    """``serverless_chat.handlers.connect`` for .../serverless_chat/handlers/connect.py."""
    parts = list(path.relative_to(SOURCE_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@dataclass(frozen=True, slots=True)
class LambdaPackage:
    """The zip's bytes, and the content-addressed S3 key they go under."""

    data: bytes
    sha256: str

    @property
    def key(self) -> str:
        return f"serverless-chat/lambda-{self.sha256[:32]}.zip"


def vendored_files() -> list[tuple[Path, str]]:
    """(file, name in the zip) for every vendored library, as installed here."""
    found: list[tuple[Path, str]] = []
    for package in VENDORED:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"{package} is not installed; it ships with the authorizer")
        root = Path(spec.origin).parent
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                found.append((path, f"{package}/{path.relative_to(root).as_posix()}"))
    return found


def runtime_interpreter(
    runtime: str = LAMBDA_RUNTIME, environ: Mapping[str, str] = os.environ
) -> str | None:
    """An interpreter of the Lambda runtime's version that runs on this machine, or None:
    $SERVERLESS_CHAT_LAMBDA_PYTHON if set, else ``python3.13`` (for ``python3.13``) on the
    PATH. A pyenv shim of a version that is not enabled is found but does not run: checked."""
    wanted = runtime.removeprefix("python")
    for candidate in (environ.get("SERVERLESS_CHAT_LAMBDA_PYTHON"), shutil.which(runtime)):
        if not candidate:
            continue
        try:
            version = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()
        except OSError:
            continue
        if version == wanted:
            return candidate
    return None


def compile_bytecode(entries: list[tuple[Path, str]], interpreter: str) -> dict[str, bytes]:
    """Name in the zip → unchecked-hash .pyc bytes for every .py entry, compiled by
    ``interpreter`` as if the files sat in /var/task. Raises RuntimeError if it fails."""
    with tempfile.TemporaryDirectory(prefix="serverless-chat-pyc-") as folder:
        root = Path(folder)
        for path, name in entries:
            if name.endswith(".py"):
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, root / name)
        result = subprocess.run(
            [
                interpreter,
                "-m",
                "compileall",
                "-q",
                "--invalidation-mode",
                "unchecked-hash",
                "-s",
                folder,
                "-p",
                LAMBDA_TASK_ROOT,
                folder,
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{interpreter} could not compile the package: {result.stdout}{result.stderr}"
            )
        return {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*.pyc"))
        }


def build_package(
    files: list[Path] | None = None,
    extra: list[tuple[Path, str]] | None = None,
    interpreter: str | None = None,
) -> LambdaPackage:
    """Zip the runtime files and the vendored libraries (and ``extra`` (file, name) pairs)
    with fixed times and modes, in a fixed order; with ``interpreter``, their bytecode too."""
    entries = [
        (path, path.relative_to(SOURCE_ROOT).as_posix()) for path in files or runtime_files()
    ]
    entries += vendored_files() + (extra or [])
    contents = {name: path.read_bytes() for path, name in entries}
    if interpreter is not None:
        contents.update(compile_bytecode(entries, interpreter))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(contents):
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, contents[name])
    data = buffer.getvalue()
    return LambdaPackage(data, hashlib.sha256(data).hexdigest())


def import_closure(module: str) -> list[str]:
    """The package's modules that ``module`` needs (its imports, theirs, and their
    packages), sorted."""
    by_name = _package_modules()
    needed: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in needed or name not in by_name:
            continue
        needed.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += _imports(by_name[name])
    return sorted(needed)


def _imports(path: Path) -> tuple[str, ...]:
    """The absolute imports of one file (each ``from m import n`` as ``m`` and ``m.n``)."""
    stat = path.stat()
    return _imports_of(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=1024)  # keyed by the file's state: a changed file is read again
def _imports_of(path: Path, _mtime_ns: int, _size: int) -> tuple[str, ...]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return tuple(names)
