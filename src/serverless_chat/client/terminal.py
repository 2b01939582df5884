"""A wscat-like terminal client: typed lines go out as sendMessage, frames come back printed.

Works interactively and with stdin as a pipe, so it can be scripted:
``printf 'hi\n' | serverless-chat connect ws://127.0.0.1:8080/production``.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect


def frame_for(line: str, raw: bool = False) -> str:
    """What to send for one typed line: as is when raw or already a JSON object."""
    if raw:
        return line
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            if isinstance(json.loads(stripped), dict):
                return stripped
        except ValueError:
            pass
    return json.dumps({"action": "sendMessage", "message": line})


def with_format(url: str, fmt: str | None) -> str:
    """The URL asking for ``fmt`` frames, unless it already names a format."""
    if not fmt:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "format" for key, _ in query):
        return url
    return urlunsplit(parts._replace(query=urlencode([*query, ("format", fmt)])))


def _printable(message: str | bytes) -> str:
    if isinstance(message, bytes):
        return f"<binary frame, {len(message)} bytes: {message[:64].hex()}>"
    return message


class _Receiver(threading.Thread):
    """Prints every frame until the connection closes."""

    def __init__(self, socket: ClientConnection, out: TextIO, err: TextIO) -> None:
        super().__init__(daemon=True, name="receiver")
        self._socket = socket
        self._out = out
        self._err = err
        self.closed_by_server = threading.Event()

    def run(self) -> None:
        try:
            for message in self._socket:
                print(_printable(message), file=self._out, flush=True)
        except ConnectionClosed:
            pass
        finally:
            self.closed_by_server.set()


def run(
    url: str,
    raw: bool = False,
    wait: float | None = None,
    fmt: str | None = "text",
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Chat on ``url`` until EOF, Ctrl-C or the server closes; returns the exit status."""
    if wait is None:
        wait = 0.0 if stdin.isatty() else 1.0
    try:
        socket = connect(with_format(url, fmt), open_timeout=10, max_size=None)
    except InvalidURI:
        print(f"error: {url} is not a ws:// or wss:// URL", file=err)
        return 2
    except InvalidHandshake as error:
        print(f"error: the server refused the connection: {error}", file=err)
        return 1
    except (OSError, TimeoutError) as error:
        print(f"error: cannot connect to {url}: {error}", file=err)
        return 1
    receiver = _Receiver(socket, out, err)
    receiver.start()
    try:
        for line in stdin:
            if receiver.closed_by_server.is_set():
                break
            line = line.rstrip("\r\n")
            if line:
                socket.send(frame_for(line, raw))
        receiver.closed_by_server.wait(wait)
    except KeyboardInterrupt:
        pass
    except ConnectionClosed:
        pass
    finally:
        socket.close()
        receiver.join(2)
    if receiver.closed_by_server.is_set() and socket.close_code not in (None, 1000):
        print(f"disconnected: {socket.close_code} {socket.close_reason}".rstrip(), file=err)
    return 0
