"""client/style.py: names in colours a dark and a light terminal both read, the same for
every spelling of a name; mentions found as names are compared; nothing for a pipe or
under NO_COLOR."""

from __future__ import annotations

import pytest

from serverless_chat.client.style import (
    PALETTE_256,
    PLAIN,
    Style,
    dim,
    mentions,
    name_colour,
    paint,
    terminal_style,
)

COLOURS = terminal_style(True, {"TERM": "xterm-256color"})


def _luminance(index: int) -> float:
    """The relative luminance (WCAG 2) of an xterm 256-colour cube index."""
    levels = (0, 95, 135, 175, 215, 255)
    cube = index - 16
    rgb = (levels[cube // 36], levels[cube // 6 % 6], levels[cube % 6])

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("index", PALETTE_256)
def test_every_colour_reads_on_a_black_and_on_a_white_background(index: int) -> None:
    """WCAG 2's contrast ratio, (L1 + 0.05) / (L2 + 0.05), at least 3.5 against both."""
    luminance = _luminance(index)
    assert (luminance + 0.05) / 0.05 >= 3.5  # on black
    assert 1.05 / (luminance + 0.05) >= 3.5  # on white


def test_a_name_keeps_its_colour_in_every_spelling_and_names_differ() -> None:
    assert COLOURS.colours is not None
    bob = name_colour("bob", COLOURS.colours)
    assert name_colour("BOB", COLOURS.colours) == bob
    assert name_colour("\uff22\uff4f\uff42", COLOURS.colours) == bob  # full-width Bob
    names = ["ana", "bob", "zoe", "kim", "lee", "max", "eve", "tom"]
    assert len({name_colour(n, COLOURS.colours) for n in names}) >= 5


def test_which_terminal_gets_what() -> None:
    assert terminal_style(False, {"TERM": "xterm-256color"}) == PLAIN  # a pipe
    assert terminal_style(True, {"TERM": "dumb"}) == PLAIN
    assert terminal_style(True, {"TERM": "xterm-256color", "NO_COLOR": "1"}) == Style(None, True)
    # NO_COLOR set to the empty string does not count (no-color.org)
    assert terminal_style(True, {"TERM": "xterm-256color", "NO_COLOR": ""}) == COLOURS
    eight = terminal_style(True, {"TERM": "xterm"})
    assert eight.colours is not None
    assert all(not c.startswith("38;5") for c in eight.colours)
    assert terminal_style(True, {"TERM": "xterm", "COLORTERM": "truecolor"}) == COLOURS


def test_mentions_are_found_as_names_are_compared() -> None:
    assert mentions("hi @zoe!", "zoe") == [(3, 7)]
    assert mentions("hi @ZOE and @Zoe", "zoe") == [(3, 7), (12, 16)]
    assert mentions("hi @z\u043e\u0435", "zoe") == [(3, 7)]  # Cyrillic o and e: one name
    assert mentions("hi @zoey, @zo, zoe@", "zoe") == []
    assert mentions("mail zoe@example.com", "zoe") == []
    assert mentions("@zoe_x @zoe-b", "zoe") == []


def test_a_message_that_mentions_me_is_bold_its_mention_reversed_and_rings() -> None:
    frame = {"type": "message", "from": "bob", "text": "hi @ZOE"}
    painted = paint("bob: hi @ZOE", frame, "zoe", COLOURS)
    assert COLOURS.colours is not None
    colour = name_colour("bob", COLOURS.colours)
    assert painted.text == f"\x1b[1m\x1b[{colour}mbob\x1b[39m: hi \x1b[7m@ZOE\x1b[27m\x1b[22m"
    assert painted.bell
    replayed = paint("bob: hi @ZOE", frame, "zoe", COLOURS, replay=True)
    assert replayed.text == f"\x1b[{colour}mbob\x1b[39m: hi \x1b[7m@ZOE\x1b[27m"
    assert not replayed.bell


def test_my_own_message_and_a_message_without_my_name_do_not_ring() -> None:
    mine = {"type": "message", "from": "Zoe", "text": "I am @zoe"}
    assert not paint("Zoe: I am @zoe", mine, "zoe", COLOURS).bell
    other = {"type": "message", "from": "bob", "text": "hi @ana"}
    assert not paint("bob: hi @ana", other, "zoe", COLOURS).bell


def test_a_direct_message_to_me_is_highlighted_and_rings_mine_to_others_not() -> None:
    line = "[direct] bob → zoe: psst"
    painted = paint(line, {"type": "direct", "from": "bob", "to": "zoe"}, "zoe", COLOURS)
    assert painted.bell
    assert "\x1b[7m[direct]\x1b[27m" in painted.text
    sent = paint(
        "[direct] zoe → bob: hi", {"type": "direct", "from": "zoe", "to": "bob"}, "zoe", COLOURS
    )
    assert not sent.bell
    assert "\x1b[7m" not in sent.text


def test_no_colour_keeps_the_emphasis_and_plain_keeps_the_line() -> None:
    frame = {"type": "message", "from": "bob", "text": "hi @zoe"}
    no_colour = paint("bob: hi @zoe", frame, "zoe", Style(None, True))
    assert no_colour.text == "\x1b[1mbob: hi \x1b[7m@zoe\x1b[27m\x1b[22m"
    assert paint("bob: hi @zoe", frame, "zoe", PLAIN) == ("bob: hi @zoe", False)
    assert dim("a\nb", Style(None, True)) == "\x1b[2ma\x1b[22m\n\x1b[2mb\x1b[22m"
    assert dim("a", PLAIN) == "a"


def test_a_name_is_coloured_where_the_line_names_it_not_in_its_tag_or_room() -> None:
    assert COLOURS.colours is not None
    dir_ = f"\x1b[{name_colour('dir', COLOURS.colours)}mdir\x1b[39m"
    zoe = f"\x1b[{name_colour('zoe', COLOURS.colours)}mzoe\x1b[39m"
    direct = {"type": "direct", "from": "dir", "to": "zoe"}
    assert paint("[direct] dir → zoe: hi", direct, "", COLOURS).text == (
        f"[direct] {dir_} → {zoe}: hi"
    )
    who = {"type": "who", "room": "general", "names": ["gen", "zoe"]}
    gen = f"\x1b[{name_colour('gen', COLOURS.colours)}mgen\x1b[39m"
    assert paint("* in general: gen, zoe", who, "", COLOURS).text == (f"* in general: {gen}, {zoe}")
