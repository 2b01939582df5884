"""Where the benchmarks write their figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_json(path: Path | None, figures: Any) -> None:
    """Write ``figures`` as indented JSON to ``path`` (making its folder); nothing if None."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
