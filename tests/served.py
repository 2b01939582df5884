"""`serverless-chat serve` as a subprocess: started on a port, stopped, started again."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

_URL = re.compile(r"on (ws://\S+)")


class ServedGateway:
    """One gateway process at a time, on the same port and state across restarts."""

    def __init__(self, state_dir: Path, log: Path, *args: str) -> None:
        self.state_dir = state_dir
        self.log = log
        self.args = args
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.port = 0

    @property
    def page_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> str:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "serverless_chat.cli",
                    "serve",
                    "--port",
                    str(self.port),
                    "--state-dir",
                    str(self.state_dir),
                    *self.args,
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = _URL.search(line)
        assert match, f"no URL in {line!r}; log: {self.log.read_text()}"
        self.url = match.group(1)
        self.port = int(self.url.rsplit(":", 1)[1].split("/", 1)[0])
        return self.url

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Stop the process (Ctrl-C by default) and return its exit status."""
        if self.process is None:
            return 0
        self.process.send_signal(sig)
        try:
            status = self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None
        return status
