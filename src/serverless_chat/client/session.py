"""The terminal client's session, without I/O: lines and frames in, frames to send and
lines to print out.

As websockets splits its protocol from its connection, this is everything the client
decides — what a typed line sends, which answer belongs to which request (by ``ref``),
that one request at a time is in flight and a refused one is sent again after the pause
the chat names (``retryAfterMs``), what of a join's history to print (a reconnect's join
repeats what was shown), what to print for each frame — and none of what it waits on. The
shell (client/shell.py) owns the socket, the clock and the prompt: it hands this object
the connection's coming and going, each frame and each line, sends what :meth:`next_send`
gives, sleeps what :meth:`take_pause` says, and prints :meth:`take_output`. Tested as plain
calls (tests/unit/client/test_session.py).

Direct messages last (issue 26): a person's session (``keeps_directs``) sends ``resume`` on
every connection, with the resume token the chat handed out before (the shell keeps it in a
file: :meth:`take_token` hands a new one over), then ``directHistory``, and prints the
direct messages it has not shown under a ``— direct messages —`` rule; ``/dm NAME`` prints
the conversation with NAME.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from serverless_chat.chat.frames import shown
from serverless_chat.chat.model import DEFAULT_ROOM, FORMATS
from serverless_chat.client.commands import HELP, Command, Send, parse_line
from serverless_chat.client.completion import RoomNames
from serverless_chat.client.render import parse, render_parsed
from serverless_chat.client.shown import Shown
from serverless_chat.client.style import BELL, PLAIN, Style, dim, paint

ANSWER_TIMEOUT = 30.0  # API Gateway gives up on an integration after 29 s
# API Gateway closes a connection after 10 minutes without a frame: a connection that sent
# nothing for 5 sends {"action": "ping"} (a MOCK route, answered {"type": "pong"}, which
# costs no function and no table), so that a person who only reads stays connected.
PING_INTERVAL = 300.0
PING = json.dumps({"action": "ping"})
DEFAULT_RATE = 10.0  # the chat's default rate, for a RATE_LIMITED that names no pause
MAX_PAUSE = 2.0


class Outgoing(NamedTuple):
    """A frame to send: ``ref`` set when it is answered (one at a time, in flight until its
    answer comes)."""

    text: str
    ref: str | None = None
    action: str = ""
    automatic: bool = False  # the client's own join on connecting, not a line of the person's
    older: bool = False  # /history: its cursor is the one known when it goes, not when typed
    # /edit and /delete: the request, its message named when it goes (the last of ours then)
    revise: dict[str, Any] | None = None


class Printed(NamedTuple):
    """A line to print: the chat's (stdout), or the client's own words (``own``: stderr)."""

    text: str
    own: bool = False


def retry_after(answer: dict[str, Any], refusals: int) -> float:
    """How long to wait after RATE_LIMITED: the frame's ``retryAfterMs`` (one token's time
    at the connection's rate; without it, at the chat's default rate), doubled for each
    refusal in a row, at most 2 s."""
    after = answer.get("retryAfterMs")
    if isinstance(after, bool) or not isinstance(after, int | float) or after <= 0:
        after = 1000 / DEFAULT_RATE
    return float(min(MAX_PAUSE, after / 1000 * 2 ** (refusals - 1)))


def stamp(at: float, now: float, tz: tzinfo | None = None) -> str:
    """A line's time (epoch seconds) as a person reads it beside a line: ``14:02`` today,
    ``2026-12-05 14:02`` on another day (in ``tz``, the local zone when None)."""
    when, today = datetime.fromtimestamp(at, tz), datetime.fromtimestamp(now, tz)
    return when.strftime("%H:%M" if when.date() == today.date() else "%Y-%m-%d %H:%M")


# The frame field a line's time comes from (epoch ms); other lines take the time they came.
_TIME_FIELDS = {
    "message": "sentAt",
    "direct": "sentAt",
    "edited": "editedAt",
    "deleted": "deletedAt",
}


def _no_route(frame: dict[str, Any]) -> bool:
    """API Gateway's answer when no route matches and there is no $default: not this chat's
    API, or not this chat's version of it."""
    return frame.get("type") is None and frame.get("message") == "Forbidden"


class ChatSession:
    """One person's session with the chat: see the module's docstring.

    At a terminal (``interactive``) in the text format, every line has its time (``clock``,
    epoch seconds, in ``tz``), a room's history comes under an ``— earlier in ROOM —`` rule,
    dimmed, Ctrl-C is :meth:`interrupt`'s and Tab :meth:`complete`'s; the text format's
    lines take ``style``'s colours and highlights (client/style.py). Piped, the lines are the
    chat's own text lines, for scripts."""

    def __init__(
        self,
        url: str,
        fmt: str = "text",
        raw: bool = False,
        interactive: bool = False,
        clock: Callable[[], float] = time.time,
        tz: tzinfo | None = None,
        terminal: bool = False,
        style: Style = PLAIN,
        keeps_directs: bool = False,
        token: str | None = None,
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
        self.interactive = interactive
        # stdout is a terminal: what one would act on is escaped in every format
        self.terminal = terminal
        self.style = style if self.fmt == "text" else PLAIN  # colours, highlights, the bell
        self.ref_prefix = f"t{secrets.token_hex(2)}-"
        self.connected = False
        self.in_flight: Outgoing | None = None
        self.refused_lines = 0  # lines the chat refused (a pipe then exits 1)
        self._refs = 0
        self._actions: dict[str, str] = {}  # ref -> action, for the answers
        self._urgent: deque[Outgoing] = deque()  # the join of a (re)connect
        self._outbox: deque[Outgoing] = deque()
        self._output: list[Printed] = []
        self._pause = 0.0
        self._refusals = 0
        self._awaits_history = False  # the in-flight join is answered once its history came
        self._shown = Shown()  # what was shown, each join's history, /history's cursor
        self._last_own: dict[str, Any] | None = None  # id and sentAt of our latest message
        self._first_welcome = True
        self._last_sent = 0.0  # when the last frame went (the shell's clock), for the pings
        self._clock, self._tz = clock, tz
        self.stamped = interactive and self.fmt == "text"  # times, rules: for a person
        self._names = RoomNames()  # who is known to be in the room, for Tab
        self._interrupted = False  # a Ctrl-C on an empty line: the next one leaves
        # Direct messages that last: a person's text session asks for them on connecting.
        self.keeps_directs = keeps_directs and self.fmt == "text" and not raw
        self.token = token  # the resume token: presented on every connection
        self._new_token: str | None = None  # one just handed out, for the shell to keep
        self._conversations: dict[str, str] = {}  # a name (casefolded) -> its conversation
        self._asked: dict[str, str] = {}  # ref of a /dm NAME's directHistory -> NAME

    # -- where to connect --------------------------------------------------------------
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

    # -- what the shell reads ------------------------------------------------------------
    def take_output(self) -> list[Printed]:
        """The lines to print since the last call, in order."""
        output, self._output = self._output, []
        return output

    def take_pause(self) -> float:
        """Seconds to wait before the next send (after RATE_LIMITED), once."""
        pause, self._pause = self._pause, 0.0
        return pause

    @property
    def idle(self) -> bool:
        """Nothing in flight and nothing queued: every line sent and answered."""
        return self.in_flight is None and not self._urgent and not self._outbox

    # -- the connection ----------------------------------------------------------------------
    def opened(self, now: float = 0.0) -> None:
        """A connection is up (at ``now``, the shell's clock in seconds): its first request
        is the client's own join, to learn (or restore) room and name and get the room's
        recent history."""
        self.connected = True
        self._last_sent = now
        self._urgent.clear()
        self._urgent.append(self._request({"action": "join", "room": self.room}, True))
        if self.keeps_directs:
            self._urgent.append(self._resume())
            self._urgent.append(self._request({"action": "directHistory"}, "directHistory*"))

    def _resume(self) -> Outgoing:
        """resume, with the token held (the same guest as before), or none (a new one)."""
        resume: dict[str, Any] = {"action": "resume"}
        if self.token:
            resume["token"] = self.token
        return self._request(resume, "resume*")

    def take_token(self) -> str | None:
        """A resume token the chat has just handed out, once: the shell keeps it."""
        token, self._new_token = self._new_token, None
        return token

    def closed(self) -> None:
        """The connection is gone: a request in flight goes again on the next one (but the
        join, which the next connection makes anew)."""
        self.connected = False
        self._shown.closed()
        self._awaits_history = False
        item, self.in_flight = self.in_flight, None
        if item is not None and not item.automatic:
            self._outbox.appendleft(item)

    def unsent(self, item: Outgoing) -> None:
        """``item`` could not be sent (the connection went as it was): it goes first again
        (but a ping: the next connection starts its own count)."""
        if self.in_flight is item:
            self.in_flight = None
        if item.text == PING:
            return
        (self._urgent if item.automatic else self._outbox).appendleft(item)

    def timed_out(self) -> None:
        """The request in flight had no answer within ANSWER_TIMEOUT: given up."""
        item, self.in_flight = self.in_flight, None
        self._awaits_history = False
        self._refusals = 0
        if item is not None:
            self._say(f"No answer to {item.action} within {ANSWER_TIMEOUT:.0f} s.")

    # -- what goes out -------------------------------------------------------------------------
    def typed(self, line: str) -> bool:
        """One line typed or piped; False when it asks to leave."""
        self._interrupted = False
        parsed = parse_line(line, self.raw)
        if parsed is None:
            return True
        if isinstance(parsed, Command):
            return self._command(parsed)
        self._outbox.append(self._outgoing(parsed))
        if not self.connected and self.interactive:
            self._say("(offline: it goes out once the connection is back)")
        return True

    def _command(self, command: Command) -> bool:
        if command.name == "quit":
            return False
        if command.name == "help":
            self._emit(HELP)
        elif command.name == "history":
            self._outbox.append(Outgoing("", older=True))
        elif command.name == "edit":
            revise = {"action": "editMessage", "message": command.text}
            self._outbox.append(Outgoing("", revise=revise))
        elif command.name == "delete":
            self._outbox.append(Outgoing("", revise={"action": "deleteMessage"}))
        elif command.name == "conversation":
            self._conversation(command.text)
        else:
            self._say(command.text)
        return True

    def _conversation(self, name: str) -> None:
        """/dm NAME: the direct messages with NAME, a page, as a request."""
        conversation = self._conversations.get(name.casefold())
        if conversation is None:
            self._say(f"* no direct messages with {name} yet")
            return
        request = self._request({"action": "directHistory", "conversation": conversation})
        if request.ref is not None:
            self._asked[request.ref] = name
        self._outbox.append(request)

    def ping_in(self, now: float) -> float | None:
        """Seconds from ``now`` until a ping is due (0: it is), or None while not connected."""
        if not self.connected:
            return None
        return max(0.0, self._last_sent + PING_INTERVAL - now)

    def next_send(self, now: float = 0.0) -> Outgoing | None:
        """The next frame to send at ``now`` (the shell's clock, as :meth:`opened` had it),
        or None: not connected, a request in flight, a pause to wait out, or nothing queued.
        An answered one is in flight from here on. After PING_INTERVAL with nothing sent, a
        ping (the shell asks again within :meth:`ping_in`)."""
        item = self._next_send()
        if item is None and self.ping_in(now) == 0.0:
            item = Outgoing(PING, action="ping", automatic=True)
        if item is not None:
            self._last_sent = now
        return item

    def _next_send(self) -> Outgoing | None:
        while self.connected and self.in_flight is None and not self._pause:
            queue = self._urgent if self._urgent else self._outbox
            if not queue:
                return None
            item = self._resolved(queue.popleft())
            if item is None:
                continue
            if item.ref is not None:
                self.in_flight = item
            return item
        return None

    def _resolved(self, item: Outgoing) -> Outgoing | None:
        """A queued item as it goes now: /history with the cursor known now, /edit and
        /delete naming our latest message; None when there is nothing to send for it."""
        if item.older:
            if self._shown.exhausted:
                none = f"* no earlier messages in {self.room}"
                self._emit(none) if self.fmt == "text" else self._say(none)
                return None
            request: dict[str, Any] = {"action": "history"}
            if self._shown.cursor:
                request["before"] = self._shown.cursor
            return self._request(request)
        if item.revise is not None:
            if self._last_own is None:
                self.refused_lines += 1
                self._say("* no message of yours to change yet")
                return None
            return self._request({**item.revise, **self._last_own})
        return item

    def _request(self, frame: dict[str, Any], automatic: bool | str = False) -> Outgoing:
        """A request that is answered: with a ref of the client's unless it has its own.
        ``automatic``: the client's own, on connecting (True: its join; or the name its
        answer is known by, ``resume*``, ``directHistory*``)."""
        ref = frame.get("ref")
        if not isinstance(ref, str):
            self._refs += 1
            ref = f"{self.ref_prefix}{self._refs}"
            frame = {**frame, "ref": ref}
        action = str(frame.get("action"))
        own = "join*" if automatic is True else automatic or action
        self._actions[ref] = own
        return Outgoing(json.dumps(frame, ensure_ascii=False), ref, action, bool(automatic))

    def _outgoing(self, send: Send) -> Outgoing:
        if send.frame is not None and send.answered:
            return self._request(send.frame)
        return Outgoing(send.text if send.frame is None or send.text else json.dumps(send.frame))

    # -- what arrives ----------------------------------------------------------------------
    def received(self, data: str | bytes) -> None:
        """One frame from the chat: what it answers, and what to print for it."""
        if isinstance(data, bytes) or (frame := parse(data)) is None:
            self._show(data, None)
            return
        kind = frame.get("type")
        if kind == "pong":
            return  # the keep-alive's answer: nothing to show
        ref = frame.get("ref")
        ours = isinstance(ref, str) and ref in self._actions
        action = self._actions.get(ref, "") if isinstance(ref, str) else ""
        flight, answers = self.in_flight, False
        if flight is not None:  # its answer: its ref, or a gateway error (which has none)
            answers = ref == flight.ref or (kind is None and "requestId" in frame)
            if answers and kind == "error" and frame.get("code") == "RATE_LIMITED":
                self._refusals += 1
                self._pause = retry_after(frame, self._refusals)
                self.unsent(flight)
                return  # sent again after the pause, not printed
        if answers:
            self._refusals = 0
            if kind == "welcome" and action.startswith("join"):
                self._awaits_history = True  # answered once its history is in too
            else:
                self.in_flight = None
        if answers and flight is not None and flight.automatic and _no_route(frame):
            self._say(
                f'{self.address} has no "join" route (it answered Forbidden): connect speaks'
                " this chat's protocol (docs/protocol.md); for another API use a plain"
                f" WebSocket client, e.g. python -m websockets {self.address}"
            )
        if kind == "error" and action == "resume*" and self.token:
            self._say("(the saved resume token was refused: asking for a new one)")
            self.token = None
            self._urgent.appendleft(self._resume())
            return
        if (kind == "error" or (kind is None and "requestId" in frame)) and not (
            self._is_automatic(ref)
        ):
            self.refused_lines += 1
        if kind == "resumed":
            token = frame.get("token")
            if isinstance(token, str) and token:
                self.token = self._new_token = token
            return
        if kind == "directHistory":
            self._directs(frame, action, ref)
            return
        if kind == "welcome":
            self._welcome(frame, action, ref)
            if self._is_automatic(ref):
                return
        elif kind == "history":
            kept = self._history(frame, action)
            if kept is None:
                return
            if kept is not frame:
                data, frame = json.dumps(kept, separators=(",", ":"), ensure_ascii=False), kept
            self._names.learn_authors(kept.get("messages", []))
            if self.stamped and kept.get("messages"):
                self._earlier(kept)
                return
            if action == "history" and self.fmt == "text" and kept.get("messages"):
                # A terminal cannot print above what it printed: the older page comes
                # below the newer lines, so it says what it is.
                self._emit(f"* earlier in {shown(self.room)}:")  # (the endpoint's word)
        elif kind in {"message", "direct"}:
            if isinstance(frame.get("id"), str) and not self._shown.first(frame["id"]):
                return  # it came in a join's history already
            if kind == "direct":
                self._learn_conversation(frame)
            if ours and kind == "message" and action == "sendMessage":
                self._last_own = {"id": frame.get("id"), "sentAt": frame.get("sentAt")}
            if self.fmt == "raw" and ours:
                return  # the raw format never echoes a sender's own message
        elif kind == "who" and ours and frame.get("next"):
            self._outbox.append(self._request({"action": "who", "after": frame["next"]}))
        self._names.learn(frame, self.room)
        self._show(data, frame)

    def _show(self, data: str | bytes, frame: dict[str, Any] | None) -> None:
        if isinstance(data, bytes):
            self._emit(self._stamped(f"<binary frame, {len(data)} bytes: {data[:64].hex()}>"))
            return
        line = render_parsed(data, frame, self.fmt, self.ref_prefix, self.terminal)  # parsed once
        if line is not None:
            field = _TIME_FIELDS.get(str(frame.get("type"))) if frame else None
            at = frame.get(field) if frame and field else None
            painted = paint(line, frame, self.name, self.style)
            stamped = self._stamped(painted.text, at if isinstance(at, int) else None)
            self._emit(stamped + BELL if painted.bell else stamped)

    def _earlier(self, page: dict[str, Any]) -> None:
        """A history page set apart from the live lines: under a rule, each with its time."""
        room = shown(str(page.get("room", self.room)))  # (the prompt passes escapes through)
        self._emit(dim(f"— earlier in {room} —", self.style))
        for message in page["messages"]:
            text = json.dumps(message, ensure_ascii=False)
            line = render_parsed(text, message, self.fmt, self.ref_prefix)
            at = message.get("sentAt")
            if line is not None:
                painted = paint(line, message, self.name, self.style, replay=True)
                stamped = self._stamped(painted.text, at if isinstance(at, int) else None)
                self._emit(dim(stamped, self.style))

    def _directs(self, frame: dict[str, Any], action: str, ref: object) -> None:
        """A page of direct messages: on connecting, those not shown yet, in the flow; for
        /dm NAME, the conversation. Each under a rule, with its time."""
        messages = [m for m in frame.get("messages", []) if isinstance(m, dict)]
        for message in messages:
            self._learn_conversation(message)
        if action == "directHistory*":
            messages = self._shown.unseen(messages)
            rule = "— direct messages —"
        else:
            name = self._asked.pop(ref, "") if isinstance(ref, str) else ""
            rule = f"— direct messages with {name} —" if name else "— direct messages —"
            if not messages:
                self._say(f"* no direct messages with {name or 'them'}")
        if not messages:
            return
        self._emit(rule)
        for message in messages:
            text = json.dumps(message, ensure_ascii=False)
            line = render_parsed(text, message, self.fmt, self.ref_prefix, self.terminal)
            at = message.get("sentAt")
            if line is not None:
                self._emit(self._stamped(line, at if isinstance(at, int) else None))

    def _learn_conversation(self, frame: dict[str, Any]) -> None:
        """Which conversation is whose, as direct frames tell it: for /dm NAME."""
        conversation, sender, to = frame.get("conversation"), frame.get("from"), frame.get("to")
        if not (isinstance(conversation, str) and isinstance(sender, str)):
            return
        other = to if sender == self.name and isinstance(to, str) else sender
        self._conversations[other.casefold()] = conversation

    def _stamped(self, line: str, at_ms: int | None = None) -> str:
        """``line`` with its time in front (each of its lines), when a person reads it."""
        if not self.stamped:
            return line
        now = self._clock()
        time_ = stamp(now if at_ms is None else at_ms / 1000, now, self._tz)
        return "\n".join(f"{time_} {part}" for part in line.split("\n"))

    # -- a person at the keyboard ---------------------------------------------------------
    def interrupt(self, typed: str) -> bool:
        """Ctrl-C, with ``typed`` the half-typed line: True when it means leave. With a
        line, it clears it (the shell does); on an empty line the first one says how to
        leave and a second in a row leaves, as shells and REPLs do."""
        if typed:
            self._interrupted = False
            return False
        if self._interrupted:
            return True
        self._interrupted = True
        self._say("(Ctrl-C again, Ctrl-D or /quit to leave)")
        return False

    def complete(self, before_cursor: str) -> list[str]:
        """What Tab offers for the word before the cursor (client/completion.py): a command
        or a name of the room's; nothing in raw mode, where lines go as they are."""
        return [] if self.raw else self._names.complete(before_cursor, self.name)

    def _is_automatic(self, ref: object) -> bool:
        return isinstance(ref, str) and self._actions.get(ref) == "join*"

    def _welcome(self, frame: dict[str, Any], action: str, ref: object) -> None:
        room, name = str(frame.get("room", self.room)), str(frame.get("name", self.name))
        if room != self.room:
            self._names.clear()
        if room != self.room or action.startswith("join"):
            self._shown.moved()
        self.room, self.name = room, name
        if action.startswith("join"):
            automatic = self._is_automatic(ref)
            self._shown.joined("none" if self.fmt == "raw" else "new" if automatic else "all")
        if self._is_automatic(ref):
            if self._first_welcome:
                hint = "; /help lists the commands, Ctrl-D leaves" if self.interactive else ""
                self._say(f"Connected to {self.address} as {name} in {room}{hint}.")
            else:
                self._say(f"You are {name} in {room} again.")
            self._first_welcome = False

    def _history(self, frame: dict[str, Any], action: str) -> dict[str, Any] | None:
        """A history page as it will be printed, or None (client/shown.py): one that answers
        a join shows only messages not shown yet (a reconnect's join repeats them), and
        answers the join in flight."""
        answers_join, kept = self._shown.page(frame, action)
        if answers_join and self._awaits_history:
            self._awaits_history = False
            self.in_flight = None
        return kept

    # -- output ----------------------------------------------------------------------------
    def _emit(self, line: str) -> None:
        self._output.append(Printed(line))

    def _say(self, line: str) -> None:
        self._output.append(Printed(self._stamped(line), own=True))
