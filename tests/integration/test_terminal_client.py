"""`serverless-chat connect` against a live gateway: piped, in a pseudo-terminal, refused,
closed by the server, reconnecting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import re
import select
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from websockets.asyncio.client import ClientConnection, connect

from local_gateway import LocalGateway
from serverless_chat.chat.usage import USAGE_PREFIX
from tests.conftest import ROOT
from tests.integration.conftest import recv
from tests.served import ServedGateway

CLIENT = [sys.executable, "-m", "serverless_chat.cli", "connect"]


def _client(
    url: str, stdin: str, *flags: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLIENT, url, "--wait", "1", *flags],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


async def _texts(listener: ClientConnection, count: int, timeout: float = 30) -> list[str]:
    """The texts of the next ``count`` message frames a json listener receives."""
    texts: list[str] = []
    deadline = time.monotonic() + timeout
    while len(texts) < count:
        frame = json.loads(await recv(listener, max(0.1, deadline - time.monotonic())))
        if frame.get("type") == "message":
            texts.append(frame["text"])
    return texts


async def test_lines_become_send_message_and_replies_are_printed(chat: LocalGateway) -> None:
    async with connect(chat.url) as listener:
        result = await asyncio.to_thread(_client, chat.url, 'Hello AWS\n{"action": "whatever"}\n')
        assert await recv(listener) == "Hello AWS"
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith(": Hello AWS")  # its own message, once the chat has it
    assert lines[1].startswith(USAGE_PREFIX)
    assert "Traceback" not in result.stderr


async def test_raw_sends_lines_untouched(chat: LocalGateway) -> None:
    async with connect(chat.url) as listener:
        result = await asyncio.to_thread(_client, chat.url, "plain words\n", "--raw")
        # Not JSON, so $default answered the client; the listener heard nothing.
        assert result.stdout.startswith(USAGE_PREFIX)
        try:
            await asyncio.wait_for(listener.recv(), 0.2)
            raise AssertionError("the listener should hear nothing")
        except TimeoutError:
            pass


@pytest.mark.parametrize(
    ("flags", "printed"),
    [
        ((), ["ana: to the terminal"]),
        (("--format", "raw"), ["to the terminal"]),
        (("--format", "json"), ["message"]),
    ],
)
async def test_received_frames_are_printed(
    chat: LocalGateway, flags: tuple[str, ...], printed: list[str]
) -> None:
    async with connect(chat.url + "?name=ana") as talker:
        process = await asyncio.create_subprocess_exec(
            *CLIENT,
            chat.url,
            "--wait",
            "2",
            *flags,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        while len(chat.registry) < 2:
            await asyncio.sleep(0.02)
        await talker.send('{"action": "sendMessage", "message": "to the terminal"}')
        assert process.stdin is not None
        process.stdin.close()
        out, _ = await asyncio.wait_for(process.communicate(), 60)
    lines = out.decode().splitlines()
    if flags[-1:] == ("json",):
        lines = [json.loads(line)["type"] for line in lines]
    assert lines == printed


async def test_a_hundred_piped_lines_all_arrive_in_order(chat: LocalGateway) -> None:
    """Past the rate limit (10 a second, bursts of 20) the client waits and sends again."""
    lines = [str(i) for i in range(1, 101)]
    async with connect(chat.url + "?format=json") as listener:
        result, heard = await asyncio.gather(
            asyncio.to_thread(_client, chat.url, "\n".join(lines) + "\n", timeout=60),
            _texts(listener, 100, timeout=60),
        )
    assert heard == lines
    assert result.returncode == 0, result.stderr
    assert [line.split(": ", 1)[1] for line in result.stdout.splitlines()] == lines
    assert "RATE_LIMITED" not in result.stdout + result.stderr


async def test_banner_and_the_rooms_recent_history_on_connect(chat: LocalGateway) -> None:
    async with connect(chat.url + "?name=ana&room=dev&format=json") as ana:
        for text in ("first", "second"):
            await ana.send(json.dumps({"action": "sendMessage", "message": text}))
            await recv(ana)
        text = await asyncio.to_thread(_client, chat.url + "?room=dev&name=zoe", "")
        as_json = await asyncio.to_thread(
            _client, chat.url + "?room=dev&name=cy", "", "--format", "json"
        )
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == ["ana: first", "ana: second"]
    assert f"Connected to {chat.url} as zoe in dev" in text.stderr
    history = json.loads(as_json.stdout.splitlines()[0])
    assert history["type"] == "history"
    assert [m["text"] for m in history["messages"]] == ["first", "second"]
    assert "ref" not in history


async def test_commands_in_a_pipe(chat: LocalGateway) -> None:
    async with connect(chat.url + "?name=bob&format=json") as bob:
        script = "/name ana\n/who\n/dm bob psst\n/join dev\n/quit\nnever sent\n"
        result = await asyncio.to_thread(_client, chat.url, script)
        frames = [json.loads(await recv(bob)) for _ in range(4)]
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "* you are ana in general",
        "* in general: ana, bob",
        "[direct] ana → bob: psst",
        "* you are ana in dev",
        "* no earlier messages in dev",
    ]
    assert [(f["type"], f.get("event")) for f in frames] == [
        ("presence", "joined"),
        ("presence", "renamed"),
        ("direct", None),
        ("presence", "left"),
    ]
    assert frames[2]["text"] == "psst"


async def test_edit_and_delete_the_last_message_in_a_pipe(chat: LocalGateway) -> None:
    """/edit and /delete name the last message of ours when they go (after its answer), so
    a pipe can send a message and change it at once; the room hears both live."""
    async with connect(chat.url + "?name=bob&format=json") as bob:
        script = "helo\n/edit hello\n/delete\n"
        result = await asyncio.to_thread(_client, chat.url + "?name=zoe", script)
        frames = [json.loads(await recv(bob)) for _ in range(4)]
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "zoe: helo",
        "* zoe edited a message: hello",
        "* zoe deleted a message",
    ]
    assert [f["type"] for f in frames] == ["presence", "message", "edited", "deleted"]
    assert frames[1]["id"] == frames[2]["id"] == frames[3]["id"]
    assert frames[2]["text"] == "hello"


async def test_edit_before_any_message_is_refused_in_a_pipe(chat: LocalGateway) -> None:
    result = await asyncio.to_thread(_client, chat.url, "/delete\n")
    assert result.returncode == 1
    assert "* no message of yours to change yet" in result.stderr


async def test_a_refused_line_in_a_pipe_exits_non_zero(chat: LocalGateway) -> None:
    result = await asyncio.to_thread(_client, chat.url, "/join Not A Room\n")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "! INVALID_ROOM: A room is 1-64 characters of a-z, 0-9, '_' and '-'."
    ]


async def test_a_refused_handshake_prints_the_reason(chat: LocalGateway) -> None:
    async with connect(chat.url + "?name=ana"):
        result = await asyncio.to_thread(_client, chat.url + "?name=ana", "hi\n")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'error: the chat refused the connection: "ana" is taken in general. (HTTP 409 NAME_TAKEN)'
    )


async def test_a_close_by_the_server_is_shown_at_once_and_exits_non_zero(
    chat: LocalGateway,
) -> None:
    others = set(chat.registry.ids())  # (connections earlier tests left closing)
    process = await asyncio.create_subprocess_exec(
        *CLIENT,
        chat.url,
        stdin=asyncio.subprocess.PIPE,  # left open: the client is not told to leave
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    # Closed once the client says it is connected (its join answered), not after a pause.
    while not (line := await asyncio.wait_for(process.stderr.readline(), 60)).startswith(
        b"Connected to "
    ):
        assert line, "the client ended before it said it was connected"
    mine = set(chat.registry.ids()) - others
    await chat.registry.close(mine.pop(), 1001, "Going away")
    status = await asyncio.wait_for(process.wait(), 60)
    err = (await process.stderr.read()).decode()
    assert status == 1
    assert "The server closed the connection: 1001 (going away" in err
    assert "Traceback" not in err


def test_connection_refused_is_one_clear_error() -> None:
    result = _client("ws://127.0.0.1:9/production", "")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: cannot connect to ws://127.0.0.1:9/production: connection refused"
    )


def test_not_a_websocket_url() -> None:
    result = _client("http://example.invalid/", "")
    assert result.returncode == 2
    assert "is not a ws:// or wss:// URL" in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedGateway]:
    gateway = ServedGateway(tmp_path / "state", tmp_path / "serve.log", "--quiet")
    gateway.start()
    yield gateway
    gateway.stop()


class _Said:
    """What a process writes to a pipe, read line by line on a thread, awaited by content."""

    def __init__(self, pipe: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: IO[str]) -> None:
        for line in pipe:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, wanted: str, timeout: float = 60) -> None:
        """Until a line holds ``wanted``; a busy machine may take many seconds."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: any(wanted in line for line in self.lines), timeout
            ):
                raise AssertionError(f"{wanted!r} never came; it said {self.lines!r}")

    def text(self) -> str:
        self._thread.join(10)
        return "".join(self.lines)


def test_reconnect_restores_room_and_name_and_sends_what_waited(served: ServedGateway) -> None:
    process = subprocess.Popen(
        [*CLIENT, served.url + "?room=dev&name=zoe", "--reconnect"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stderr is not None
    said = _Said(process.stderr)
    try:
        said.wait_for("Connected to")
        served.stop()
        said.wait_for("The server closed the connection: 1001")
        process.stdin.write("sent once the chat is back\n")
        process.stdin.flush()
        served.start()

        async def listen() -> list[str]:
            async with connect(served.url + "?room=dev&format=json") as listener:
                await listener.send('{"action": "history"}')
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    frame = json.loads(await recv(listener, 60))
                    if frame["type"] == "history" and frame["messages"]:
                        return [f"{m['from']}: {m['text']}" for m in frame["messages"]]
                    if frame["type"] == "message":
                        return [f"{frame['from']}: {frame['text']}"]
                    if frame["type"] == "history":  # not reconnected yet: ask again
                        await asyncio.sleep(0.3)
                        await listener.send('{"action": "history"}')
                return []

        assert asyncio.run(listen()) == ["zoe: sent once the chat is back"]
        process.stdin.close()
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    err = said.text()
    assert "Reconnected to" in err
    assert "You are zoe in dev again." in err


class _Screen:
    """What a pseudo-terminal's program wrote, read as it comes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.seen = b""

    def wait_for(self, wanted: bytes, start: int = 0, timeout: float = 60) -> int:
        """Where ``wanted`` is, at or after ``start``, once written; its end."""
        deadline = time.monotonic() + timeout
        while (found := self.seen.find(wanted, start)) < 0:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{wanted!r} never came; the screen had {self.seen[-600:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.fd, 65536)
                except OSError:  # the program ended
                    break
        return found + len(wanted)


@contextlib.contextmanager
def _terminal(
    url: str, state: Path | None = None, **environ: str
) -> Iterator[tuple[subprocess.Popen[bytes], _Screen]]:
    """The client on a pseudo-terminal of its own, killed if it outlives the test; its
    state folder (its resume tokens) ``state``, else one of its own that goes with it."""
    with contextlib.ExitStack() as stack:
        if state is None:
            state = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        main, child = pty.openpty()
        # (A pseudo-terminal with nobody behind it answers no cursor position request.)
        # (Without colours unless a test asks: the lines are then the chat's text as it is.)
        env = {
            **os.environ,
            "TERM": "xterm",
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "NO_COLOR": "1",
            "XDG_STATE_HOME": str(state),
        }
        env.update(environ)
        process = subprocess.Popen(
            [*CLIENT, url],
            stdin=child,
            stdout=child,
            stderr=child,
            env=env,
            cwd=ROOT,
            close_fds=True,
        )
        os.close(child)
        try:
            yield process, _Screen(main)
        finally:
            if process.poll() is None:
                process.kill()
            os.close(main)


async def test_in_a_terminal_the_prompt_keeps_what_is_typed_while_frames_arrive(
    chat: LocalGateway,
) -> None:
    """A pseudo-terminal: prompt_toolkit draws the prompt; a frame arriving mid-line is
    printed above it and the half-typed line goes on where it was."""
    with _terminal(chat.url + "?name=zoe") as (process, screen):
        await asyncio.to_thread(screen.wait_for, b"as zoe in general; /help")
        os.write(screen.fd, b"hel")
        typed = await asyncio.to_thread(screen.wait_for, b"hel")
        async with connect(chat.url + "?name=bob&format=json") as bob:
            await bob.send('{"action": "sendMessage", "message": "hi zoe"}')
            shown = await asyncio.to_thread(screen.wait_for, b"bob: hi zoe", typed)
            await asyncio.to_thread(screen.wait_for, b"hel", shown)  # drawn again, below
            os.write(screen.fd, b"lo\r")
            while True:
                frame = json.loads(await recv(bob))
                if frame.get("type") == "message" and frame["from"] == "zoe":
                    break
            assert frame["text"] == "hello"
            os.write(screen.fd, b"/quit\r")
            status = await asyncio.to_thread(process.wait, 60)
    assert status == 0
    assert b"Traceback" not in screen.seen


async def test_in_a_terminal_ctrl_c_clears_the_line_tab_completes_and_lines_have_times(
    chat: LocalGateway,
) -> None:
    """A pseudo-terminal: Tab completes a command; Ctrl-C clears a half-typed line (it is
    not sent) and only a second one on an empty line leaves (exit 0); lines have times."""
    with _terminal(chat.url + "?name=zoe") as (process, screen):
        banner = await asyncio.to_thread(screen.wait_for, b"as zoe in general; /help")
        start = await asyncio.to_thread(screen.wait_for, b"zoe@general>", banner)  # the prompt
        os.write(screen.fd, b"/wh\t")
        completed = await asyncio.to_thread(screen.wait_for, b"/wh", start)
        await asyncio.to_thread(screen.wait_for, b"o", completed)
        os.write(screen.fd, b"\r")  # /who, completed ("/wh" is no command)
        who = await asyncio.to_thread(screen.wait_for, b"* in general: zoe", completed)
        assert re.search(rb"\d\d:\d\d \* in general: zoe", screen.seen)  # its time first
        async with connect(chat.url + "?name=bob&format=json") as bob:
            # Typed once the prompt is back after bob's line: while a line is printed the
            # terminal is not in raw mode, and what is typed then is the terminal's.
            joined = await asyncio.to_thread(screen.wait_for, b"bob joined general", who)
            ready = await asyncio.to_thread(screen.wait_for, b"zoe@general>", joined)
            os.write(screen.fd, b"never sent")
            typed = await asyncio.to_thread(screen.wait_for, b"never sent", ready)
            os.write(screen.fd, b"\x03")  # Ctrl-C: the line goes, the client stays
            os.write(screen.fd, b"\x03")
            hint = await asyncio.to_thread(screen.wait_for, b"Ctrl-C again", typed)
            assert process.poll() is None
            os.write(screen.fd, b"\x03")
            status = await asyncio.to_thread(process.wait, 60)
            frames = []
            with contextlib.suppress(TimeoutError):
                while True:
                    frames.append(json.loads(await asyncio.wait_for(bob.recv(), 0.5)))
    assert status == 0
    assert hint > typed
    assert not [f for f in frames if f.get("type") == "message"]  # "never sent" was not
    assert b"Traceback" not in screen.seen


async def test_in_a_terminal_a_close_by_the_server_is_said_once_the_prompt_is_gone(
    chat: LocalGateway,
) -> None:
    """Words printed while prompt_toolkit closes its prompt go with its screen: why the
    session ends is said after the prompt's last drawing, where nothing erases it."""
    others = set(chat.registry.ids())  # (connections earlier tests left closing)
    with _terminal(chat.url + "?name=zoe") as (process, screen):
        start = await asyncio.to_thread(screen.wait_for, b"as zoe in general; /help")
        (zoe,) = set(chat.registry.ids()) - others
        await chat.registry.close(zoe, 1001, "Going away")
        await asyncio.to_thread(
            screen.wait_for, b"The server closed the connection: 1001 (going away", start
        )
        status = await asyncio.to_thread(process.wait, 60)
        with contextlib.suppress(AssertionError):
            screen.wait_for(b"never", timeout=0.5)  # all the program wrote
    assert status == 1
    # Said after prompt_toolkit's last drawing (it ends by turning bracketed paste off),
    # where nothing erases it.
    assert screen.seen.rfind(b"The server closed") > screen.seen.rfind(b"\x1b[?2004l")
    assert b"Traceback" not in screen.seen


async def test_in_a_terminal_a_direct_message_is_there_again_on_the_next_start(
    chat: LocalGateway, tmp_path: Path
) -> None:
    """Issue 26: the client keeps the resume token the chat hands out (a file only its
    owner reads) and presents it on its next connection, which shows the direct messages
    it had under a rule; /dm NAME shows the conversation."""
    async with connect(chat.url + "?name=bob&format=json") as bob:
        with _terminal(chat.url + "?name=zoe", tmp_path) as (process, screen):
            await asyncio.to_thread(screen.wait_for, b"as zoe in general; /help")
            tokens = tmp_path / "serverless-chat" / "resume-tokens.json"
            await asyncio.to_thread(_wait_until, tokens.exists)
            await bob.send('{"action": "sendMessage", "to": "zoe", "message": "psst"}')
            await asyncio.to_thread(screen.wait_for, b"bob \xe2\x86\x92 zoe: psst")  # styled
            os.write(screen.fd, b"/quit\r")
            assert await asyncio.to_thread(process.wait, 60) == 0
        assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
        with _terminal(chat.url + "?name=zoe", tmp_path) as (process, screen):
            rule = await asyncio.to_thread(screen.wait_for, "— direct messages —".encode())
            await asyncio.to_thread(screen.wait_for, b"bob \xe2\x86\x92 zoe: psst", rule)
            prompt = await asyncio.to_thread(screen.wait_for, b"zoe@general>", rule)
            os.write(screen.fd, b"/dm bob\r")
            mine = await asyncio.to_thread(
                screen.wait_for, "— direct messages with bob —".encode(), prompt
            )
            await asyncio.to_thread(screen.wait_for, b"bob \xe2\x86\x92 zoe: psst", mine)
            os.write(screen.fd, b"/quit\r")
            assert await asyncio.to_thread(process.wait, 60) == 0
    assert b"Traceback" not in screen.seen


def _wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "it never happened"
        time.sleep(0.05)


async def test_history_says_its_older_page_is_earlier(chat: LocalGateway) -> None:
    """A join shows the room's latest 50; /history then prints the page before them,
    below them (a terminal prints downwards), headed as what it is."""
    lines = "".join(f"line {n}\n" for n in range(1, 56))
    filled = await asyncio.to_thread(_client, chat.url + "?room=hist&name=ann", lines)
    assert filled.returncode == 0, filled.stderr
    result = await asyncio.to_thread(_client, chat.url + "?room=hist&name=bob", "/history\n")
    assert result.returncode == 0, result.stderr
    shown = result.stdout.splitlines()
    assert shown[:1] == ["ann: line 6"]
    assert "ann: line 55" in shown
    header = shown.index("* earlier in hist:")
    assert shown[header + 1 :] == [f"ann: line {n}" for n in range(1, 6)]


@pytest.mark.parametrize("fmt", ["raw", "json"])
async def test_in_a_terminal_raw_and_json_escape_what_the_terminal_would_act_on(
    chat: LocalGateway, fmt: str
) -> None:
    """(issue 25) With --format raw or json on a terminal another member's message cannot
    clear the screen, write the clipboard (OSC 52), send a C1 CSI or reverse the line."""
    hostile = "\x1b[2J\x1b]52;c;cHduZWQ=\x07\u202eevil\x9b31m end-of-it"
    with _terminal(chat.url + f"?name=zoe&format={fmt}") as (process, screen):
        start = await asyncio.to_thread(screen.wait_for, b"as zoe in general; /help")
        async with connect(chat.url + "?name=bob&format=json") as bob:
            await bob.send(json.dumps({"action": "sendMessage", "message": hostile}))
            end = await asyncio.to_thread(screen.wait_for, b"end-of-it", start)
        os.write(screen.fd, b"/quit\r")
        await asyncio.to_thread(process.wait, 60)
    written = screen.seen[start:end]
    for acted_on in (b"\x1b[2J", b"\x1b]52", b"\x07", "\u202e".encode(), "\x9b".encode()):
        assert acted_on not in written
    assert (b"\\u001b[2J" if fmt == "json" else b"\\x1b[2J") in written


@pytest.mark.parametrize("no_color", ["", "1"])
async def test_in_a_terminal_names_have_colours_mentions_ring_and_history_is_dim(
    chat: LocalGateway, no_color: str
) -> None:
    """(issue 26 §3) Names in their colours (none under NO_COLOR, no-color.org), a mention
    of my name in any case highlighted with a bell, the history printed on connecting
    dimmed and silent, my own message silent."""
    async with connect(chat.url + "?room=tint&name=ann&format=json") as ann:
        await ann.send('{"action": "sendMessage", "message": "before you came, @zoe"}')
        while json.loads(await recv(ann)).get("type") != "message":
            pass
        with _terminal(
            chat.url + "?room=tint&name=zoe", TERM="xterm-256color", NO_COLOR=no_color
        ) as (process, screen):
            start = await asyncio.to_thread(screen.wait_for, b"as zoe in tint; /help")
            await asyncio.to_thread(screen.wait_for, b"before you came", start)
            await asyncio.to_thread(screen.wait_for, b"zoe@tint>", start)
            joined = screen.seen
            async with connect(chat.url + "?room=tint&name=bob&format=json") as bob:
                await bob.send('{"action": "sendMessage", "message": "hi @ZOE"}')
                mention = await asyncio.to_thread(screen.wait_for, b"@ZOE\x1b[27m", start)
                await asyncio.to_thread(screen.wait_for, b"\a", mention - 20)
                rung = screen.seen
                os.write(screen.fd, b"me, @zoe\r")
                await asyncio.to_thread(screen.wait_for, b": me, @zoe\r\n", len(rung))
                os.write(screen.fd, b"/quit\r")
                status = await asyncio.to_thread(process.wait, 60)
    assert status == 0
    dimmed = re.search(rb"\x1b\[2m[^\n]*before you came, \x1b\[7m@zoe", joined)
    assert dimmed is not None  # the history: dimmed, its mention marked
    assert b"\a" not in joined  # ... and silent
    assert screen.seen.count(b"\a") == 1  # bob's mention rang; my own message did not
    assert (b"\x1b[38;5;" in screen.seen) is not bool(no_color)
    assert b"Traceback" not in screen.seen


async def test_a_second_piped_run_prints_the_first_runs_line_first(chat: LocalGateway) -> None:
    """(issue 26 §4) The README's piped example, run twice: the second prints the room's
    recent history (the first run's line) before its own; raw prints neither."""
    first = await asyncio.to_thread(_client, chat.url, "Hello AWS\n")
    second = await asyncio.to_thread(_client, chat.url, "Hello AWS\n")
    raw = await asyncio.to_thread(_client, chat.url, "Hello AWS\n", "--format", "raw")
    assert (first.returncode, second.returncode, raw.returncode) == (0, 0, 0)
    (mine,) = first.stdout.splitlines()
    assert re.fullmatch(r"guest-\w{6}: Hello AWS", mine)
    earlier, own = second.stdout.splitlines()
    assert earlier == mine
    assert own != mine
    assert own.endswith(": Hello AWS")
    assert raw.stdout == ""
