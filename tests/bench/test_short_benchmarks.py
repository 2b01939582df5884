"""Each benchmark under bench/ at a size that takes seconds: it runs, loses nothing and writes
its JSON. The figures themselves are for `make bench` to print, not for a timed test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT


def _run(tmp_path: Path, script: str, *args: str) -> tuple[str, Any]:
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, json.loads(out.read_text())


def test_fanout_posts_to_every_recipient_in_every_mode_and_pages(tmp_path: Path) -> None:
    printed, results = _run(tmp_path, "fanout.py", "--max", "100", "--page-size", "40")
    assert "missing or doubled" not in printed
    rooms = results["rooms"]
    assert set(rooms) == {"10", "100"}
    for size, modes in rooms.items():
        for row in modes.values():
            assert row["delivered"] == row["expected"] == int(size)
    assert rooms["100"]["paged"]["pages"] == 3  # 99 recipients in pages of 40


def test_readcost_reads_the_room_not_the_table(tmp_path: Path) -> None:
    _, results = _run(tmp_path, "readcost.py", "--others", "300")
    assert set(results) == {"sqlite", "memory", "dynamodb"}
    for store in results.values():
        assert store == {"items_read_per_message": 10, "items_in_a_full_scan": 310}


def test_capacity_delivers_to_every_connection(tmp_path: Path) -> None:
    _, results = _run(tmp_path, "capacity.py", "--connections", "300")
    assert results["connections"] == 300
    assert results["delivered"] == 299
    assert results["kb_per_connection"] > 0


def test_coldstart_measures_every_entry_module(tmp_path: Path) -> None:
    _, results = _run(tmp_path, "coldstart.py", "--samples", "2")
    sources = results["sources_only"]
    assert {"serverless_chat.handlers.send_message", "serverless_chat.handlers.authorize"} <= set(
        sources
    )
    for figures in sources.values():
        assert figures["boto3_ms"] > 0
        assert set(figures) == {"boto3_ms", "extra_ms", "ratio"}


def test_foreign_chat_is_delivered_and_measured_against_its_bound(tmp_path: Path) -> None:
    printed, results = _run(
        tmp_path,
        "foreign.py",
        "--rounds",
        "1",
        "--clients",
        "6",
        "--senders",
        "1",
        "--messages",
        "4",
    )
    assert "foreign / bound" in printed
    assert results["lost"] == 0
    assert results["duplicates"] == 0
    assert results["foreign"]["delivered"] == 4 * 5
    assert results["bound_posts_per_second"] > 0
