"""Start `serverless-chat serve`, or the baseline server, as a child process and read its URL,
CPU time and memory."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

_URL = re.compile(r"on (ws://\S+)")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time process ``pid`` has used so far (Linux)."""
    fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """The processes started by ``pid`` and by them, still running (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(_stat(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and of the processes it started that still run (the gateway's
    function containers and its embedded DynamoDB)."""
    total = cpu_seconds(pid)
    for child in descendants(pid):
        try:
            total += cpu_seconds(child)
        except OSError:  # it ended meanwhile
            continue
    return total


class ServerProcess:
    """A chat server in a child process on a free port, quiet; its URL is the one the first
    line it prints names."""

    def __init__(self, command: list[str], what: str) -> None:
        # The load generator's boto3 clients sign callback calls with these, and the gateway
        # takes the credentials of its own environment.
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = _URL.search(line)
        if not match:
            self.stop()
            raise RuntimeError(f"the {what} did not start: {line!r}")
        self.url = match.group(1)

    def cpu_seconds(self) -> float:
        """Its CPU time and its children's (containers, an embedded DynamoDB)."""
        return tree_cpu_seconds(self.process.pid)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def rss_kb(self) -> int:
        """Resident memory of the server process, in KB (Linux)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


# Load asks for a raised quota of new connections (as an account that opens thousands a
# second would have granted): what is measured is the gateway, not API Gateway's 500 a second.
LOAD_NEW_CONNECTIONS_PER_SECOND = 100_000


class GatewayProcess(ServerProcess):
    """`serverless-chat serve` in a child process, with its own state folder and a raised
    quota of new connections."""

    def __init__(
        self,
        *parameters: str,
        template: Path | None = None,
        options: tuple[str, ...] = (),
    ) -> None:
        self._state = tempfile.TemporaryDirectory(prefix="serverless-chat-load-")
        command = [sys.executable, "-m", "serverless_chat.cli", "serve", "--port", "0"]
        command += ["--quiet", "--state-dir", self._state.name]
        command += ["--quota-new-connections-per-second", str(LOAD_NEW_CONNECTIONS_PER_SECOND)]
        if template is not None:
            command += ["--template", str(template)]
        for parameter in parameters:
            command += ["--parameter", parameter]
        super().__init__([*command, *options], "gateway")

    @property
    def state_dir(self) -> Path:
        return Path(self._state.name)

    def stop(self) -> None:
        super().stop()
        self._state.cleanup()


class BaselineProcess(ServerProcess):
    """The minimal broadcast server `bench` compares the gateway against
    (serverless_chat.loadgen.baseline), in a child process."""

    def __init__(self, options: tuple[str, ...] = ()) -> None:
        command = [sys.executable, "-m", "serverless_chat.loadgen.baseline", *options]
        super().__init__(command, "baseline server")
