"""docs/testing.md's examples run as written: its SAM files against tests/fixtures/sam_chat,
its CDK test against tests/fixtures/cdk_chat, each in a pytest session of its own, with the
plugin as a user's suite loads it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

DOC = ROOT / "docs" / "testing.md"


def _block(after: str, language: str) -> str:
    """The first ``language`` code block after the line ``after`` in the doc."""
    text = DOC.read_text()
    start = text.index(after)
    match = re.compile(rf"```{language}\n(.*?)```", re.DOTALL).search(text, start)
    assert match, f"no {language} block after {after!r}"
    return match.group(1)


def _run(project: Path) -> str:
    installed = any(
        ep.value == "local_gateway.testing.plugin" for ep in entry_points(group="pytest11")
    )
    plugin = [] if installed else ["-p", "local_gateway.testing.plugin"]
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished.stdout


@pytest.mark.slow
def test_the_sam_example_passes(tmp_path: Path) -> None:
    project = tmp_path / "sam"
    shutil.copytree(FIXTURES / "sam_chat", project)
    ini = _block("`pytest.ini`:", "ini") + "asyncio_mode = auto\n"
    (project / "pytest.ini").write_text(ini)
    (project / "tests").mkdir()
    (project / "tests" / "test_chat.py").write_text(_block("`tests/test_chat.py`:", "python"))
    assert "5 passed" in _run(project)


@pytest.mark.slow
def test_the_cdk_example_passes(tmp_path: Path) -> None:
    project = tmp_path / "cdk"
    shutil.copytree(FIXTURES / "cdk_chat", project)
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_stack.py").write_text(_block("`tests/test_stack.py`:", "python"))
    assert "2 passed" in _run(project)
