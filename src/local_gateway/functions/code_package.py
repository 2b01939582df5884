"""A function's code as Lambda gets it: a folder, a .zip package unpacked once, or the
source the template holds.

``CodeUri: ./deployment.zip`` (what ``chalice package`` emits) or ``Code: build/fn.zip`` is
unpacked, as Lambda unpacks a package into its task root, under the state folder, keyed by
the package's digest, so an unchanged package is unpacked once and a new one replaces it.
Lambda's cap on the unpacked size (250 MB) holds here too, with its words.

Code written in the template (``Code: {ZipFile: ...}``, SAM's ``InlineCode``) becomes a
folder holding one file named ``index.py``, as CloudFormation places inline source "in a file
named index" ("AWS::Lambda::Function Code", CloudFormation template reference): its handler
is ``index.<function>``. CloudFormation adds its ``cfnresponse`` module beside it, for custom
resources ("cfn-response module"); a WebSocket API's functions have no use for it and it is
not added here, so ``import cfnresponse`` fails locally.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from pathlib import Path

MAX_UNZIPPED_BYTES = 262_144_000


class CodePackageError(ValueError):
    """The package cannot be run: the sentence says why."""


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as package:
        while chunk := package.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()[:16]


def code_folder(code: Path, state_dir: Path) -> Path:
    """The folder to run ``code`` from: itself, or where its .zip was unpacked."""
    if code.is_dir():
        return code
    if not zipfile.is_zipfile(code):
        raise CodePackageError(f"{code} is neither a folder nor a .zip package")
    target = state_dir / "code" / f"{code.stem}-{_digest(code)}"
    if target.is_dir():
        return target
    with zipfile.ZipFile(code) as package:
        size = sum(entry.file_size for entry in package.infolist())
        if size > MAX_UNZIPPED_BYTES:
            raise CodePackageError(
                f"{code}: Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes"
            )
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        package.extractall(partial)  # (zipfile drops absolute and ".." paths)
    partial.rename(target)
    return target


def inline_folder(source: str, state_dir: Path) -> Path:
    """The folder to run code written in the template from: ``index.py`` holding
    ``source``, under the state folder, keyed by the source's digest."""
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    target = state_dir / "code" / f"inline-{digest}"
    if target.is_dir():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True, mode=0o700)
    descriptor = os.open(partial / "index.py", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as index:
        index.write(source)
    partial.rename(target)
    return target
