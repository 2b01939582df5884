"""scripts/test_fast.py: its two halves run every test file of the fast lane, each once."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.conftest import ROOT

LANE = ("tests/unit", "tests/contract", "tests/properties")


def _halves() -> tuple[tuple[str, ...], ...]:
    spec = importlib.util.spec_from_file_location("test_fast", ROOT / "scripts" / "test_fast.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    halves: tuple[tuple[str, ...], ...] = module.HALVES
    return halves


def _files(half: tuple[str, ...]) -> set[Path]:
    ignored = [ROOT / a.removeprefix("--ignore=") for a in half if a.startswith("--ignore=")]
    found: set[Path] = set()
    for folder in (ROOT / a for a in half if not a.startswith("-")):
        found.update(
            f for f in folder.rglob("test_*.py") if not any(f.is_relative_to(i) for i in ignored)
        )
    return found


def test_the_halves_run_the_whole_lane_each_file_once() -> None:
    first, second = (_files(half) for half in _halves())
    lane = {f for folder in LANE for f in (ROOT / folder).rglob("test_*.py")}
    assert not first & second
    assert first | second == lane
