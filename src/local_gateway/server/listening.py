"""Where the gateway listens and keeps its state: a listening socket on the asked address,
or CannotListen saying why; the state folder, its owner's alone."""

from __future__ import annotations

import os
import socket as sockets
from pathlib import Path

from local_gateway.errors import CannotListen


def listen(host: str, port: int) -> sockets.socket:
    """A non-blocking socket listening on ``host:port`` (0: a free port)."""
    family = sockets.AF_INET6 if ":" in host else sockets.AF_INET
    listener = sockets.socket(family, sockets.SOCK_STREAM)
    listener.setsockopt(sockets.SOL_SOCKET, sockets.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(1024)
    except OSError as error:
        listener.close()
        raise CannotListen(f"{host}:{port}", error.strerror or str(error)) from error
    listener.setblocking(False)
    return listener


def private_folder(folder: Path) -> None:
    """The state folder, readable by its owner alone: it holds the history, the TLS key and
    the functions' code and bytecode."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.stat().st_uid == os.getuid():
        folder.chmod(0o700)
