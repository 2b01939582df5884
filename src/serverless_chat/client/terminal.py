"""The terminal client: typed or piped lines go out as sendMessage, frames come back printed.

Interactive (a terminal on both ends), prompt_toolkit keeps the prompt and the half-typed
line at the bottom while frames arrive above it (``patch_stdout``), with line history and
commands (/join, /name, /who, /history, /dm, /quit, /help). Piped, it reads stdin and
prints to stdout, so it can be scripted:
``printf 'hi\\n' | serverless-chat connect ws://127.0.0.1:8080/production``.

Either way it talks the chat's json format (see client/render.py) and prints the frames in
the format asked for; each line waits for its answer before the next goes, and one refused
with RATE_LIMITED is sent again after a pause, so a pipe of any length arrives whole and in
order. The client's own words (the banner, a close, a reconnect) go to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple, TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from serverless_chat.chat.model import DEFAULT_ROOM, FORMATS
from serverless_chat.client.commands import HELP, Command, Send, json_object, parse_line
from serverless_chat.client.render import parse, render, render_parsed

__all__ = ["frame_for", "run", "with_format"]

ANSWER_TIMEOUT = 30.0  # API Gateway gives up on an integration after 29 s
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


async def open_connection(url: str) -> ClientConnection:
    """The WebSocket, or Refused / Unreachable / InvalidURI with a reason in words."""
    try:
        return await connect(url, open_timeout=OPEN_TIMEOUT, max_size=None)
    except InvalidURI:
        raise
    except InvalidStatus as error:
        raise _refusal(error) from None
    except InvalidHandshake as error:
        raise Unreachable(f"it did not answer as a WebSocket server ({error})") from None
    except TimeoutError:
        raise Unreachable(f"no answer within {OPEN_TIMEOUT:.0f} s") from None
    except OSError as error:  # asyncio's strerror is "Connect call failed ('127.0.0.1', 9)"
        number = error.errno if isinstance(error, ConnectionError) else None
        words = os.strerror(number) if number else error.strerror or str(error)
        raise Unreachable(words[:1].lower() + words[1:]) from None


class _Outgoing(NamedTuple):
    text: str
    ref: str | None = None
    action: str = ""
    automatic: bool = False  # the client's own join on connecting, not a line of the person's
    older: bool = False  # /history: its cursor is the one known when it goes, not when typed
    # /edit and /delete: the request, its message named when it goes (the last of ours then)
    revise: dict[str, Any] | None = None


class _Lost:
    """The answer to a request whose connection went before its answer came."""


_LOST = _Lost()


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


def _retry_after(answer: dict[str, Any], refusals: int) -> float:
    """How long to wait after RATE_LIMITED: the frame's ``retryAfterMs`` (one token's time
    at the connection's rate; without it, at the chat's default rate), doubled for each
    refusal in a row, at most 2 s."""
    after = answer.get("retryAfterMs")
    if isinstance(after, bool) or not isinstance(after, int | float) or after <= 0:
        after = 1000 / UNANSWERED_RATE
    return float(min(2.0, after / 1000 * 2 ** (refusals - 1)))


class TerminalClient:
    """One person's session: its connection (and its reconnects), what goes out, what is
    printed."""

    def __init__(
        self,
        url: str,
        fmt: str = "text",
        raw: bool = False,
        reconnect: bool = False,
        interactive: bool = False,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        asked = [value for key, value in query if key == "format"]
        # A format the chat does not know is refused before connecting (the chat answers
        # it 400 INVALID_FORMAT): the client asks for json frames and prints them itself.
        self.bad_format = asked[-1] if asked and asked[-1] not in FORMATS else None
        self.fmt = asked[-1] if asked and not self.bad_format else fmt
        self._parts = parts
        self._query = [(k, v) for k, v in query if k != "format"] if asked else query
        self.room = next((v for k, v in query if k == "room" and v), DEFAULT_ROOM)
        self.name = next((v for k, v in query if k == "name" and v), "")
        self.raw = raw
        self.reconnect = reconnect
        self.interactive = interactive
        self._out, self._err = out, err
        self.ref_prefix = f"t{secrets.token_hex(2)}-"
        self._refs = 0
        self._actions: dict[str, str] = {}  # ref -> action, for the answers
        self._waiting: dict[str, asyncio.Future[dict[str, Any] | _Lost | None]] = {}
        self._in_flight: str | None = None
        self._urgent: deque[_Outgoing] = deque()  # the join of a (re)connect
        self._outbox: deque[_Outgoing] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.connected = asyncio.Event()
        self.socket: ClientConnection | None = None
        self.leaving = False
        self.output_gone = asyncio.Event()
        self.refused_lines = 0
        self._seen: set[str] = set()
        self._cursor: str | None = None  # the history page before the oldest one shown
        self._last_own: dict[str, Any] | None = None  # id and sentAt of our latest message
        self.farewell: str | None = None  # the last words, when the prompt would swallow them
        self._history_known = False  # a page came: _cursor None then means no more
        # Per join answered, what of its history to print: "all", "new" (a reconnect's
        # join repeats what was shown) or "none" (raw: the raw format sends none).
        self._join_history: list[str] = []
        self._join_answers: deque[asyncio.Future[dict[str, Any] | _Lost | None]] = deque()
        self._first_welcome = True
        self._bucket = _Bucket(UNANSWERED_RATE, UNANSWERED_BURST)
        self.on_change: Callable[[], None] = lambda: None  # the prompt shows room and name

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
        """The client's own words, on stderr."""
        with contextlib.suppress(BrokenPipeError, ValueError):
            print(line, file=self._err or sys.stderr, flush=True)

    def say_last(self, line: str) -> None:
        """Why the session ends. At a prompt it is said once the prompt is gone: printed
        while the prompt closes, prompt_toolkit's screen would take it with it."""
        if self.interactive:
            self.farewell = line
        else:
            self.say(line)

    # -- the connection ------------------------------------------------------------------
    def url(self) -> str:
        """The URL for the next connection: the room and name held now, json frames."""
        query = [(k, v) for k, v in self._query if k not in {"room", "name", "format"}]
        if self.room:
            query.append(("room", self.room))
        if self.name:
            query.append(("name", self.name))
        query.append(("format", "json"))
        return urlunsplit(self._parts._replace(query=urlencode(query)))

    @property
    def address(self) -> str:
        return urlunsplit(self._parts._replace(query=""))

    def attach(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._urgent.clear()
        self._urgent.append(self._request({"action": "join", "room": self.room}, True))
        self.connected.set()
        self._wake.set()
        self.on_change()

    async def receive(self) -> None:
        """Print frames until the connection ends for good (reconnecting if asked)."""
        while (socket := self.socket) is not None:
            with contextlib.suppress(ConnectionClosed):
                async for data in socket:
                    self.on_frame(data)
            self.connected.clear()
            self.socket = None
            self._join_history.clear()
            self._join_answers.clear()
            self.on_change()
            for future in self._waiting.values():
                if not future.done():
                    future.set_result(_LOST)
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
                socket = await open_connection(self.url())
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

    # -- what arrives ----------------------------------------------------------------------
    def on_frame(self, data: str | bytes) -> None:
        if isinstance(data, bytes) or (frame := parse(data)) is None:
            self._show(data)
            return
        kind = frame.get("type")
        ref = frame.get("ref")
        ours = isinstance(ref, str) and ref in self._actions
        action = self._actions.get(ref, "") if isinstance(ref, str) else ""
        future = self._waiting.get(ref) if isinstance(ref, str) else None
        if future is None and kind is None and "requestId" in frame and self._in_flight:
            future = self._waiting.get(self._in_flight)  # a gateway error: the one in flight
        if future is not None and not future.done():
            if kind == "welcome" and action.startswith("join"):
                self._join_answers.append(future)  # answered once its history is in too
            else:
                future.set_result(frame)
        if kind == "error" and frame.get("code") == "RATE_LIMITED" and future is not None:
            return  # sent again after a pause (the sender's loop)
        if (kind == "error" or (kind is None and "requestId" in frame)) and not (
            self._is_automatic(ref)
        ):
            self.refused_lines += 1
        if kind == "welcome":
            self._welcome(frame, action, ref)
            if self._is_automatic(ref):
                return
        elif kind == "history":
            kept = self._history(frame, action)
            if kept is None:
                return
            if kept is not frame:
                data = json.dumps(kept, separators=(",", ":"), ensure_ascii=False)
                frame = kept
            if action == "history" and self.fmt == "text" and kept.get("messages"):
                # A terminal cannot print above what it printed: the older page comes
                # below the newer lines, so it says what it is.
                self.emit(f"* earlier in {self.room}:")
        elif kind in {"message", "direct"}:
            if isinstance(frame.get("id"), str):
                if frame["id"] in self._seen:
                    return  # it came in a join's history already
                self._seen.add(frame["id"])
            if ours and kind == "message" and action == "sendMessage":
                self._last_own = {"id": frame.get("id"), "sentAt": frame.get("sentAt")}
            if self.fmt == "raw" and ours:
                return  # the raw format never echoes a sender's own message
        elif kind == "who" and ours and frame.get("next"):
            self._queue(self._request({"action": "who", "after": frame["next"]}))
        line = render_parsed(data, frame, self.fmt, self.ref_prefix)  # parsed once, above
        if line is not None:
            self.emit(line)

    def _show(self, data: str | bytes) -> None:
        line = render(data, self.fmt, self.ref_prefix)
        if line is not None:
            self.emit(line)

    def _is_automatic(self, ref: object) -> bool:
        return isinstance(ref, str) and self._actions.get(ref) == "join*"

    def _welcome(self, frame: dict[str, Any], action: str, ref: object) -> None:
        room, name = str(frame.get("room", self.room)), str(frame.get("name", self.name))
        if room != self.room or action.startswith("join"):
            self._cursor, self._history_known = None, False
        self.room, self.name = room, name
        if action.startswith("join"):
            automatic = self._is_automatic(ref)
            self._join_history.append(
                "none" if self.fmt == "raw" else "new" if automatic else "all"
            )
        if self._is_automatic(ref):
            if self._first_welcome:
                hint = "; /help lists the commands, Ctrl-D leaves" if self.interactive else ""
                self.say(f"Connected to {self.address} as {name} in {room}{hint}.")
            else:
                self.say(f"You are {name} in {room} again.")
            self._first_welcome = False
        self.on_change()

    def _history(self, frame: dict[str, Any], action: str) -> dict[str, Any] | None:
        """A history page as it will be printed, or None: one that answers a join shows
        only messages not shown yet (a reconnect's join repeats them)."""
        answers_join = frame.get("ref") is None and bool(self._join_history)
        if answers_join or action == "history":
            self._cursor = frame.get("next") if isinstance(frame.get("next"), str) else None
            self._history_known = True
        if not answers_join:
            return frame
        shown = self._join_history.pop(0)
        if self._join_answers and not (answer := self._join_answers.popleft()).done():
            answer.set_result(frame)
        messages = [m for m in frame.get("messages", []) if isinstance(m, dict)]
        fresh = [m for m in messages if m.get("id") not in self._seen]
        self._seen.update(str(m.get("id")) for m in messages)
        if shown == "none" or (shown == "new" and not fresh):
            return None
        return frame if shown == "all" else {**frame, "messages": fresh}

    # -- what goes out ---------------------------------------------------------------------
    def _request(self, frame: dict[str, Any], automatic: bool = False) -> _Outgoing:
        """A request that is answered: with a ref of the client's unless it has its own."""
        ref = frame.get("ref")
        if not isinstance(ref, str):
            self._refs += 1
            ref = f"{self.ref_prefix}{self._refs}"
            frame = {**frame, "ref": ref}
        action = str(frame.get("action"))
        self._actions[ref] = "join*" if automatic else action
        text = json.dumps(frame, ensure_ascii=False)
        return _Outgoing(text, ref, action, automatic)

    def _queue(self, item: _Outgoing) -> None:
        self._outbox.append(item)
        self._idle.clear()
        self._wake.set()

    def handle_line(self, line: str) -> bool:
        """Act on one line; False when it asks to leave."""
        parsed = parse_line(line, self.raw)
        if parsed is None:
            return True
        if isinstance(parsed, Command):
            if parsed.name == "quit":
                return False
            if parsed.name == "help":
                self.emit(HELP)
            elif parsed.name == "history":
                self._queue(_Outgoing("", older=True))
            elif parsed.name == "edit":
                self._queue(_Outgoing("", revise={"action": "editMessage", "message": parsed.text}))
            elif parsed.name == "delete":
                self._queue(_Outgoing("", revise={"action": "deleteMessage"}))
            else:
                self.say(parsed.text)
            return True
        self._queue(self._outgoing(parsed))
        if not self.connected.is_set() and self.interactive:
            self.say("(offline: it goes out once the connection is back)")
        return True

    def _outgoing(self, send: Send) -> _Outgoing:
        if send.frame is not None and send.answered:
            return self._request(send.frame)
        return _Outgoing(send.text if send.frame is None or send.text else json.dumps(send.frame))

    async def drained(self) -> None:
        await self._idle.wait()

    async def send_loop(self) -> None:
        """One request at a time, each answered (or timed out) before the next."""
        refusals = 0
        while True:
            while not (self._urgent or self._outbox):
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
            await self.connected.wait()
            socket = self.socket
            queue = self._urgent if self._urgent else self._outbox
            item = queue.popleft()
            if socket is None:
                queue.appendleft(item)
                continue
            if item.older:
                if self._history_known and self._cursor is None:
                    none = f"* no earlier messages in {self.room}"
                    self.emit(none) if self.fmt == "text" else self.say(none)
                    continue
                request: dict[str, Any] = {"action": "history"}
                if self._cursor:
                    request["before"] = self._cursor
                item = self._request(request)
            if item.revise is not None:
                if self._last_own is None:
                    self.refused_lines += 1
                    self.say("* no message of yours to change yet")
                    continue
                item = self._request({**item.revise, **self._last_own})
            if item.ref is None:
                await self._bucket.take()
                try:
                    await socket.send(item.text)
                except ConnectionClosed:
                    queue.appendleft(item)
                    self.connected.clear()
                continue
            future: asyncio.Future[dict[str, Any] | _Lost | None] = (
                asyncio.get_running_loop().create_future()
            )
            self._waiting[item.ref] = future
            self._in_flight = item.ref
            try:
                await socket.send(item.text)
                answer = await asyncio.wait_for(future, ANSWER_TIMEOUT)
            except ConnectionClosed:
                answer = _LOST
            except TimeoutError:
                answer = None
                self.say(f"No answer to {item.action} within {ANSWER_TIMEOUT:.0f} s.")
            finally:
                self._waiting.pop(item.ref, None)
                self._in_flight = None
            if isinstance(answer, _Lost):
                if not item.automatic:  # the next connection sends it (its own join first)
                    self._outbox.appendleft(item)
                self.connected.clear()
                continue
            if isinstance(answer, dict) and answer.get("code") == "RATE_LIMITED":
                refusals += 1
                await asyncio.sleep(_retry_after(answer, refusals))
                queue.appendleft(item)
                continue
            refusals = 0


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

    def prompt() -> str:
        state = "" if client.connected.is_set() else "(offline) "
        return f"{state}{client.name or '…'}@{client.room}> "

    # Erased once sent: the line comes back as the chat's own, in the chat's order
    # (raw clients get no copy of their own messages, so there it stays).
    session: PromptSession[str] = PromptSession(erase_when_done=client.fmt != "raw")

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
) -> int:
    """The whole session; the exit status: 0 when the person left, 1 when the server ended
    it, it could not start, or (a pipe) a line was refused; 2 for a URL that is not ws(s)."""
    client = TerminalClient(url, fmt, raw, reconnect, interactive, out, err)
    if client.bad_format is not None:
        known = ", ".join(FORMATS)
        client.say(f"error: format={client.bad_format} in the URL: the chat's formats are {known}")
        return 2
    try:
        socket = await open_connection(client.url())
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
        with patch_stdout():
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
) -> int:
    """Chat on ``url`` until EOF, /quit, Ctrl-C or the server closes; the exit status."""
    source = stdin or sys.stdin
    interactive = stdin is None and out is None and source.isatty() and sys.stdout.isatty()
    if wait is None:
        wait = 0.0 if interactive else 1.0
    try:
        return asyncio.run(chat(url, fmt, raw, wait, reconnect, interactive, source, out, err))
    except KeyboardInterrupt:  # Ctrl-C while reading a pipe: the person left
        return 0
