"""The deployment's terminal output, with rich: events as they come, a live status line.
Every string that comes from AWS or from the user (stack and resource names, reasons,
outputs) is escaped twice over: rich markup in it is shown as it is, never interpreted, and
the control codes a terminal would act on (``ESC[2J``, OSC 52's clipboard write, C1
controls, bidi overrides; rich drops BEL but not ESC) are shown escaped (``\\x1b``), as
the chat's text format shows them."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape as escape_markup
from rich.status import Status
from rich.table import Table

from serverless_chat.chat.frames import shown
from serverless_chat.deploy.stack import summarize_changes

_COLOURS = {"COMPLETE": "green", "IN_PROGRESS": "yellow", "FAILED": "red", "ROLLBACK": "red"}


def escape(text: str) -> str:
    """External text for a rich string: its markup and its terminal controls shown as
    they are, neither obeyed."""
    return escape_markup(shown(text))


def _colour(status: str) -> str:
    for marker in ("FAILED", "ROLLBACK", "COMPLETE", "IN_PROGRESS"):
        if marker in status:
            return _COLOURS[marker]
    return "white"


class RichReporter:
    """Reporter for a person at a terminal (plain lines when output is not a terminal)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self._status: Status | None = None

    def info(self, text: str) -> None:
        """A line of plain text: what AWS names and says is never read as rich markup."""
        self._stop_status()
        self.console.print(shown(text), markup=False, highlight=False)

    def success(self, lead: str, rest: str) -> None:
        """``lead`` in green, then ``rest`` as plain text."""
        self._stop_status()
        self.console.print(f"[green]{escape(lead)}[/] {escape(rest)}", highlight=False)

    def status(self, text: str) -> None:
        if not self.console.is_terminal:
            return
        text = escape(text)
        if self._status is None:
            self._status = self.console.status(text)
            self._status.start()
        else:
            self._status.update(text)

    def changes(self, changes: list[dict[str, Any]]) -> None:
        self._stop_status()
        table = Table(title="Change set", show_lines=False)
        for column in ("Action", "Resource", "Type", "Replacement"):
            table.add_column(column)
        for row in summarize_changes(changes):
            table.add_row(*(escape(str(cell)) for cell in row))
        self.console.print(table)

    def event(self, event: dict[str, Any]) -> None:
        status = str(event.get("ResourceStatus", ""))
        when: Any = event.get("Timestamp")
        stamp = when.strftime("%H:%M:%S") if hasattr(when, "strftime") else str(when or "")
        reason = event.get("ResourceStatusReason") or ""
        self.console.print(
            f"{escape(stamp)}  [{_colour(status)}]{escape(f'{status:<32}')}[/]"
            f"  {escape(str(event.get('LogicalResourceId', '')))}"
            f"  [dim]{escape(str(event.get('ResourceType', '')))}[/]  {escape(str(reason))}",
            highlight=False,
        )

    def close(self) -> None:
        self._stop_status()

    def _stop_status(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
