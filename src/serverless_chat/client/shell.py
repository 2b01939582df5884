"""The terminal client's shell around one session: its socket (and reconnects), the clock
it waits on, and where its lines go. What the client decides is client/session.py's
(without I/O): what a line sends, which answer is whose, the pause after RATE_LIMITED, what
to print. The shell feeds the session each frame and line, sends what it gives — one
answered request at a time, waiting at most ANSWER_TIMEOUT for its answer, the rest paced
(client/pacing.py) — and prints what it says: frames to stdout, its own words (a close, a
reconnect) to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from serverless_chat.chat.frames import shown
from serverless_chat.client.connecting import close_words, open_connection, reconnect
from serverless_chat.client.pacing import UNANSWERED_BURST, UNANSWERED_RATE, Bucket
from serverless_chat.client.session import ANSWER_TIMEOUT, ChatSession
from serverless_chat.client.style import terminal_style
from serverless_chat.client.tokens import TokenFile


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
        self._bucket = Bucket(UNANSWERED_RATE, UNANSWERED_BURST)
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
            socket = await reconnect(self.open, self.address, self.say, self.say_last)
            if socket is None:
                return
            self.attach(socket)

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
