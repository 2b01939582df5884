"""The terminal client's piped mode: stdin read line by line (a pipe of any length arrives
whole and in order), each line handed to the client, so it can be scripted."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from serverless_chat.client.shell import TerminalClient


def stdin_lines(stdin: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """stdin's lines, read by a thread of their own (a daemon: a read still waiting when
    the client ends does not hold it up); None at the end."""
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        try:
            for line in stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line.rstrip("\r\n"))
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is closed
                loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=read, name="stdin", daemon=True).start()
    return lines


async def read_pipe(client: TerminalClient, stdin: TextIO) -> None:
    """Each line of ``stdin`` handed to the client, in order, until the end or a line that
    leaves."""
    lines = stdin_lines(stdin, asyncio.get_running_loop())
    while (line := await lines.get()) is not None:
        if not client.handle_line(line):
            return
