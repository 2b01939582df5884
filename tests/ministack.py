"""MiniStack (an AWS emulator, pure Python, one port: the pinned dev dependency ministack) as
a subprocess for the tests that deploy to it: bound to 127.0.0.1 only, with every other
listener it has off (IoT's mTLS MQTT port, SFTP), nothing persisted, Docker never touched,
Lambda functions as local worker processes (the Python of this venv), and its files in a
folder of the caller's."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3

REGION = "us-east-1"
START_SECONDS = 30.0


class MiniStackDidNotStart(Exception):
    """MiniStack exited or did not answer in time; the message says which, with its log."""


def credentials() -> dict[str, str]:
    """Fake credentials and nothing of the user's AWS configuration."""
    return {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def clean_environment() -> dict[str, str]:
    drop = ("AWS_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
    return {k: v for k, v in os.environ.items() if not k.upper().startswith(drop)}


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_ministack(home: Path) -> Iterator[str]:
    """MiniStack's endpoint, http://127.0.0.1:PORT; stopped (with its Lambda workers, which
    share its process group) at the end. MiniStackDidNotStart when it cannot start."""
    port = _free_port()
    env = {
        **clean_environment(),
        **credentials(),
        "GATEWAY_PORT": str(port),
        "BIND_HOST": "127.0.0.1",  # its default is 0.0.0.0
        "MINISTACK_HOST": "localhost",
        "MINISTACK_REGION": REGION,
        "IOT_MTLS_ENABLED": "0",  # on by default: a second listener, on 0.0.0.0:8883
        "SFTP_ENABLED": "0",
        "PERSIST_STATE": "0",
        "S3_PERSIST": "0",
        "STATE_DIR": str(home / "state"),
        "S3_DATA_DIR": str(home / "s3"),
        "TMPDIR": str(home),  # its pid file and the functions' unpacked code
        "DOCKER_HOST": f"unix://{home}/no-docker.sock",  # never a Docker daemon
        "LAMBDA_EXECUTOR": "local",
        "LOG_LEVEL": "WARNING",
    }
    with (home / "ministack.log").open("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ministack"],
            cwd=home,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so its workers stop with it
        )
        endpoint = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(process, endpoint, log)
            yield endpoint
        finally:
            _stop(process)


def _wait_until_healthy(process: subprocess.Popen[bytes], endpoint: str, log: Any) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise MiniStackDidNotStart(
                f"MiniStack exited with {process.returncode}:\n{log.read()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"{endpoint}/_ministack/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise MiniStackDidNotStart(
                f"MiniStack did not answer on {endpoint} within {START_SECONDS} s"
            )
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
