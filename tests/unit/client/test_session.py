"""The terminal client's session as plain calls: lines and frames in, what to send and
what to print out; no socket, no clock, no prompt."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import pytest

from serverless_chat.client.commands import COMMANDS
from serverless_chat.client.session import (
    PING_INTERVAL,
    ChatSession,
    Outgoing,
    Printed,
    retry_after,
    stamp,
)
from serverless_chat.client.style import name_colour, terminal_style

URL = "ws://h:1/production?room=dev&name=zoe"


class _AnyRef(str):
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str)

    __hash__ = str.__hash__


ANY_REF = _AnyRef()


def _frame(**fields: Any) -> str:
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


def _sent(session: ChatSession) -> dict[str, Any]:
    item = session.next_send()
    assert item is not None
    frame: dict[str, Any] = json.loads(item.text)
    return frame


def _joined(session: ChatSession, history: list[dict[str, Any]] | None = None) -> None:
    """Connected, its own join sent and answered (welcome, then the room's history)."""
    session.opened()
    join = _sent(session)
    assert (join["action"], join["room"]) == ("join", session.room)
    session.received(_frame(type="welcome", room=session.room, name="zoe", ref=join["ref"]))
    page = {"type": "history", "room": session.room, "messages": history or [], "next": None}
    session.received(_frame(**page))


def _message(mid: str, text: str, sender: str = "ana", sent_at: int = 1) -> dict[str, Any]:
    return {
        "type": "message",
        "id": mid,
        "room": "dev",
        "from": sender,
        "text": text,
        "sentAt": sent_at,
    }


def test_connecting_joins_and_says_where_it_is() -> None:
    session = ChatSession(URL)
    assert session.next_send() is None  # nothing goes before a connection
    _joined(session, [_message("m1", "hi")])
    assert session.take_output() == [
        Printed("Connected to ws://h:1/production as zoe in dev.", own=True),
        Printed("ana: hi"),
    ]
    assert session.idle


def test_one_request_at_a_time_each_answered_before_the_next() -> None:
    session = ChatSession(URL)
    _joined(session)
    session.take_output()
    session.typed("one")
    session.typed("two")
    first = _sent(session)
    assert (first["action"], first["message"]) == ("sendMessage", "one")
    assert session.next_send() is None  # "two" waits for the answer to "one"
    echo = _message("m1", "one", "zoe") | {"ref": first["ref"]}
    session.received(_frame(**echo))
    assert session.take_output() == [Printed("zoe: one")]
    assert _sent(session)["message"] == "two"


def test_rate_limited_is_sent_again_after_the_pause_the_chat_names() -> None:
    session = ChatSession(URL)
    _joined(session)
    session.typed("hello")
    first = _sent(session)
    refused = {
        "type": "error",
        "code": "RATE_LIMITED",
        "message": "Too many requests.",
        "action": "sendMessage",
        "retryAfterMs": 100,
        "ref": first["ref"],
    }
    session.received(_frame(**refused))
    assert session.next_send() is None  # a pause first
    assert session.take_pause() == pytest.approx(0.1)
    assert _sent(session) == first  # the same request, its same ref
    session.received(_frame(**refused))
    assert session.take_pause() == pytest.approx(0.2)  # doubled: refused twice in a row
    assert session.refused_lines == 0  # it was sent again, not refused for good
    assert [p for p in session.take_output() if not p.own] == []


def test_a_refusal_is_printed_and_counted() -> None:
    session = ChatSession(URL)
    _joined(session)
    session.typed("/join Not A Room")
    request = _sent(session)
    error = {
        "type": "error",
        "code": "INVALID_ROOM",
        "message": "A room is 1-64 characters.",
        "action": "join",
        "ref": request["ref"],
    }
    session.received(_frame(**error))
    assert session.take_output()[-1] == Printed("! INVALID_ROOM: A room is 1-64 characters.")
    assert session.refused_lines == 1
    assert session.idle


def test_a_lost_connection_sends_the_request_in_flight_again_after_the_new_join() -> None:
    session = ChatSession(URL)
    _joined(session, [_message("m1", "hi")])
    session.take_output()
    session.typed("lost in flight")
    lost = _sent(session)
    session.closed()
    assert session.next_send() is None  # offline
    session.opened()
    join = _sent(session)
    assert join["action"] == "join"  # the join first, then what was in flight
    session.received(_frame(type="welcome", room="dev", name="zoe", ref=join["ref"]))
    page = {"type": "history", "room": "dev", "messages": [_message("m1", "hi")], "next": None}
    session.received(_frame(**page))
    assert session.take_output() == [Printed("You are zoe in dev again.", own=True)]
    assert _sent(session) == lost  # and the history printed before is not printed again


def test_history_pages_go_back_with_the_cursor_known_when_they_go() -> None:
    session = ChatSession(URL)
    session.opened()
    join = _sent(session)
    session.received(_frame(type="welcome", room="dev", name="zoe", ref=join["ref"]))
    page = {"type": "history", "room": "dev", "messages": [_message("m9", "late")], "next": "c1"}
    session.received(_frame(**page))
    session.typed("/history")
    older = _sent(session)
    assert (older["action"], older["before"]) == ("history", "c1")
    answer = {
        "type": "history",
        "room": "dev",
        "messages": [_message("m1", "early")],
        "next": None,
        "ref": older["ref"],
    }
    session.received(_frame(**answer))
    assert session.take_output()[-2:] == [Printed("* earlier in dev:"), Printed("ana: early")]
    session.typed("/history")
    assert session.next_send() is None  # nothing earlier: said, not asked
    assert session.take_output() == [Printed("* no earlier messages in dev")]


def test_edit_and_delete_name_the_last_message_of_ours_when_they_go() -> None:
    session = ChatSession(URL)
    _joined(session)
    session.typed("/delete")
    assert session.next_send() is None
    assert session.take_output()[-1] == Printed("* no message of yours to change yet", own=True)
    assert session.refused_lines == 1
    session.typed("helo")
    session.typed("/edit hello")  # typed before "helo" is answered: named when it goes
    said = _sent(session)
    echo = _message("m7", "helo", "zoe", 1_707_502_303_419) | {"ref": said["ref"]}
    session.received(_frame(**echo))
    edit = _sent(session)
    assert {k: edit[k] for k in ("action", "id", "sentAt", "message")} == {
        "action": "editMessage",
        "id": "m7",
        "sentAt": 1_707_502_303_419,
        "message": "hello",
    }


def test_a_big_rooms_who_asks_for_the_next_page_itself() -> None:
    session = ChatSession(URL)
    _joined(session)
    session.typed("/who")
    who = _sent(session)
    answer = {"type": "who", "room": "dev", "names": ["ana"], "next": "ana", "ref": who["ref"]}
    session.received(_frame(**answer))
    following = _sent(session)
    assert (following["action"], following["after"]) == ("who", "ana")


def test_an_unanswered_request_is_given_up_after_the_timeout() -> None:
    session = ChatSession(URL)
    _joined(session)
    session.typed("/who")
    _sent(session)
    session.timed_out()
    assert session.idle
    assert session.take_output()[-1] == Printed("No answer to who within 30 s.", own=True)


def test_lines_for_default_go_without_waiting() -> None:
    session = ChatSession(URL, raw=True)
    _joined(session)
    session.typed("plain words")
    item = session.next_send()
    assert item == Outgoing("plain words")
    assert session.in_flight is None


def test_a_gateway_error_answers_the_request_in_flight() -> None:
    session = ChatSession(URL)
    _joined(session)
    session.typed("hi")
    _sent(session)
    session.received(_frame(message="Internal server error", connectionId="c", requestId="r"))
    assert session.idle
    assert session.refused_lines == 1


def test_raw_prints_no_echo_of_its_own_and_json_the_frame_without_our_ref() -> None:
    raw = ChatSession(URL + "&format=raw")
    _joined(raw)
    raw.typed("mine")
    said = _sent(raw)
    raw.received(_frame(**_message("m1", "mine", "zoe"), ref=said["ref"]))
    raw.received(_frame(**_message("m2", "yours")))
    assert [p.text for p in raw.take_output() if not p.own] == ["yours"]
    js = ChatSession(URL, fmt="json")
    _joined(js)
    js.take_output()
    js.typed("mine")
    said = _sent(js)
    js.received(_frame(**_message("m1", "mine", "zoe"), ref=said["ref"]))
    (printed,) = js.take_output()
    assert json.loads(printed.text) == _message("m1", "mine", "zoe")


def test_retry_after_reads_the_frame_not_its_english() -> None:
    refused = {"type": "error", "code": "RATE_LIMITED", "message": "at most 1 a second"}
    assert retry_after({**refused, "retryAfterMs": 100}, 1) == pytest.approx(0.1)
    assert retry_after({**refused, "retryAfterMs": 100}, 3) == pytest.approx(0.4)
    assert retry_after({**refused, "retryAfterMs": 100}, 20) == 2.0
    for missing in ({}, {"retryAfterMs": "100"}, {"retryAfterMs": True}, {"retryAfterMs": -5}):
        assert retry_after({**refused, **missing}, 1) == pytest.approx(0.1)


def test_a_connection_that_sent_nothing_for_five_minutes_pings() -> None:
    """API Gateway closes a connection idle for 10 minutes ("Amazon API Gateway quotas for
    configuring and running a WebSocket API": idle connection timeout, 10 minutes): the
    session pings after PING_INTERVAL (5 minutes) without a frame of its own, on the
    shell's clock; the pong shows nothing."""
    assert PING_INTERVAL == 300.0 < 600
    session = ChatSession(URL)
    assert session.ping_in(0.0) is None  # not connected: nothing to keep alive
    session.opened(1000.0)
    join = _sent_at(session, 1000.0)
    session.received(_frame(type="welcome", room="dev", name="zoe", ref=join["ref"]))
    session.received(_frame(type="history", room="dev", messages=[], next=None))
    assert session.ping_in(1000.0) == PING_INTERVAL
    assert session.next_send(1299.0) is None
    assert session.ping_in(1299.0) == 1.0
    session.typed("hello")  # a frame of ours resets the count
    sent = _sent_at(session, 1200.0 + 100.0)
    assert sent["action"] == "sendMessage"
    session.received(
        _frame(
            type="message",
            id="m1",
            room="dev",
            **{"from": "zoe"},
            text="hello",
            sentAt=1,
            ref=sent["ref"],
        )
    )
    assert session.next_send(1599.0) is None
    assert _sent_at(session, 1600.0) == {"action": "ping"}
    assert session.ping_in(1600.0) == PING_INTERVAL
    assert session.in_flight is None  # not answered with a ref: nothing waits for it
    session.take_output()
    session.received(_frame(type="pong"))
    assert session.take_output() == []
    session.closed()
    assert session.ping_in(1900.0) is None
    assert session.next_send(1900.0) is None


def test_a_ping_that_could_not_go_is_not_queued_for_the_next_connection() -> None:
    session = ChatSession(URL)
    _joined(session)
    ping = session.next_send(PING_INTERVAL)
    assert ping is not None
    assert json.loads(ping.text) == {"action": "ping"}
    session.unsent(ping)
    session.closed()
    session.opened(PING_INTERVAL)
    assert _sent_at(session, PING_INTERVAL)["action"] == "join"
    assert session.next_send(PING_INTERVAL) is None


def _sent_at(session: ChatSession, now: float) -> dict[str, Any]:
    item = session.next_send(now)
    assert item is not None
    frame: dict[str, Any] = json.loads(item.text)
    return frame


# 2026-12-07 14:02:30 UTC, as epoch seconds; the day before at 09:15.
NOW = 1_796_652_150.0
YESTERDAY_MS = int((NOW - 86_400 - 4 * 3600 - 47 * 60) * 1000)


def _person(url: str = URL) -> ChatSession:
    """A session at a terminal, on a clock that says NOW, in UTC."""
    return ChatSession(url, interactive=True, clock=lambda: NOW, tz=UTC)


def test_at_a_terminal_every_line_has_its_time_and_the_date_when_not_today() -> None:
    assert stamp(NOW, NOW, UTC) == "14:02"
    assert stamp(YESTERDAY_MS / 1000, NOW, UTC) == "2026-12-06 09:15"
    session = _person()
    _joined(session)
    session.take_output()
    session.received(_frame(**_message("m1", "hi", sent_at=int(NOW * 1000) - 60_000)))
    session.received(_frame(type="presence", event="joined", room="dev", name="bob"))
    session.received(_frame(**_message("m2", "old one", sent_at=YESTERDAY_MS)))
    assert session.take_output() == [
        Printed("14:01 ana: hi"),
        Printed("14:02 * bob joined dev"),
        Printed("2026-12-06 09:15 ana: old one"),
    ]


def test_the_history_on_connect_and_join_comes_under_a_rule() -> None:
    session = _person()
    _joined(session, [_message("m1", "before", sent_at=YESTERDAY_MS)])
    assert session.take_output()[-2:] == [
        Printed("— earlier in dev —"),
        Printed("2026-12-06 09:15 ana: before"),
    ]
    session.received(_frame(**_message("m2", "live", sent_at=int(NOW * 1000))))
    assert session.take_output() == [Printed("14:02 ana: live")]
    # /join: the new room's history under its own rule
    session.typed("/join ops")
    join = _sent(session)
    session.received(_frame(type="welcome", room="ops", name="zoe", ref=join["ref"]))
    page = [{**_message("o1", "in ops", sent_at=YESTERDAY_MS), "room": "ops"}]
    session.received(_frame(type="history", room="ops", messages=page, next=None))
    assert [p.text for p in session.take_output()][-2:] == [
        "— earlier in ops —",
        "2026-12-06 09:15 ana: in ops",
    ]


def test_piped_lines_stay_the_chats_own_text_lines() -> None:
    session = ChatSession(URL, clock=lambda: NOW, tz=UTC)
    _joined(session, [_message("m1", "before")])
    assert session.take_output()[-1] == Printed("ana: before")


def test_ctrl_c_clears_a_half_typed_line_and_only_a_second_one_on_an_empty_line_leaves() -> None:
    session = _person()
    _joined(session)
    session.take_output()
    assert session.interrupt("half a thou") is False  # the shell clears the line
    assert session.take_output() == []
    assert session.interrupt("") is False
    assert session.take_output() == [
        Printed("14:02 (Ctrl-C again, Ctrl-D or /quit to leave)", True)
    ]
    assert session.interrupt("") is True
    # a line typed in between starts the count again
    session = _person()
    assert session.interrupt("") is False
    session.typed("hello")
    assert session.interrupt("") is False
    assert session.interrupt("typed") is False
    assert session.interrupt("") is False
    assert session.interrupt("") is True


def test_tab_completes_commands_and_the_names_of_the_room() -> None:
    session = _person()
    _joined(session, [_message("m1", "hi", sender="ana")])
    session.received(_frame(type="presence", event="joined", room="dev", name="Anabel"))
    session.received(_frame(type="presence", event="joined", room="dev", name="bob smith"))
    session.received(_frame(type="presence", event="joined", room="dev", name="carl"))
    session.received(_frame(type="presence", event="left", room="dev", name="carl"))
    session.received(_frame(type="presence", event="joined", room="other", name="dora"))
    assert session.complete("/j") == ["/join"]
    assert session.complete("/h") == ["/history", "/help"]
    assert session.complete("/") == list(COMMANDS)
    assert session.complete("/nope") == []
    assert session.complete("hello an") == ["ana", "Anabel"]
    assert session.complete("ANA") == ["ana", "Anabel"]
    assert session.complete("c") == []  # carl left
    assert session.complete("d") == []  # dora is in another room
    assert session.complete("z") == []  # not our own name
    assert session.complete("/dm b") == ['"bob smith"']
    assert session.complete('/dm "bo') == ['"bob smith"']
    assert session.complete("hello ") == []
    session.received(
        _frame(type="presence", event="renamed", room="dev", name="bo", previousName="bob smith")
    )
    assert session.complete("/dm b") == ["bo"]
    session.received(_frame(type="who", room="dev", names=["eve", "zoe"]))
    assert session.complete("e") == ["eve"]
    # another room: its names only
    session.typed("/join ops")
    join = _sent(session)
    session.received(_frame(type="welcome", room="ops", name="zoe", ref=join["ref"]))
    assert session.complete("e") == []
    assert ChatSession(URL, raw=True).complete("/j") == []


HOSTILE = "\x1b[2J\x1b]52;c;cHduZWQ=\x07\x9b31m\u202eevil\x7f\nbob: fake"


@pytest.mark.parametrize("fmt", ["raw", "json"])
def test_on_a_terminal_every_format_escapes_what_a_terminal_would_act_on(fmt: str) -> None:
    """(issue 25) Another member's message cannot clear the screen, write the clipboard
    (OSC 52), send a C1 CSI or reorder the line with a bidi override in raw or json either."""
    session = ChatSession(URL, fmt, terminal=True)
    _joined(session)
    session.take_output()
    session.received(_frame(**_message("m1", HOSTILE)))
    session.received(_frame(type="direct", id="d1", **{"from": "ana"}, text=HOSTILE, sentAt=2))
    (message, direct) = [printed.text for printed in session.take_output()]
    for line in (message, direct):
        assert line.isprintable()
        assert not {"\x1b", "\x07", "\x9b", "\u202e", "\x7f", "\n"} & set(line)
    if fmt == "json":  # still JSON, with the same value
        assert json.loads(message)["text"] == HOSTILE
        for escaped in ("\\u001b[2J", "\\u009b", "\\u202e"):
            assert escaped in message
    else:
        assert message == "\\x1b[2J\\x1b]52;c;cHduZWQ=\\x07\\x9b31m\\u202eevil\\x7f\\nbob: fake"


@pytest.mark.parametrize("fmt", ["raw", "json"])
def test_a_pipe_gets_what_the_chat_sent(fmt: str) -> None:
    """Scripting: a pipe (not a terminal) gets the message's text, or the frame, as it came."""
    session = ChatSession(URL, fmt, terminal=False)
    _joined(session)
    session.take_output()
    sent = _frame(**_message("m1", HOSTILE))
    session.received(sent)
    (printed,) = session.take_output()
    assert printed.text == (HOSTILE if fmt == "raw" else sent)


def test_at_a_colour_terminal_names_have_colours_mentions_ring_and_history_is_dim() -> None:
    """(issue 26 §3) A live mention of me rings the bell; the same in the history printed
    on joining is dimmed and silent; my own messages never ring."""
    style = terminal_style(True, {"TERM": "xterm-256color"})
    assert style.colours is not None
    bob = f"\x1b[{name_colour('bob', style.colours)}mbob\x1b[39m"
    session = ChatSession(URL, interactive=True, clock=lambda: NOW, tz=UTC, style=style)
    _joined(session, [_message("m1", "earlier, @zoe", "bob", YESTERDAY_MS)])
    assert [p.text for p in session.take_output()][-2:] == [
        "\x1b[2m— earlier in dev —\x1b[22m",
        f"\x1b[2m2026-12-06 09:15 {bob}: earlier, \x1b[7m@zoe\x1b[27m\x1b[22m",
    ]
    session.received(_frame(**_message("m2", "now, @Zoe", "bob", int(NOW * 1000))))
    session.received(_frame(**_message("m3", "me, @zoe", "zoe", int(NOW * 1000))))
    live, own = [p.text for p in session.take_output()]
    assert live == f"14:02 \x1b[1m{bob}: now, \x1b[7m@Zoe\x1b[27m\x1b[22m\a"
    assert "\a" not in own


def test_no_colour_nor_bell_in_a_pipe_or_another_format() -> None:
    style = terminal_style(True, {"TERM": "xterm-256color"})
    for session in (ChatSession(URL), ChatSession(URL + "&format=raw", style=style)):
        _joined(session)
        session.take_output()
        session.received(_frame(**_message("m2", "hi @zoe", "bob")))
        assert [p.text for p in session.take_output()] in (["bob: hi @zoe"], ["hi @zoe"])


def test_the_rules_room_cannot_act_on_the_terminal() -> None:
    """The prompt passes escapes through (the colours need it): the rule's room, which
    comes from the frame, is escaped as every line of the chat's is."""
    session = _person()
    _joined(session)
    session.take_output()
    page = {"type": "history", "room": "x\x1b[2J", "messages": [_message("m9", "hi")]}
    session.received(_frame(**page, next=None))
    assert session.take_output()[0] == Printed("— earlier in x\\x1b[2J —")


def test_an_older_pages_line_names_its_room_escaped() -> None:
    """The room a welcome names comes from the endpoint (any URL the client is given): the
    line over an older page says it escaped, as the rule's room is."""
    session = ChatSession(URL)
    session.opened()
    join = _sent(session)
    session.received(_frame(type="welcome", room="x\x1b[2J", name="zoe", ref=join["ref"]))
    session.received(_frame(type="history", room="x", messages=[_message("m9", "l")], next="c1"))
    session.typed("/history")
    older = _sent(session)
    answer = {"type": "history", "messages": [_message("m1", "early")], "next": None}
    session.received(_frame(**answer, room="x", ref=older["ref"]))
    assert Printed("* earlier in x\\x1b[2J:") in session.take_output()


# -- direct messages that last (issue 26) ---------------------------------------------------
def _direct(mid: str, text: str, sender: str, to: str, conversation: str) -> dict[str, Any]:
    return {
        "type": "direct",
        "id": mid,
        "from": sender,
        "to": to,
        "text": text,
        "sentAt": 1,
        "conversation": conversation,
    }


def _resumed_session(token: str | None, directs: list[dict[str, Any]]) -> ChatSession:
    """A person's session, connected: joined, resumed (with ``token``), its direct history
    answered with ``directs``."""
    session = ChatSession(URL, keeps_directs=True, token=token)
    _joined(session)
    resume = _sent(session)
    assert resume["action"] == "resume"
    assert resume.get("token") == token
    session.received(
        _frame(type="resumed", ref=resume["ref"], **({} if token else {"token": "T" * 43}))
    )
    ask = _sent(session)
    assert ask["action"] == "directHistory"
    assert "conversation" not in ask
    page = {"type": "directHistory", "conversation": None, "messages": directs, "next": None}
    session.received(_frame(**page, ref=ask["ref"]))
    return session


def test_a_person_gets_a_resume_token_once_and_presents_it_on_every_connection() -> None:
    session = _resumed_session(None, [])
    assert session.take_token() == "T" * 43  # the shell keeps it
    assert session.take_token() is None
    session.take_output()
    session.closed()
    session.opened()
    join = _sent(session)
    assert session.next_send() is None  # the join is in flight: the resume waits for it
    session.received(_frame(type="welcome", room="dev", name="zoe", ref=join["ref"]))
    session.received(_frame(type="history", room="dev", messages=[], next=None))
    assert _sent(session) == {"action": "resume", "token": "T" * 43, "ref": ANY_REF}


def test_direct_messages_come_back_after_a_reconnect_in_the_flow_once() -> None:
    dm = _direct("d1", "psst", "ana", "zoe", "@c1")
    session = _resumed_session("K" * 43, [dm])
    lines = [p.text for p in session.take_output() if not p.own]
    assert lines == ["— direct messages —", "[direct] ana → zoe: psst"]
    # The next connection's page holds it again: not printed twice.
    session.closed()
    session.opened()
    join = _sent(session)
    session.received(_frame(type="welcome", room="dev", name="zoe", ref=join["ref"]))
    session.received(_frame(type="history", room="dev", messages=[], next=None))
    resume = _sent(session)
    session.received(_frame(type="resumed", ref=resume["ref"]))
    ask = _sent(session)
    session.received(
        _frame(type="directHistory", conversation=None, messages=[dm], next=None, ref=ask["ref"])
    )
    assert [p.text for p in session.take_output() if not p.own] == []


def test_dm_name_shows_the_conversation_with_that_name() -> None:
    session = _resumed_session("K" * 43, [_direct("d1", "psst", "Ana", "zoe", "@c1")])
    session.take_output()
    session.typed("/dm ana")
    ask = _sent(session)
    assert ask == {"action": "directHistory", "conversation": "@c1", "ref": ask["ref"]}
    both = [_direct("d0", "hello", "zoe", "Ana", "@c1"), _direct("d1", "psst", "Ana", "zoe", "@c1")]
    session.received(
        _frame(type="directHistory", conversation="@c1", messages=both, next=None, ref=ask["ref"])
    )
    assert [p.text for p in session.take_output() if not p.own] == [
        "— direct messages with ana —",
        "[direct] zoe → Ana: hello",
        "[direct] Ana → zoe: psst",
    ]
    session.typed("/dm nobody")
    assert session.next_send() is None
    assert session.take_output() == [Printed("* no direct messages with nobody yet", own=True)]


def test_a_refused_resume_token_is_replaced_by_a_new_one() -> None:
    session = ChatSession(URL, keeps_directs=True, token="K" * 43)
    _joined(session)
    resume = _sent(session)
    session.received(
        _frame(type="error", code="INVALID_TOKEN", message="…", action="resume", ref=resume["ref"])
    )
    again = _sent(session)
    assert again["action"] == "resume"
    assert "token" not in again
    assert session.refused_lines == 0


def test_another_apis_forbidden_join_says_to_use_a_plain_client() -> None:
    """An API with no ``join`` route and no ``$default`` answers the client's own join with
    API Gateway's ``{"message": "Forbidden", …}`` ("Working with routes for WebSocket APIs",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html):
    the client says once that it speaks this chat's protocol, and what to use instead."""
    session = ChatSession(URL)
    session.opened()
    assert _sent(session)["action"] == "join"
    forbidden = _frame(message="Forbidden", connectionId="c1=", requestId="r1=")
    session.received(forbidden)
    assert session.take_output() == [
        Printed(
            'ws://h:1/production has no "join" route (it answered Forbidden): connect speaks'
            " this chat's protocol (docs/protocol.md); for another API use a plain WebSocket"
            " client, e.g. python -m websockets ws://h:1/production",
            own=True,
        ),
        Printed(forbidden),
    ]


def test_a_forbidden_line_of_ones_own_is_only_shown() -> None:
    """Past the join, a Forbidden answer is the person's line's: shown, nothing more said."""
    session = ChatSession(URL)
    _joined(session)
    session.take_output()
    session.typed('{"action": "nope"}')
    session.next_send()
    forbidden = _frame(message="Forbidden", connectionId="c1=", requestId="r2=")
    session.received(forbidden)
    assert session.take_output() == [Printed(forbidden)]
