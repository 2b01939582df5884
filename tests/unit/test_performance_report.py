"""docs/performance.md and the README's summary are what scripts/performance_report.py
makes of bench/results/: a figure in the docs is a figure a benchmark printed."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_figures_in_the_docs_are_the_benchmarks_results() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "performance_report.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
