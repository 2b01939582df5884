"""An embedded DynamoDB endpoint for the template's tables: moto's server, in a process of
its own.

Functions that run isolated call DynamoDB themselves (``AWS_ENDPOINT_URL_DYNAMODB`` points
here), so ``serve`` starts moto's server on a free loopback port when the template declares
tables and no ``--dynamodb-endpoint`` names another, and creates the tables as declared
(keys, indexes, TTL). Why moto: it is already the project's DynamoDB in tests (its
conditional writes, indexes and errors are exercised there), it is pure Python and starts
in about a second. Its tables live in that process's memory: they start empty at every
start of the gateway (moto's server keeps nothing on disk), which ``serve`` says.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
import time
from pathlib import Path

log = logging.getLogger("local_gateway")

START_TIMEOUT_SECONDS = 30.0

# moto's server, ending when its standard input closes: when the gateway ends, however it
# ends (a SIGKILL too), the server does not outlive it.
_WATCHED_SERVER = """
import os, sys, threading
threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
from moto.server import main
main(["-H", sys.argv[1], "-p", sys.argv[2]])
"""


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class EmbeddedDynamoDb:
    """moto's server on loopback, started and stopped with the gateway."""

    def __init__(self, log_file: Path, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.log_file = log_file  # what moto's server writes (a line per request)
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> str:
        self.port = _free_port(self.host)
        with self.log_file.open("wb") as output:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _WATCHED_SERVER,
                self.host,
                str(self.port),
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
                _, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return self.url
        await self.stop()
        raise RuntimeError(f"the embedded DynamoDB did not answer within {START_TIMEOUT_SECONDS} s")

    async def stop(self) -> None:
        if self._process is None:
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
