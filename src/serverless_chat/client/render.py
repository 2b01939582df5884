"""What the terminal client prints for each frame, in the format the person chose.

The client always talks ``json`` to the chat (so every request's answer carries its
``ref``: the client knows which line was refused, and which to send again after
``RATE_LIMITED``) and prints each frame as the chat's own ``text`` or ``raw`` format would
have sent it: the chat's renderers (``serverless_chat.chat.frames``) do the printing, so
the lines are the very same, escapes of terminal controls included.
"""

from __future__ import annotations

import json
from typing import Any

from serverless_chat.chat.frames import decode_frame, shown, shown_json


def parse(data: str | bytes) -> dict[str, Any] | None:
    """A frame as a JSON object, or None (plain text such as $default's usage reply)."""
    if isinstance(data, bytes):
        return None
    try:
        frame = json.loads(data)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None


def without_ref(data: str, frame: dict[str, Any], prefix: str) -> str:
    """The frame as the chat would have sent it had the client not added its own ``ref``."""
    ref = frame.get("ref")
    if not isinstance(ref, str) or not ref.startswith(prefix):
        return data
    rest = {key: value for key, value in frame.items() if key != "ref"}
    return json.dumps(rest, separators=(",", ":"), ensure_ascii=False)


def render(
    data: str | bytes, fmt: str, ref_prefix: str = "\0", terminal: bool = False
) -> str | None:
    """The line(s) to print for one frame, or None for a frame this format does not show.

    ``text``: the chat's text lines; ``raw``: a message's bare text, no presence, answers
    as JSON (as the chat's raw format sends them); ``json``: the frame as it came. A frame
    that is not one of the chat's (a gateway error, $default's reply) is printed as it is.
    With ``terminal`` (stdout is one) what a terminal would act on is escaped in every
    format: ``raw`` text as ``text`` shows it (``\\x1b``, ``\\n``), JSON as JSON escapes
    (``\\u009b``), so it stays JSON with the same value. A pipe gets the chat's bytes.
    """
    if isinstance(data, bytes):
        return f"<binary frame, {len(data)} bytes: {data[:64].hex()}>"
    return render_parsed(data, parse(data), fmt, ref_prefix, terminal)


def render_parsed(
    data: str,
    frame: dict[str, Any] | None,
    fmt: str,
    ref_prefix: str = "\0",
    terminal: bool = False,
) -> str | None:
    """:func:`render` of a text frame already parsed (``frame``, :func:`parse`'s): a frame
    is parsed once."""
    as_text = shown if fmt == "text" or terminal else _as_it_came
    as_json = shown_json if terminal else _as_it_came
    if frame is None:
        return as_text(data)
    if fmt == "json":
        return as_json(without_ref(data, frame, ref_prefix))
    kind = frame.get("type")
    if fmt == "raw" and kind not in {"message", "direct", "presence", "edited", "deleted"}:
        return as_json(without_ref(data, frame, ref_prefix))
    try:  # decoded by the frame class that encodes it (chat/frames.py), then rendered
        out = decode_frame(frame).render(fmt)
    except (KeyError, TypeError, ValueError):  # not a frame of the chat's: as it came
        return as_text(data)
    if out is None:
        return None
    return as_text(out.decode()) if fmt == "raw" else out.decode()


def _as_it_came(text: str) -> str:
    return text
