"""The Lambda package: the runtime modules only, zipped deterministically.

The same source gives the same bytes and so the same S3 key, so CloudFormation sees
no change in an unchanged function and leaves it alone.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SOURCE_ROOT = PACKAGE_DIR.parent
PACKAGE = PACKAGE_DIR.name
# What ships to Lambda: the handlers and all they import; never the dev-time tools.
RUNTIME_PACKAGES = ("handlers", "chat", "adapters")
RUNTIME_MODULES = ("__init__.py", "errors.py", "ports.py")
# Pure-Python libraries the template ships beside the runtime code (the authorizer's PyJWT).
VENDORED = ("jwt",)
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


def runtime_files() -> list[Path]:
    """Every runtime source file, sorted, as paths under SOURCE_ROOT."""
    files = [PACKAGE_DIR / name for name in RUNTIME_MODULES]
    for package in RUNTIME_PACKAGES:
        files += (PACKAGE_DIR / package).glob("*.py")
    return sorted(files)


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


def build_package(
    files: list[Path] | None = None, extra: list[tuple[Path, str]] | None = None
) -> LambdaPackage:
    """Zip the runtime files and the vendored libraries (and ``extra`` (file, name) pairs)
    with fixed times and modes, in a fixed order."""
    entries = [
        (path, path.relative_to(SOURCE_ROOT).as_posix()) for path in files or runtime_files()
    ]
    entries += vendored_files() + (extra or [])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in sorted(entries, key=lambda entry: entry[1]):
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    data = buffer.getvalue()
    return LambdaPackage(data, hashlib.sha256(data).hexdigest())


def import_closure(module: str) -> list[str]:
    """The runtime modules ``module`` needs (its imports, theirs, and their packages), sorted."""
    by_name = {module_name(path): path for path in runtime_files()}
    needed: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in needed or name not in by_name:
            continue
        needed.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        for node in ast.walk(ast.parse(by_name[name].read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                todo.append(node.module)
                todo += [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names]
    return sorted(needed)
