"""The terminal client, from start to end (``serverless-chat connect``): the connection
opened (client/connecting.py), the shell around the session started (client/shell.py),
lines read until the person leaves or the server ends it, and the exit status.

Interactive (a terminal on both ends), prompt_toolkit keeps the prompt and the half-typed
line at the bottom while frames arrive above it (``patch_stdout``; client/prompt.py), with
line history and commands (/join, /name, /who, /list, /history, /dm, /edit, /delete, /quit,
/help). Piped (client/pipe.py), it reads stdin and prints to stdout, so it can be scripted:
``printf 'hi\\n' | serverless-chat connect ws://127.0.0.1:8080/production``; a pipe of any
length arrives whole and in order. The client's own words (the banner, a close, a
reconnect) go to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.exceptions import InvalidURI

from serverless_chat.chat.model import FORMATS
from serverless_chat.client.commands import json_object
from serverless_chat.client.connecting import Refused, Unreachable
from serverless_chat.client.pipe import read_pipe
from serverless_chat.client.prompt import read_terminal
from serverless_chat.client.shell import TerminalClient
from serverless_chat.client.tokens import TokenFile, default_path

__all__ = ["frame_for", "run", "with_format"]


def frame_for(line: str, raw: bool = False) -> str:
    """What goes out for one line: as is when raw or already a JSON object, else a message."""
    if raw:
        return line
    if json_object(line) is not None:
        return line.strip()
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


async def chat(
    url: str,
    fmt: str = "text",
    raw: bool = False,
    wait: float = 0.0,
    reconnect: bool = False,
    interactive: bool = False,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    cafile: Path | None = None,
    gateway_certificate: Path | None = None,
) -> int:
    """The whole session; the exit status: 0 when the person left, 1 when the server ended
    it, it could not start, or (a pipe) a line was refused; 2 for a URL that is not ws(s)."""
    tokens = TokenFile(default_path()) if interactive else None
    client = TerminalClient(
        url, fmt, raw, reconnect, interactive, out, err, cafile, gateway_certificate, tokens
    )
    if client.bad_format is not None:
        known = ", ".join(FORMATS)
        client.say(f"error: format={client.bad_format} in the URL: the chat's formats are {known}")
        return 2
    try:
        socket = await client.open()
    except InvalidURI:
        client.say(f"error: {client.address} is not a ws:// or wss:// URL")
        return 2
    except Refused as refusal:
        client.say(f"error: the chat refused the connection: {refusal}")
        return 1
    except Unreachable as error:
        client.say(f"error: cannot connect to {client.address}: {error}")
        return 1
    client.attach(socket)
    receiver = asyncio.create_task(client.receive(), name="receiver")
    sender = asyncio.create_task(client.send_loop(), name="sender")
    gone = asyncio.create_task(client.output_gone.wait(), name="output")
    if interactive:
        try:
            from prompt_toolkit.patch_stdout import patch_stdout
        except ImportError:  # the base install without the client extra: plain lines
            client.say("(prompt_toolkit is not installed: pip install 'serverless-chat[client]')")
            interactive = False
    if interactive:
        # raw: the session's colours and bell reach the terminal as they are (what came
        # from the chat is escaped already: render.py, and say for the client's words)
        with patch_stdout(raw=True):
            reader = asyncio.create_task(read_terminal(client), name="reader")
            status = await _until_done(client, receiver, reader, gone, wait)
            with contextlib.suppress(asyncio.CancelledError):
                await reader  # the prompt has drawn its last before the last words come
    else:  # a pipe, or a terminal without prompt_toolkit
        reader = asyncio.create_task(read_pipe(client, stdin or sys.stdin), name="reader")
        status = await _until_done(client, receiver, reader, gone, wait)
    if client.farewell:
        client.say(client.farewell)
    for task in (sender, gone, reader):
        task.cancel()
    return status


async def _until_done(
    client: TerminalClient,
    receiver: asyncio.Task[None],
    reader: asyncio.Task[None],
    gone: asyncio.Task[bool],
    wait: float,
) -> int:
    await asyncio.wait({receiver, reader, gone}, return_when=asyncio.FIRST_COMPLETED)
    if receiver.done():  # the server ended it (or a reconnect was refused for good)
        reader.cancel()
        return 1
    if not gone.done():
        # Every line sent and answered, then a moment for what follows. (A person who
        # leaves a terminal does not wait for a connection that is not coming back.)
        drained = asyncio.create_task(client.drained())
        await asyncio.wait(
            {drained, receiver, gone},
            timeout=5 if client.interactive else None,
            return_when=asyncio.FIRST_COMPLETED,
        )
        drained.cancel()
        if wait > 0 and not receiver.done():
            await asyncio.wait({receiver, gone}, timeout=wait)
        if receiver.done():
            return 1
    client.leaving = True
    socket = client.socket
    if socket is not None:
        await socket.close()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(receiver, 5)
    return 1 if client.refused_lines and not client.interactive else 0


def run(
    url: str,
    raw: bool = False,
    wait: float | None = None,
    fmt: str = "text",
    reconnect: bool = False,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    cafile: Path | None = None,
    gateway_certificate: Path | None = None,
) -> int:
    """Chat on ``url`` until EOF, /quit, Ctrl-C or the server closes; the exit status.
    On ``wss://``, ``cafile`` is trusted too, or else ``gateway_certificate`` (for an
    address or localhost: client/transport.py)."""
    source = stdin or sys.stdin
    interactive = stdin is None and out is None and source.isatty() and sys.stdout.isatty()
    if wait is None:
        wait = 0.0 if interactive else 1.0
    try:
        session = chat(
            url,
            fmt,
            raw,
            wait,
            reconnect,
            interactive,
            source,
            out,
            err,
            cafile,
            gateway_certificate,
        )
        return asyncio.run(session)
    except KeyboardInterrupt:  # Ctrl-C while reading a pipe: the person left
        return 0
