"""How a terminal shows the chat's text lines beyond their text, without I/O: each name in
a colour of its own, direct messages and mentions of one's own name highlighted (and a
bell for them), a history's lines dimmed.

A colour is a name's for good: chosen from the name's key (chat/model.py's ``name_key``,
so ``Bob`` and ``bob`` are one colour as they are one name), never from the order people
came in. The colours are mid-tones of xterm's 256-colour cube that keep a contrast of
3.5:1 or more against both a black and a white background (WCAG's contrast ratio), so a
dark and a light terminal both read them; a terminal that does not say it has 256
colours gets four of the basic eight. Nothing is coloured when stdout is not a terminal
or ``NO_COLOR`` is set (no-color.org); emphasis (bold, reverse video, dim) is not colour
and stays, but not on a ``dumb`` terminal. The session (client/session.py) calls
:func:`paint` on the lines it prints; the shell (client/shell.py) chooses the
:class:`Style` with :func:`terminal_style`.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from serverless_chat.chat.frames import shown
from serverless_chat.chat.model import name_key

# xterm 256-colour indices, around the hue circle (red, orange, brown, olive, green, sea
# green, teal, azure, blue, violet, purple, magenta, pink).
PALETTE_256 = (160, 166, 130, 100, 64, 28, 29, 30, 32, 63, 98, 134, 164, 162)
# Without 256 colours: red, green, blue, magenta (yellow fades on white, cyan too).
PALETTE_8 = (31, 32, 34, 35)

BELL = "\a"
_BOLD, _NOT_BOLD = "\x1b[1m", "\x1b[22m"
_DIM, _NOT_DIM = "\x1b[2m", "\x1b[22m"
_REVERSE, _NOT_REVERSE = "\x1b[7m", "\x1b[27m"
_DEFAULT_COLOUR = "\x1b[39m"


class Style(NamedTuple):
    """What a terminal is given beyond the text: ``colours`` (SGR foreground codes), None
    for none; ``emphasis``: bold, reverse video and dim."""

    colours: tuple[str, ...] | None = None
    emphasis: bool = False


PLAIN = Style()


def terminal_style(is_terminal: bool, env: Mapping[str, str]) -> Style:
    """The style for stdout: PLAIN for a pipe or a ``dumb`` terminal; no colours with
    ``NO_COLOR`` set to anything but the empty string; 256 colours when TERM or
    COLORTERM says the terminal has them."""
    term = env.get("TERM", "")
    if not is_terminal or term == "dumb":
        return PLAIN
    if env.get("NO_COLOR"):
        return Style(None, True)
    if "256" in term or env.get("COLORTERM") in {"truecolor", "24bit"}:
        return Style(tuple(f"38;5;{index}" for index in PALETTE_256), True)
    return Style(tuple(str(code) for code in PALETTE_8), True)


def name_colour(name: str, colours: Sequence[str]) -> str:
    """The SGR code of ``name``'s colour: the same for every spelling of one name."""
    return colours[zlib.crc32(name_key(name).encode()) % len(colours)]


def mentions(text: str, name: str, start: int = 0) -> list[tuple[int, int]]:
    """Where ``text`` (from ``start``) mentions ``name`` as ``@name`` — any spelling that
    is the same name (case, look-alike letters, full-width forms) and not the start of a
    longer word (``@zoey`` does not mention zoe)."""
    key = name_key(name) if name else ""
    if not key:
        return []
    found: list[tuple[int, int]] = []
    at = text.find("@", start)
    while at >= 0:
        end = _mention_end(text, at + 1, key, len(name))
        if end is not None:
            found.append((at, end))
        at = text.find("@", end if end is not None else at + 1)
    return found


def _mention_end(text: str, begin: int, key: str, length: int) -> int | None:
    for end in range(begin + 1, min(len(text), begin + 2 * length + 2) + 1):
        following = text[end] if end < len(text) else ""
        if following and (following.isalnum() or following in "_-"):
            continue
        if name_key(text[begin:end]) == key:
            return end
    return None


class Painted(NamedTuple):
    """A line as the terminal shows it, and whether it rings the bell."""

    text: str
    bell: bool = False


def paint(
    line: str, frame: Mapping[str, Any] | None, me: str, style: Style, replay: bool = False
) -> Painted:
    """``line`` (the chat's text line for ``frame``) with its names in their colours; a
    direct message to ``me`` or a message that mentions ``me``, from someone else, in bold
    with the mention (or the ``[direct]`` tag) in reverse video, ringing the bell unless it
    is ``replay`` (a history printed again)."""
    if frame is None or style == PLAIN:
        return Painted(line)
    spans: list[tuple[int, int, str, str]] = []
    end = _lead(frame)
    for name in _names(frame):
        at = line.find(shown(name), end)
        if at < 0:
            break
        end = at + len(shown(name))
        if style.colours:
            colour = f"\x1b[{name_colour(name, style.colours)}m"
            spans.append((at, end, colour, _DEFAULT_COLOUR))
    marks = _highlights(line, frame, me, end)
    if marks is None:
        return Painted(_apply(line, spans))
    if style.emphasis:
        spans += [(start, stop, _REVERSE, _NOT_REVERSE) for start, stop in marks]
    text = _apply(line, spans)
    if style.emphasis and not replay:
        text = f"{_BOLD}{text}{_NOT_BOLD}"
    return Painted(text, not replay)


def dim(text: str, style: Style) -> str:
    """``text`` dimmed, each of its lines, when the style has emphasis."""
    if not style.emphasis:
        return text
    return "\n".join(f"{_DIM}{part}{_NOT_DIM}" for part in text.split("\n"))


def _lead(frame: Mapping[str, Any]) -> int:
    """Where a frame's text line names its first person: after ``[direct] ``, ``* `` or
    ``* in ROOM: `` (so that a name such as ``dir`` is not found in the tag)."""
    kind = frame.get("type")
    if kind == "direct":
        return len("[direct] ")
    if kind == "who":
        return len(f"* in {shown(str(frame.get('room', '')))}: ")
    return 0 if kind == "message" else len("* ")


def _names(frame: Mapping[str, Any]) -> list[str]:
    """The names a frame's text line starts with, in the order it prints them."""
    kind = frame.get("type")
    if kind == "direct":
        keys = ["from", "to"]
    elif kind in {"message", "edited", "deleted"}:
        keys = ["from"]
    elif kind == "presence":
        keys = ["previousName", "name"] if frame.get("event") == "renamed" else ["name"]
    elif kind == "who" and isinstance(frame.get("names"), list):
        return [str(name) for name in frame["names"]]
    else:
        return []
    return [str(frame[key]) for key in keys if isinstance(frame.get(key), str)]


def _highlights(
    line: str, frame: Mapping[str, Any], me: str, after: int
) -> list[tuple[int, int]] | None:
    """What to mark in a line that calls for ``me`` (None for one that does not): a direct
    message's tag, or the mentions of ``me`` after the names at its start."""
    sender = frame.get("from")
    if not me or not isinstance(sender, str) or name_key(sender) == name_key(me):
        return None
    if frame.get("type") == "direct":
        tag = line.find("[direct]")
        return [(tag, tag + len("[direct]"))] if tag >= 0 else []
    if frame.get("type") != "message":
        return None
    return mentions(line, me, after) or None


def _apply(line: str, spans: list[tuple[int, int, str, str]]) -> str:
    """``line`` with each span's codes around it (spans do not overlap)."""
    out, at = [], 0
    for start, stop, opening, closing in sorted(spans):
        out += [line[at:start], opening, line[start:stop], closing]
        at = stop
    out.append(line[at:])
    return "".join(out)
