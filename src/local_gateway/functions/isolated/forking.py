"""How a container's process starts: forked from a warm parent of its Python version (the
fork server, ``fork_server.py``), or, as the baseline it is measured against, a fresh
interpreter.

A fresh interpreter that imports boto3 spends most of a cold start on that import; the
fork server has done it once, so a container only forks and imports the function's own
module. Either way the container is a process of its own, in a session of its own (so it
can be frozen and killed with all it started), with its own pipes and an environment that
is the function's alone, set before its module is imported.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

log = logging.getLogger("local_gateway.lambda")

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
FORK_SERVER = Path(__file__).with_name("fork_server.py")
# What the fork server imports before it forks: what Lambda's Python runtime carries.
PRELOAD = ("boto3",)
FORK_SERVER_START_SECONDS = 30.0


class ContainerProcess(Protocol):
    """What a container needs of its process (``asyncio.subprocess.Process`` is one)."""

    pid: int
    stdin: asyncio.StreamWriter | None
    stdout: asyncio.StreamReader | None
    stderr: asyncio.StreamReader | None

    @property
    def returncode(self) -> int | None: ...

    async def wait(self) -> int: ...

    def kill(self) -> None: ...


class Launcher(Protocol):
    """Starts a container's process: the bootstrap with ``args``, in ``env`` alone."""

    async def __call__(
        self, args: Sequence[str], env: Mapping[str, str], limit: int
    ) -> ContainerProcess: ...


class FreshInterpreter:
    """A new interpreter a container (what the fork server is measured against)."""

    def __init__(self, executable: Path, pycache: Path) -> None:
        self.executable = executable
        self._pycache = pycache

    async def __call__(
        self, args: Sequence[str], env: Mapping[str, str], limit: int
    ) -> ContainerProcess:
        return await asyncio.create_subprocess_exec(
            str(self.executable),
            "-I",
            "-S",
            "-X",
            f"pycache_prefix={self._pycache}",
            str(BOOTSTRAP),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            limit=limit,
            start_new_session=True,
        )


class ForkServerError(Exception):
    """The fork server could not start, or went away."""


class ForkedProcess:
    """A container forked by the fork server: its pipes, and its end as the server
    reports it (it is the server's child, not the gateway's)."""

    def __init__(
        self,
        pid: int,
        stdin: asyncio.StreamWriter,
        stdout: asyncio.StreamReader,
        stderr: asyncio.StreamReader,
        exited: asyncio.Future[int],
    ) -> None:
        self.pid = pid
        self.stdin: asyncio.StreamWriter | None = stdin
        self.stdout: asyncio.StreamReader | None = stdout
        self.stderr: asyncio.StreamReader | None = stderr
        self._exited = exited

    @property
    def returncode(self) -> int | None:
        return self._exited.result() if self._exited.done() else None

    async def wait(self) -> int:
        status = await asyncio.shield(self._exited)
        if self.stdin is not None:
            self.stdin.close()
        return status

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGKILL)


class ForkServer:
    """The warm parent of one interpreter's containers; started at the first container
    (or by ``start``), stopped with the functions."""

    def __init__(self, executable: Path, pycache: Path, runtime_dir: Path) -> None:
        self.executable = executable
        self._pycache = pycache
        self._runtime_dir = runtime_dir
        self._process: asyncio.subprocess.Process | None = None
        self._control: socket.socket | None = None
        # Each child's pid with the future of its exit status, handed over together: a
        # child that exits at once is reported before its launcher reads the queue.
        self._pids: asyncio.Queue[tuple[int, asyncio.Future[int]]] = asyncio.Queue()
        self._exits: dict[int, asyncio.Future[int]] = {}
        self._readers: list[asyncio.Task[None]] = []
        self._starting = asyncio.Lock()
        self._spawning = asyncio.Lock()
        self.preloaded: list[str] = []
        self.not_preloaded: dict[str, str] = {}  # what did not import, and why
        # botocore's data files the server parsed for its children (relative to its data).
        self.shared_data: list[str] = []

    async def start(self) -> None:
        async with self._starting:
            if self._process is not None and self._process.returncode is None:
                return
            await self._start()

    async def _start(self) -> None:
        # Packets keep each request whole, with its descriptors.
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._pids = asyncio.Queue()  # nothing of a previous server's
        try:
            self._process = await asyncio.create_subprocess_exec(
                str(self.executable),
                "-I",
                "-S",
                "-X",
                f"pycache_prefix={self._pycache}",
                str(FORK_SERVER),
                str(theirs.fileno()),
                str(BOOTSTRAP),
                json.dumps(list(PRELOAD)),
                str(self._runtime_dir),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                # Its own, not the gateway's (no configuration files for its warm-up
                # client); each child replaces all of it with its function's.
                env={
                    "PATH": os.defpath,
                    "LANG": "en_US.UTF-8",
                    "TZ": ":UTC",
                    "AWS_CONFIG_FILE": os.devnull,
                    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                },
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        finally:
            theirs.close()
        self._control = ours
        ready: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
        self._readers = [
            asyncio.create_task(self._read_replies(ready)),
            asyncio.create_task(self._relay_errors()),
        ]
        try:
            async with asyncio.timeout(FORK_SERVER_START_SECONDS):
                self.preloaded = await ready
        except BaseException:
            await self.stop()
            raise

    async def _read_replies(self, ready: asyncio.Future[list[str]]) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        stdout = self._process.stdout
        while line := await stdout.readline():
            message = json.loads(line)
            if "ready" in message:
                self.not_preloaded = dict(message.get("failed") or {})
                self.shared_data = [str(path) for path in message.get("shared") or []]
                ready.set_result(list(message["ready"]))
            elif "pid" in message:
                pid = int(message["pid"])
                exits = asyncio.get_running_loop().create_future()
                self._exits[pid] = exits
                self._pids.put_nowait((pid, exits))
            elif "exit" in message:
                exited = self._exits.pop(int(message["exit"]), None)
                if exited is not None and not exited.done():
                    exited.set_result(int(message["status"]))
        # The server is gone: its children were reparented and are no longer reported.
        if not ready.done():
            ready.set_exception(ForkServerError(f"{self.executable}: the fork server exited"))
        for pid, exited in self._exits.items():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            if not exited.done():
                exited.set_result(-signal.SIGKILL)
        self._exits.clear()
        self._pids.put_nowait((-1, asyncio.get_running_loop().create_future()))

    async def _relay_errors(self) -> None:
        assert self._process is not None
        assert self._process.stderr is not None
        while line := await self._process.stderr.readline():
            log.warning("%s", line.decode("utf-8", "replace").rstrip())

    async def __call__(
        self, args: Sequence[str], env: Mapping[str, str], limit: int
    ) -> ContainerProcess:
        await self.start()
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        ours = (stdin_w, stdout_r, stderr_r)
        request = json.dumps({"argv": list(args), "env": dict(env)}).encode()
        try:
            async with self._spawning:  # replies come in the order of the requests
                self._send(request, array.array("i", [stdin_r, stdout_w, stderr_w]))
                # Taken even if this caller is cancelled, so the next gets its own pid (the
                # orphan child then exits: its pipes' other ends are closed below).
                pid, exits = await asyncio.shield(asyncio.ensure_future(self._pids.get()))
        except BaseException:
            for fd in ours:
                os.close(fd)
            raise
        finally:
            for fd in (stdin_r, stdout_w, stderr_w):
                os.close(fd)
        if pid < 0:
            for fd in ours:
                os.close(fd)
            raise ForkServerError(f"{self.executable}: the fork server exited")
        return ForkedProcess(
            pid,
            await _writer(stdin_w),
            await _reader(stdout_r, limit),
            await _reader(stderr_r, 2**16),
            exits,
        )

    def _send(self, request: bytes, fds: array.array[int]) -> None:
        """A request of a few KB on a socket the server drains: it does not block."""
        if self._control is None:
            raise ForkServerError(f"{self.executable}: the fork server is stopped")
        try:
            self._control.sendmsg([request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        except OSError as error:
            raise ForkServerError(f"{self.executable}: the fork server is gone: {error}") from error

    async def stop(self) -> None:
        """End the server (its containers are stopped by their owners first)."""
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)
        self._readers = []


async def _reader(fd: int, limit: int) -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit, loop=loop)
    pipe = os.fdopen(fd, "rb", buffering=0)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe)
    return reader


async def _writer(fd: int) -> asyncio.StreamWriter:
    loop = asyncio.get_running_loop()
    pipe = os.fdopen(fd, "wb", buffering=0)
    transport, protocol = await loop.connect_write_pipe(
        lambda: asyncio.streams.FlowControlMixin(loop=loop), pipe
    )
    return asyncio.StreamWriter(transport, protocol, None, loop)
