"""What AWS names and says reaches the terminal as text: rich markup in a stack name, a
resource's reason or an output is shown as it is (a "[/]" used to raise MarkupError, a
"[link=...]" rendered a link)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from serverless_chat.deploy.console import RichReporter

HOSTILE = "[/] [link=https://evil.example]click[/link] [bold]x"


def reporter() -> tuple[RichReporter, io.StringIO]:
    out = io.StringIO()
    return RichReporter(Console(file=out, force_terminal=False, width=200)), out


def test_info_prints_markup_as_text() -> None:
    report, out = reporter()
    report.info(f"There is no stack named {HOSTILE}; nothing to delete.")
    report.success("Deployed", f"{HOSTILE} (CREATE_COMPLETE).")
    assert out.getvalue().count(HOSTILE) == 2


def test_events_and_change_sets_print_markup_as_text() -> None:
    report, out = reporter()
    report.event(
        {
            "ResourceStatus": "CREATE_FAILED",
            "Timestamp": datetime(2026, 12, 1, tzinfo=UTC),
            "LogicalResourceId": HOSTILE,
            "ResourceType": "AWS::X::Y",
            "ResourceStatusReason": HOSTILE,
        }
    )
    report.changes(
        [{"ResourceChange": {"Action": "Add", "LogicalResourceId": HOSTILE, "ResourceType": "T"}}]
    )
    assert out.getvalue().count("[/] [link=https://evil.example]") >= 2


ESCAPES = "\x1b]52;c;cHduZWQ=\x07\x1b[2J\x9b31m\u202e"


def test_terminal_controls_in_what_aws_says_are_shown_escaped() -> None:
    """(issue 25) rich drops BEL but passes ESC: a status reason with OSC 52 (write the
    clipboard) or ESC[2J (clear the screen) reached the terminal. Every external string is
    shown escaped, as the chat's text format shows it."""
    out = io.StringIO()
    report = RichReporter(Console(file=out, force_terminal=True, width=400))
    report.info(f"There is no stack named {ESCAPES}; nothing to delete.")
    report.success("Deployed", f"{ESCAPES} (CREATE_COMPLETE).")
    report.event(
        {
            "ResourceStatus": "CREATE_FAILED",
            "Timestamp": datetime(2026, 12, 1, tzinfo=UTC),
            "LogicalResourceId": ESCAPES,
            "ResourceType": ESCAPES,
            "ResourceStatusReason": f"Resource handler returned message: {ESCAPES}",
        }
    )
    report.changes(
        [{"ResourceChange": {"Action": "Add", "LogicalResourceId": ESCAPES, "ResourceType": "T"}}]
    )
    written = out.getvalue()
    for acted_on in ("\x1b]52", "\x1b[2J", "\x9b", "\u202e"):
        assert acted_on not in written
    assert written.count("\\x1b]52;c;cHduZWQ=\\x07\\x1b[2J\\x9b31m\\u202e") >= 5
