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

from serverless_chat.chat.frames import decode_frame, shown


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


def render(data: str | bytes, fmt: str, ref_prefix: str = "\0") -> str | None:
    """The line(s) to print for one frame, or None for a frame this format does not show.

    ``text``: the chat's text lines; ``raw``: a message's bare text, no presence, answers
    as JSON (as the chat's raw format sends them); ``json``: the frame as it came. A frame
    that is not one of the chat's (a gateway error, $default's reply) is printed as it is.
    """
    if isinstance(data, bytes):
        return f"<binary frame, {len(data)} bytes: {data[:64].hex()}>"
    return render_parsed(data, parse(data), fmt, ref_prefix)


def render_parsed(
    data: str, frame: dict[str, Any] | None, fmt: str, ref_prefix: str = "\0"
) -> str | None:
    """:func:`render` of a text frame already parsed (``frame``, :func:`parse`'s): a frame
    is parsed once."""
    if frame is None:
        return shown(data) if fmt == "text" else data
    if fmt == "json":
        return without_ref(data, frame, ref_prefix)
    kind = frame.get("type")
    if fmt == "raw" and kind not in {"message", "direct", "presence", "edited", "deleted"}:
        return without_ref(data, frame, ref_prefix)
    try:  # decoded by the frame class that encodes it (chat/frames.py), then rendered
        out = decode_frame(frame).render(fmt)
    except (KeyError, TypeError, ValueError):  # not a frame of the chat's: as it came
        return shown(data) if fmt == "text" else data
    return None if out is None else out.decode()
