"""Which Python runs a function: the interpreter of its ``Runtime``'s version when this
machine has one, else the gateway's own (and the difference said at start).

Lambda runs ``python3.12`` on Python 3.12; code that works on the gateway's own version may
not work there (syntax, removed modules, changed defaults), so a function runs on an
interpreter of its runtime's version when one is found: ``pythonX.Y`` on the ``PATH``
(each candidate run once, so that a pyenv shim that is not selected does not count), then
pyenv's installs (``$PYENV_ROOT/versions/X.Y.*/bin/pythonX.Y``).

A runtime Lambda no longer lets you create a function with is refused, in the words the
Lambda API answers CreateFunction with ("Runtime deprecation policy", Lambda Developer
Guide, https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html: after "Block
function create" no new function of that runtime can be made).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Runtimes whose "Block function create" date has passed ("Deprecated runtimes", the
# Lambda runtimes page): python3.8 on 2025-02-28, and every older one before it.
RETIRED_RUNTIMES = frozenset(
    {"python2.7", "python3.6", "python3.7", "python3.8"},
)
_VERSION = re.compile(r"^python(\d+)\.(\d+)$")


def retired_runtime_message(runtime: str) -> str | None:
    """The Lambda API's refusal (InvalidParameterValueException, 400) for a runtime it no
    longer creates functions with; None for one it does."""
    if runtime not in RETIRED_RUNTIMES:
        return None
    return (
        f"The runtime parameter of {runtime} is no longer supported for creating or updating"
        " AWS Lambda functions. We recommend you use a supported runtime while creating or"
        " updating functions."
    )


@dataclass(frozen=True, slots=True)
class Interpreter:
    """A Python to run functions on: its executable and its version."""

    executable: Path
    version: tuple[int, int]
    full_version: str

    @property
    def is_gateways(self) -> bool:
        return self.executable == Path(sys.executable)


def gateway_interpreter() -> Interpreter:
    info = sys.version_info
    return Interpreter(Path(sys.executable), (info[0], info[1]), f"{info[0]}.{info[1]}.{info[2]}")


def runtime_version(runtime: str) -> tuple[int, int] | None:
    """(3, 12) for ``python3.12``; None for what is not a Python runtime's name."""
    match = _VERSION.match(runtime)
    return (int(match[1]), int(match[2])) if match else None


def _candidates(name: str, path: str, pyenv_root: Path) -> list[Path]:
    found = [Path(folder) / name for folder in path.split(os.pathsep) if folder]
    versions = pyenv_root / "versions"
    if versions.is_dir():
        prefix = name.removeprefix("python") + "."
        for install in sorted(versions.iterdir(), reverse=True):
            if install.name.startswith(prefix):
                found.append(install / "bin" / name)
    return [candidate for candidate in found if candidate.is_file()]


def _probe(candidate: Path) -> Interpreter | None:
    """Run the candidate once: its real executable and version, or None if it fails (a
    pyenv shim whose version is not selected exits with an error)."""
    code = "import sys; v = sys.version_info; print(sys.executable); print(v[0], v[1], v[2])"
    try:
        done = subprocess.run(
            [str(candidate), "-I", "-S", "-c", code],
            capture_output=True,
            text=True,
            timeout=10,
            env={"PATH": os.environ.get("PATH", "")},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.split("\n")
    if done.returncode != 0 or len(lines) < 2:
        return None
    major, minor, micro = (int(part) for part in lines[1].split())
    return Interpreter(Path(lines[0]), (major, minor), f"{major}.{minor}.{micro}")


def find_interpreter(
    runtime: str, path: str | None = None, pyenv_root: Path | None = None
) -> Interpreter | None:
    """An interpreter of the runtime's version on this machine, or None."""
    version = runtime_version(runtime)
    if version is None:
        return None
    if version == gateway_interpreter().version:
        return gateway_interpreter()
    path = os.environ.get("PATH", "") if path is None else path
    if pyenv_root is None:
        pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for candidate in _candidates(f"python{version[0]}.{version[1]}", path, pyenv_root):
        interpreter = _probe(candidate)
        if interpreter is not None and interpreter.version == version:
            return interpreter
    return None
