"""Unmasked client frames are found wherever the stream is cut into reads (RFC 6455,
section 5.1: "The server MUST close the connection upon receiving a frame that is not
masked"; section 5.2 for the header's layout: 7-bit, 16-bit and 64-bit lengths, the mask
bit and its 4-byte key)."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import given
from hypothesis import strategies as st

from local_gateway.server.masking import PROTOCOL_ERROR_FRAME, FrameBoundaries, MaskedFramesOnly


def frame(payload: bytes, *, masked: bool = True, opcode: int = 0x1) -> bytes:
    size = len(payload)
    if size < 126:
        length = bytes([size])
    elif size < 1 << 16:
        length = bytes([126]) + size.to_bytes(2, "big")
    else:
        length = bytes([127]) + size.to_bytes(8, "big")
    head = bytes([0x80 | opcode, (0x80 if masked else 0) | length[0]]) + length[1:]
    return head + (b"\x07\x07\x07\x07" if masked else b"") + payload


def cut(data: bytes, points: list[int]) -> list[bytes]:
    points = sorted({p % (len(data) + 1) for p in points})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


payloads = st.lists(
    st.sampled_from([0, 1, 125, 126, 127, 300, 65535, 65536]).map(lambda n: b"x" * n),
    min_size=1,
    max_size=5,
)


@given(payloads, st.lists(st.integers(min_value=0), max_size=8))
def test_masked_frames_pass_however_they_are_cut(sizes: list[bytes], points: list[int]) -> None:
    stream = b"".join(frame(p) for p in sizes)
    boundaries = FrameBoundaries()
    assert all(boundaries.first_unmasked(chunk) is None for chunk in cut(stream, points))


@given(payloads, st.binary(max_size=200), st.lists(st.integers(min_value=0), max_size=8))
def test_the_first_unmasked_frame_is_found_where_it_starts(
    before: list[bytes], payload: bytes, points: list[int]
) -> None:
    head = b"".join(frame(p) for p in before)
    stream = head + frame(payload, masked=False) + frame(b"after")
    boundaries = FrameBoundaries()
    offset = 0
    for chunk in cut(stream, points):
        found = boundaries.first_unmasked(chunk)
        if found is not None:
            # In the read holding its second header byte; at its start, or at 0 when its
            # first byte came in an earlier read.
            assert offset + found == len(head) or (found == 0 and offset == len(head) + 1)
            return
        offset += len(chunk)
    raise AssertionError("the unmasked frame was not found")


def test_control_frames_are_frames_too() -> None:
    boundaries = FrameBoundaries()
    assert boundaries.first_unmasked(frame(b"", opcode=0x9)) is None  # a masked ping
    assert boundaries.first_unmasked(frame(b"", opcode=0x8, masked=False)) == 0


class Recording(asyncio.Protocol):
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.eof = False

    def data_received(self, data: bytes) -> None:
        self.received.append(data)

    def eof_received(self) -> bool | None:
        self.eof = True
        return None


def test_aiohttp_is_handed_what_came_before_then_a_protocol_error_and_nothing_more() -> None:
    inner = Recording()
    guard = MaskedFramesOnly(inner)
    good = frame(b"hi")
    guard.data_received(good + frame(b"bad", masked=False))
    guard.data_received(frame(b"later"))
    guard.eof_received()
    assert guard.failed
    assert inner.received == [good, PROTOCOL_ERROR_FRAME]
    assert inner.eof
