"""A name that only looks different is the same name: case, Unicode compatibility forms
(NFKC: full-width letters) and Cyrillic or Greek letters that pass for Latin ones (Unicode's
confusables) — so "alice" written with a Cyrillic a cannot be a second alice in her room,
nor receive her direct messages."""

from __future__ import annotations

import pytest

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
    chat = Chat(store, MemoryMessageStore(), FakeConnections())
    chat.connect("c1", 1, {"name": "alice"})
    with pytest.raises(ProtocolError) as caught:
        chat.connect("c2", 1, {"name": CYRILLIC_A + "lice"})
    assert caught.value.code == "NAME_TAKEN"
