"""Identities for direct messages (chat/identity.py): tokens, readers, conversations."""

from __future__ import annotations

import pytest

from serverless_chat.chat.identity import (
    conversation_of,
    is_conversation,
    is_token,
    new_token,
    party_of,
    reader_of,
    token_hash,
)
from serverless_chat.chat.model import open_connection
from serverless_chat.chat.protocol import ProtocolError, validate_room


def test_tokens_are_random_and_kept_only_as_their_hash() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(is_token(t) for t in tokens)
    token = tokens.pop()
    assert len(token_hash(token)) == 64
    assert token not in token_hash(token)


def test_a_reader_is_a_subject_or_a_guest_never_a_name() -> None:
    guest = open_connection("c1", 0, name="ana")
    assert reader_of(guest) == ""
    assert party_of(guest) == "conn:c1"
    assert reader_of(guest._replace(guest="ab" * 32)) == "guest:" + "ab" * 32
    signed_in = open_connection("c2", 0, name="ana", principal="sub-1")
    assert reader_of(signed_in._replace(guest="ab" * 32)) == "sub:sub-1"


def test_a_conversation_is_the_same_for_both_and_no_room() -> None:
    """A conversation's id is never a room's name, so no request that names a room (history,
    join, an edit) can name one."""
    one = conversation_of("sub:ana", "guest:" + "b" * 64)
    assert one == conversation_of("guest:" + "b" * 64, "sub:ana")
    assert one != conversation_of("sub:ana", "guest:" + "c" * 64)
    assert is_conversation(one)
    with pytest.raises(ProtocolError):
        validate_room(one)
