"""`make test-fast`: the unit, contract and property tests as two pytest processes side by
side, one a core (pytest runs a session on one core, and the lane is bound by CPU).

The halves are about as long: the gateway's unit tests and the contract suites in one, the
chat's unit tests and the property tests in the other. Each one's output is printed whole
once it ends, so the two never interleave; the status is the first failure's. Arguments
are passed to both (``-k``, ``-x``, ``--durations=10``).

    python scripts/test_fast.py [pytest arguments]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATEWAY_UNIT = "tests/unit/local_gateway"
HALVES: tuple[tuple[str, ...], ...] = (
    (GATEWAY_UNIT, "tests/contract"),
    ("tests/unit", f"--ignore={GATEWAY_UNIT}", "tests/properties"),
)


def main(argv: list[str]) -> int:
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", *half, *argv],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for half in HALVES
    ]
    status = 0
    for half, run in zip(HALVES, runs, strict=True):
        output, _ = run.communicate()
        print(f"== {' '.join(half)}", flush=True)
        sys.stdout.write(output)
        status = status or run.returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
