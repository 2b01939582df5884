"""An embedded DynamoDB for the template's tables: moto's server, in a process of its own,
reachable only through the gateway.

Functions that run isolated call DynamoDB themselves (``AWS_ENDPOINT_URL_DYNAMODB`` points
at the gateway's DynamoDB port, ``http.py``), so ``serve`` starts moto's server when the
template declares tables and no ``--dynamodb-endpoint`` names another, and creates the
tables as declared (keys, indexes, TTL). moto's server listens on a Unix socket in a folder
of its own (mode 0700, made at start; a short path, as a socket's must be), not on a port:
no other user and no web page can reach it, and its admin routes (``/moto-api/…``) are not
reachable at all; every call goes through the gateway's port, which checks its signature
and where it comes from.

Why moto: it is already the project's DynamoDB in tests (its conditional writes, indexes
and errors are exercised there), it is pure Python and starts in about a second. Its tables
live in that process's memory: they start empty at every start of the gateway (moto's
server keeps nothing on disk), which ``serve`` says.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

log = logging.getLogger("local_gateway")

START_TIMEOUT_SECONDS = 30.0

# moto's server on a Unix socket, ending when its standard input closes: when the gateway
# ends, however it ends (a SIGKILL too), the server does not outlive it.
_WATCHED_SERVER = """
import os, sys, threading
threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
from moto.server import main
main(["-H", "unix://" + sys.argv[1]])
"""


class EmbeddedDynamoDb:
    """moto's server on a Unix socket, started and stopped with the gateway."""

    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file  # what moto's server writes (a line per request)
        self._folder = Path(tempfile.mkdtemp(prefix="local-gateway-"))  # 0700
        self.socket_path = self._folder / "dynamodb.sock"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> Path:
        """Start moto's server; its socket's path once it answers."""
        with self.log_file.open("wb") as output:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _WATCHED_SERVER,
                str(self.socket_path),
                stdin=asyncio.subprocess.PIPE,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.returncode is not None:
                lines = self.log_file.read_text(errors="replace").strip().splitlines()
                raise RuntimeError(
                    "the embedded DynamoDB (moto's server) did not start: "
                    + (lines[-1] if lines else f"exit status {self._process.returncode}")
                )
            try:
                _, writer = await asyncio.open_unix_connection(str(self.socket_path))
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return self.socket_path
        await self.stop()
        raise RuntimeError(f"the embedded DynamoDB did not answer within {START_TIMEOUT_SECONDS} s")

    async def stop(self) -> None:
        if self._process is None:
            shutil.rmtree(self._folder, ignore_errors=True)
            return
        with contextlib.suppress(ProcessLookupError):
            self._process.terminate()
        try:
            await asyncio.wait_for(self._process.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()
        self._process = None
        shutil.rmtree(self._folder, ignore_errors=True)
