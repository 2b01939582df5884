"""``serve --watch``: new code in a function's folder is loaded without dropping a connection.

The folders are polled (a snapshot of every .py file's modification time and size each
interval): no platform's file-watching API is needed, and a poll of a source tree costs
milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

log = logging.getLogger("local_gateway")

_SKIP_DIRS = {"__pycache__", ".venv", ".git", "node_modules"}


def code_snapshot(folders: Iterable[Path]) -> dict[str, int]:
    """Every .py file under the folders, with its modification time and size."""
    found: dict[str, int] = {}
    for folder in folders:
        for path in folder.rglob("*.py"):
            if _SKIP_DIRS.isdisjoint(path.parts):
                stat = path.stat()
                found[str(path)] = stat.st_mtime_ns ^ stat.st_size
    return found


async def watch(folders: set[Path], interval: float, reload: Callable[[], Awaitable[int]]) -> None:
    """Call ``reload`` whenever a .py file under the folders changes; runs until cancelled."""
    snapshot = await asyncio.to_thread(code_snapshot, folders)
    while True:
        await asyncio.sleep(interval)
        current = await asyncio.to_thread(code_snapshot, folders)
        if current != snapshot:
            snapshot = current
            reloaded = await reload()
            log.info("code changed: reloaded %d function(s)", reloaded)
