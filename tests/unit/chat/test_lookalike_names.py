"""A name that only looks different is the same name: case, Unicode compatibility forms
(NFKC: full-width letters) and Cyrillic or Greek letters that pass for Latin ones (Unicode's
confusables) — so "alice" written with a Cyrillic a cannot be a second alice in her room,
nor receive her direct messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serverless_chat.adapters.memory import MemoryConnectionStore
from serverless_chat.chat.model import name_key
from serverless_chat.chat.protocol import ProtocolError, validate_name
from serverless_chat.chat.service import Chat
from tests.fakes import FakeConnections, MemoryMessageStore

CYRILLIC_A = "\u0430"
FULL_WIDTH_ANA = "\uff41\uff4e\uff41"


@pytest.mark.parametrize(
    "other",
    ["Alice", "ALICE", CYRILLIC_A + "lice", "\u0430l\u0456ce", "\uff41lice", "al\u0131ce"],
)
def test_lookalikes_have_one_key(other: str) -> None:
    assert name_key(other) == name_key("alice")


@pytest.mark.parametrize("other", ["zoë", "Ἀλέξανδρος", "中文", "alice2"])
def test_other_names_keep_their_own_key(other: str) -> None:
    assert name_key(other) != name_key("alice")


def test_a_name_is_kept_in_its_nfkc_form() -> None:
    assert validate_name(FULL_WIDTH_ANA) == "ana"
    assert validate_name("  Zoë ") == "Zoë"


def test_a_lookalike_of_a_taken_name_is_taken() -> None:
    store = MemoryConnectionStore()
    chat = Chat(store, MemoryMessageStore(), FakeConnections("c1"))  # c1 is there
    chat.connect("c1", 1, {"name": "alice"})
    with pytest.raises(ProtocolError) as caught:
        chat.connect("c2", 1, {"name": "\uff41lice"})  # a full-width a
    assert caught.value.code == "NAME_TAKEN"
    with pytest.raises(ProtocolError) as mixed:  # a Cyrillic a beside Latin: no name at all
        chat.connect("c2", 1, {"name": CYRILLIC_A + "lice"})
    assert mixed.value.code == "INVALID_NAME"


# (issue 25) Capitals that casefold past a hand table, and letters that show nothing.
GREEK_CAPITAL_BETA = "\u0392"
CYRILLIC_CAPITAL_VE = "\u0412"
GREEK_CAPITAL_MU = "\u039c"
CYRILLIC_CAPITAL = {"T": "\u0422", "H": "\u041d", "K": "\u041a"}
HANGUL_FILLERS = ["\u115f", "\u1160", "\u3164"]


@pytest.mark.parametrize(
    ("latin", "lookalike"),
    [
        ("Bob", GREEK_CAPITAL_BETA + "ob"),
        ("Bob", CYRILLIC_CAPITAL_VE + "ob"),
        ("MAX", GREEK_CAPITAL_MU + "AX"),
        ("Max", GREEK_CAPITAL_MU + "ax"),
        ("THK", "".join(CYRILLIC_CAPITAL.values())),
        ("Tom", CYRILLIC_CAPITAL["T"] + "om"),
        ("Hal", CYRILLIC_CAPITAL["H"] + "al"),
        ("Kim", CYRILLIC_CAPITAL["K"] + "im"),
        ("alice", "aIice"),  # a capital I for the l
        ("Ivan", "lvan"),
        ("Ivan", "ivan"),  # and case still does not make another name
        ("bob", "b0b"),
        ("bob", "\uff42\uff4f\uff42"),  # full width (NFKC)
    ],
)
def test_lookalikes_of_every_case_have_one_key(latin: str, lookalike: str) -> None:
    assert name_key(lookalike) == name_key(latin)


@pytest.mark.parametrize(
    "name",
    [f"Bob{c}" for c in HANGUL_FILLERS]
    + [f"B{c}ob" for c in HANGUL_FILLERS]
    + [f"{c}" for c in HANGUL_FILLERS]
    + ["Bob\uffa0"],  # the half-width filler
)
def test_a_name_with_a_character_that_shows_nothing_is_refused(name: str) -> None:
    """Hangul fillers count as letters and show nothing: "Bob" and "Bob" + a filler
    looked like one person twice in the people list."""
    with pytest.raises(ProtocolError) as caught:
        validate_name(name)
    assert caught.value.code == "INVALID_NAME"
    assert "show nothing (U+" in caught.value.message


@pytest.mark.parametrize(
    "name",
    [
        GREEK_CAPITAL_BETA + "ob",
        CYRILLIC_CAPITAL_VE + "ob",
        CYRILLIC_A + "lice",
        "Ivan " + "\u0418\u0432\u0430\u043d",  # Latin beside Cyrillic
        "abc \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",  # Latin beside Greek
        "\u0418\u0432\u0430\u043d \u0395\u03bb\u03bb\u03b7\u03bd",  # Cyrillic beside Greek
    ],
)
def test_a_name_mixing_lookalike_scripts_is_refused(name: str) -> None:
    """UTS #39's "moderately restrictive" level: Latin beside Cyrillic, Greek or Cherokee,
    or two scripts that are not written together, is how a name passes for another."""
    with pytest.raises(ProtocolError) as caught:
        validate_name(name)
    assert caught.value.code == "INVALID_NAME"
    assert "mix these scripts" in caught.value.message


@pytest.mark.parametrize(
    "name",
    [
        "\u0418\u0432\u0430\u043d",  # Cyrillic alone
        "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",  # Greek alone
        "Zo\u00eb 2",
        "\u65e5\u672c\u8a9e\u3072\u3089\u304c\u306a abc",  # Japanese beside Latin
        "\ud55c\uad6d\uc5b4 abc",  # Korean beside Latin
        "\u4e2d\u6587 abc",
        "\u0645\u0631\u064a\u0645 abc",  # Arabic beside Latin
        "guest-1a2b3c",
    ],
)
def test_names_of_one_script_or_allowed_mixtures_are_taken(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    ("whole", "mixed"),
    [
        ("\u0392\u039f\u0392", GREEK_CAPITAL_BETA + "OB"),  # Greek capitals alone: BOB
        ("\u0412\u041e\u0412", CYRILLIC_CAPITAL_VE + "OB"),  # Cyrillic capitals alone: BOB
    ],
)
def test_two_people_in_one_room_may_not_hold_bob_and_its_lookalike(whole: str, mixed: str) -> None:
    """A whole-script look-alike passes the script check and meets the skeleton: taken;
    a mixed one is no name at all."""
    chat = Chat(MemoryConnectionStore(), MemoryMessageStore(), FakeConnections("c1"))
    chat.connect("c1", 1, {"name": "Bob"})
    for name in (whole, "BOB", "b0b"):
        with pytest.raises(ProtocolError) as caught:
            chat.connect("c2", 1, {"name": name})
        assert caught.value.code == "NAME_TAKEN", name
    with pytest.raises(ProtocolError) as refused:
        chat.connect("c2", 1, {"name": mixed})
    assert refused.value.code == "INVALID_NAME"


def test_alice_and_aiice_with_a_capital_i_are_one_name_in_a_room() -> None:
    chat = Chat(MemoryConnectionStore(), MemoryMessageStore(), FakeConnections("c1"))  # c1 is there
    chat.connect("c1", 1, {"name": "alice"})
    with pytest.raises(ProtocolError) as caught:
        chat.connect("c2", 1, {"name": "aIice"})
    assert caught.value.code == "NAME_TAKEN"


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_a_key_is_its_own_key(name: str) -> None:
    """The key is stable: a key's key is itself (UTS #39's skeleton alone is not; ours is
    repeated until it is), so a name stored by its key is found by it."""
    key = name_key(name)
    assert name_key(key) == key


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8", categories=("Lu", "Ll", "Lt", "Nd")), max_size=20))
def test_case_never_makes_another_name(name: str) -> None:
    assert name_key(name.upper()) == name_key(name.lower()) or _unlike_cases(name)


def _unlike_cases(name: str) -> bool:
    """Letters whose capital and small forms are told apart by their look-alikes (Greek
    capital beta is B's, small beta is not): case folding alone then does not join them."""
    return any(name_key(c.upper()) != name_key(c.lower()) for c in name)
