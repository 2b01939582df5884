"""chat/confusables.py is what scripts/confusables.py makes from ICU (``make confusables``),
and what the runtime reads of it holds together."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from serverless_chat.chat import confusables

ROOT = Path(__file__).resolve().parents[3]


def test_every_key_is_its_own_key() -> None:
    """What a key holds keys to itself (KEYS holds what is not the case fold alone)."""
    for code_point, key in confusables.KEYS.items():
        assert all(confusables.KEYS.get(ord(c), c.casefold()) == c for c in key), hex(code_point)


def test_script_runs_are_sorted_and_cover_every_code_point() -> None:
    starts = [start for start, _ in confusables.SCRIPT_RANGES]
    assert starts[0] == 0
    assert starts == sorted(set(starts))
    assert all(0 <= index < len(confusables.SCRIPT_SETS) for _, index in confusables.SCRIPT_RANGES)


def test_the_committed_table_is_what_icu_makes() -> None:
    """Needs PyICU (make confusables builds it): skipped where it is not installed."""
    pytest.importorskip("icu")
    spec = importlib.util.spec_from_file_location("generator", ROOT / "scripts/confusables.py")
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    made = generator.render()
    assert made == (ROOT / "src/serverless_chat/chat/confusables.py").read_text(encoding="utf-8")
