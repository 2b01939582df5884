"""The terminal client's shell: the socket, the clock and the prompt around a session.

What the client decides is client/session.py's (without I/O): what a line sends, which
answer is whose, the pause after RATE_LIMITED, what to print. This module connects (and
reconnects, with backoff), feeds the session each frame and line, sends what it gives —
one answered request at a time, waiting at most ANSWER_TIMEOUT for its answer — and prints
what it says. Interactive (a terminal on both ends), prompt_toolkit keeps the prompt and
the half-typed line at the bottom while frames arrive above it (``patch_stdout``), with
line history and commands (/join, /name, /who, /list, /history, /dm, /edit, /delete, /quit,
/help). Piped, it reads stdin and prints to stdout, so it can be scripted:
``printf 'hi\\n' | serverless-chat connect ws://127.0.0.1:8080/production``; a pipe of any
length arrives whole and in order. The client's own words (the banner, a close, a
reconnect) go to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import ssl
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from serverless_chat.chat.frames import shown
from serverless_chat.chat.model import FORMATS
from serverless_chat.client.commands import json_object
from serverless_chat.client.session import ANSWER_TIMEOUT, ChatSession
from serverless_chat.client.style import terminal_style
from serverless_chat.client.tokens import TokenFile, default_path
from serverless_chat.client.transport import speaks_tls, tls_context, tls_failure, untrusted

__all__ = ["frame_for", "run", "with_format"]

OPEN_TIMEOUT = 10.0
# With no answer to wait for (a line for $default, --raw), lines are paced by a bucket
# of the chat's default size: 10 a second, 20 at once.
UNANSWERED_RATE, UNANSWERED_BURST = 10.0, 20

# What a close code means, in words (RFC 6455 section 7.4.1, and what the gateway uses).
CLOSE_CODES = {
    1000: "normal closure",
    1001: "going away: the server is shutting down or the connection was idle or open too long",
    1002: "protocol error",
    1003: "unsupported data: the chat takes text frames only",
    1005: "no status code",
    1006: "the connection was lost without a close frame",
    1007: "invalid data",
    1008: "policy violation",
    1009: "message too big",
    1011: "the server hit an internal error",
    1012: "the server is restarting",
    1013: "try again later",
    1014: "bad gateway",
}


def close_words(code: int | None, reason: str) -> str:
    """``1001 (going away: …) "Going away"``: a close code, what it means, the reason."""
    if code is None:
        code = 1006
    words = CLOSE_CODES.get(code, "application-defined" if 3000 <= code <= 4999 else "unknown")
    said = f' "{reason}"' if reason and reason.lower() not in words.lower() else ""
    return f"{code} ({words}){said}"


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


class Refused(Exception):
    """The handshake was answered with an HTTP status: the chat's reason, and whether
    trying again could help."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason

    @property
    def final(self) -> bool:
        """4xx but 408/429 cannot be mended by trying again (a bad option, a token)."""
        return 400 <= self.status < 500 and self.status not in (408, 429)

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        return f"{self.reason} (HTTP {self.status}{code})"


class Unreachable(Exception):
    """No WebSocket at that address: nothing listens, no answer, not a WebSocket server."""


def _refusal(error: InvalidStatus) -> Refused:
    response = error.response
    body = bytes(response.body or b"")
    code, reason = "", ""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        code = str(answer.get("code") or "")
        reason = str(answer.get("message") or answer.get("Message") or "")
    if not reason:
        text = " ".join(body.decode("utf-8", "replace").split())[:300]
        reason = text or response.reason_phrase or "refused"
    return Refused(response.status_code, code, reason)


async def open_connection(
    url: str, cafile: Path | None = None, gateway_certificate: Path | None = None
) -> ClientConnection:
    """The WebSocket, or Refused / Unreachable / InvalidURI with a reason in words. A
    ``wss://`` URL trusts what client/transport.py's ``tls_context`` says, made anew at each
    connection (a gateway makes a new certificate at each start)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    context = tls_context(host, cafile, gateway_certificate) if parts.scheme == "wss" else None
    try:
        return await connect(url, open_timeout=OPEN_TIMEOUT, max_size=None, ssl=context)
    except InvalidURI:
        raise
    except InvalidStatus as error:
        raise _refusal(error) from None
    except InvalidHandshake as error:
        if parts.scheme == "ws" and await speaks_tls(host, parts.port or 80):
            raise Unreachable("it speaks TLS there: use wss:// for that port") from None
        raise Unreachable(f"it did not answer as a WebSocket server ({error})") from None
    except TimeoutError:
        raise Unreachable(f"no answer within {OPEN_TIMEOUT:.0f} s") from None
    except ssl.SSLCertVerificationError as error:
        raise Unreachable(untrusted(error, host, gateway_certificate)) from None
    except ssl.SSLError as error:
        raise Unreachable(tls_failure(error)) from None
    except OSError as error:  # asyncio's strerror is "Connect call failed ('127.0.0.1', 9)"
        number = error.errno if isinstance(error, ConnectionError) else None
        words = os.strerror(number) if number else error.strerror or str(error)
        raise Unreachable(words[:1].lower() + words[1:]) from None


class _Bucket:
    """A token bucket: ``await take()`` waits for a token."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), time.monotonic()

    async def take(self) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)


class TerminalClient:
    """The shell around one :class:`~serverless_chat.client.session.ChatSession`: its
    connection (and its reconnects), the clock it waits on, and where its lines go."""

    def __init__(
        self,
        url: str,
        fmt: str = "text",
        raw: bool = False,
        reconnect: bool = False,
        interactive: bool = False,
        out: TextIO | None = None,
        err: TextIO | None = None,
        cafile: Path | None = None,
        gateway_certificate: Path | None = None,
        tokens: TokenFile | None = None,
    ) -> None:
        terminal = (out or sys.stdout).isatty()
        # A person's direct messages last: their resume token, kept in a file.
        self.tokens = tokens
        address = urlunsplit(urlsplit(url)._replace(query=""))
        self.session = ChatSession(
            url,
            fmt,
            raw,
            interactive,
            terminal=terminal,
            style=terminal_style(terminal, os.environ),
            keeps_directs=tokens is not None,
            token=tokens.load(address) if tokens is not None else None,
        )
        self.reconnect = reconnect
        self.interactive = interactive
        self._out, self._err = out, err
        self._wake = asyncio.Event()  # something for the sender: a line, an answer, a socket
        self._idle = asyncio.Event()
        self._idle.set()
        self._sending = False  # an item taken from the session is not sent yet
        self.connected = asyncio.Event()
        self.socket: ClientConnection | None = None
        self.leaving = False
        self.output_gone = asyncio.Event()
        self.farewell: str | None = None  # the last words, when the prompt would swallow them
        self._bucket = _Bucket(UNANSWERED_RATE, UNANSWERED_BURST)
        self.on_change: Callable[[], None] = lambda: None  # the prompt shows room and name
        self._trust = (cafile, gateway_certificate)

    async def open(self) -> ClientConnection:
        """A connection to the URL the session holds now (:func:`open_connection`)."""
        return await open_connection(self.url(), *self._trust)

    @property
    def fmt(self) -> str:
        return self.session.fmt

    @property
    def bad_format(self) -> str | None:
        return self.session.bad_format

    @property
    def room(self) -> str:
        return self.session.room

    @property
    def name(self) -> str:
        return self.session.name

    @property
    def refused_lines(self) -> int:
        return self.session.refused_lines

    @property
    def address(self) -> str:
        return self.session.address

    def url(self) -> str:
        return self.session.url()

    # -- output ----------------------------------------------------------------------
    def emit(self, line: str) -> None:
        try:
            print(line, file=self._out or sys.stdout, flush=True)
        except BrokenPipeError:  # `connect … | head`: the reader left, so does the client
            with contextlib.suppress(OSError, ValueError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            self.output_gone.set()

    def say(self, line: str) -> None:
        """The client's own words, on stderr; on a terminal, what the server put in them (a
        close reason, a refusal's) cannot act on it."""
        err = self._err or sys.stderr
        with contextlib.suppress(BrokenPipeError, ValueError):
            if err.isatty():
                line = "\n".join(shown(part) for part in line.split("\n"))
            print(line, file=err, flush=True)

    def say_last(self, line: str) -> None:
        """Why the session ends. At a prompt it is said once the prompt is gone: printed
        while the prompt closes, prompt_toolkit's screen would take it with it."""
        if self.interactive:
            self.farewell = line
        else:
            self.say(line)

    def flush(self) -> None:
        """What the session has said, printed (the shell's key bindings call it)."""
        self._flush()

    def _flush(self) -> None:
        """What the session has to print, printed; the sender woken, the prompt redrawn."""
        for printed in self.session.take_output():
            self.say(printed.text) if printed.own else self.emit(printed.text)
        if self.session.idle and not self._sending:
            self._idle.set()
        else:
            self._idle.clear()
        self._wake.set()
        self.on_change()

    # -- the connection ------------------------------------------------------------------
    def attach(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.session.opened(time.monotonic())
        self.connected.set()
        self._flush()

    def _keep_token(self) -> None:
        token = self.session.take_token()
        if token is not None and self.tokens is not None:
            problem = self.tokens.save(self.session.address, token)
            if problem is not None:
                self.say(f"({problem})")

    async def receive(self) -> None:
        """Print frames until the connection ends for good (reconnecting if asked)."""
        while (socket := self.socket) is not None:
            with contextlib.suppress(ConnectionClosed):
                async for data in socket:
                    self.session.received(data)
                    self._keep_token()
                    self._flush()
            self.connected.clear()
            self.socket = None
            self.session.closed()
            self._flush()
            if self.leaving:
                return
            words = close_words(socket.close_code, socket.close_reason or "")
            closed = f"The server closed the connection: {words}."
            if not self.reconnect:
                self.say_last(closed)
                return
            self.say(closed)
            if not await self._reconnect():
                return

    async def _reconnect(self) -> bool:
        attempt, taken = 0, 0
        while True:
            ceiling = min(30.0, 0.5 * 2**attempt)
            delay = ceiling / 2 + random.random() * ceiling / 2  # backoff with jitter
            attempt += 1
            self.say(f"Reconnecting in {delay:.1f} s (attempt {attempt})…")
            await asyncio.sleep(delay)
            try:
                socket = await self.open()
            except Refused as refusal:
                # A name taken just after a drop is most likely our own old connection's,
                # which the chat has not seen go yet: that one mends itself, a few times.
                if refusal.status == 409 and taken < 5:
                    taken += 1
                    self.say(f"Refused: {refusal}; trying again.")
                    continue
                if refusal.final:
                    self.say_last(f"error: the chat refused the connection: {refusal}")
                    return False
                self.say(f"Refused: {refusal}.")
                continue
            except Unreachable as error:
                self.say(f"Cannot connect to {self.address}: {error}.")
                continue
            self.say(f"Reconnected to {self.address}.")
            self.attach(socket)
            return True

    # -- what goes out ---------------------------------------------------------------------
    def handle_line(self, line: str) -> bool:
        """Act on one line; False when it asks to leave."""
        keep = self.session.typed(line)
        self._flush()
        return keep

    async def drained(self) -> None:
        await self._idle.wait()

    async def send_loop(self) -> None:
        """What the session gives, sent: an answered request waits for its answer (or
        ANSWER_TIMEOUT) before the next; the rest is paced by a token bucket."""
        loop = asyncio.get_running_loop()
        while True:
            if pause := self.session.take_pause():
                await asyncio.sleep(pause)  # RATE_LIMITED: the chat's own pause
            item = self.session.next_send(time.monotonic())
            socket = self.socket
            if item is not None and socket is None:
                self.session.unsent(item)
                item = None
            self._sending = item is not None
            self._flush()
            if item is None or socket is None:
                self._wake.clear()
                # Woken by a line, an answer or a socket, or when the keep-alive is due.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wake.wait(), self.session.ping_in(time.monotonic())
                    )
                continue
            try:
                if item.ref is None:
                    await self._bucket.take()
                await socket.send(item.text)
            except ConnectionClosed:
                self.session.unsent(item)
                continue
            finally:
                self._sending = False
                self._flush()
            deadline = loop.time() + ANSWER_TIMEOUT
            while self.session.in_flight is item:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), deadline - loop.time())
                except TimeoutError:
                    self.session.timed_out()
                    self._flush()


def _stdin_lines(stdin: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
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


async def _read_pipe(client: TerminalClient, stdin: TextIO) -> None:
    lines = _stdin_lines(stdin, asyncio.get_running_loop())
    while (line := await lines.get()) is not None:
        if not client.handle_line(line):
            return


async def _read_terminal(client: TerminalClient) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.document import Document
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    def prompt() -> str:
        state = "" if client.connected.is_set() else "(offline) "
        return f"{state}{client.name or '…'}@{client.room}> "

    class SessionCompleter(Completer):
        """Tab: what the session offers (ChatSession.complete) for the word before the
        cursor."""

        def get_completions(self, document: Document, _event: object) -> Any:
            before = document.text_before_cursor
            command = before.startswith("/") and " " not in before
            word = before if command else before.rsplit(" ", 1)[-1]
            for option in client.session.complete(before):
                yield Completion(option, start_position=-len(word))

    keys = KeyBindings()

    @keys.add("c-c")
    def _interrupt(event: KeyPressEvent) -> None:
        buffer = event.app.current_buffer
        if client.session.interrupt(buffer.text):
            event.app.exit(exception=KeyboardInterrupt())
        else:
            buffer.reset()
        client.flush()

    # Erased once sent: the line comes back as the chat's own, in the chat's order
    # (raw clients get no copy of their own messages, so there it stays).
    session: PromptSession[str] = PromptSession(
        erase_when_done=client.fmt != "raw",
        completer=SessionCompleter(),
        complete_while_typing=False,
        key_bindings=keys,
    )

    def refresh() -> None:
        if session.app.is_running:
            session.app.invalidate()

    client.on_change = refresh
    while True:
        try:
            line = await session.prompt_async(prompt)
        except (EOFError, KeyboardInterrupt):
            return
        if not client.handle_line(line):
            return


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
            reader = asyncio.create_task(_read_terminal(client), name="reader")
            status = await _until_done(client, receiver, reader, gone, wait)
            with contextlib.suppress(asyncio.CancelledError):
                await reader  # the prompt has drawn its last before the last words come
    else:  # a pipe, or a terminal without prompt_toolkit
        reader = asyncio.create_task(_read_pipe(client, stdin or sys.stdin), name="reader")
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
