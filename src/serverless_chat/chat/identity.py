"""Who may read a direct message: identities, resume tokens and conversations. Pure.

A signed-in person is their token's subject on every connection. A guest is whoever holds
a resume token: 32 random bytes the chat hands out once (``resume`` with no token) and
keeps only as a SHA-256, in the connection's row and in the direct messages it may read.
A guest who reconnects and presents the token is the same guest again; whoever takes the
same name without it is someone else and reads nothing of theirs. A name is never an
identity: names pass from person to person.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from serverless_chat.ports import ConnectionRecord

TOKEN_BYTES = 32
# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet, no padding.
_TOKEN = r"[A-Za-z0-9_-]{43}"
# A conversation's id: never a room's name (rooms are [a-z0-9_-]), so no request that names
# a room (history, join, an edit) can name a conversation.
CONVERSATION_PREFIX = "@"
_CONVERSATION = r"@[0-9a-f]{32}"


def new_token() -> str:
    """A fresh resume token: what the guest keeps, and shows nobody but the chat."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token(value: str) -> bool:
    """Whether ``value`` is shaped as a token :func:`new_token` makes."""
    return re.fullmatch(_TOKEN, value) is not None


def token_hash(token: str) -> str:
    """What the chat keeps of a token: its SHA-256 in hex (a token is random and long, so
    no salt or stretching is needed for it to be unguessable from its hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def reader_of(record: ConnectionRecord) -> str:
    """The identity that may read direct messages on this connection: ``sub:SUBJECT`` when
    signed in, ``guest:HASH`` once a guest presented a resume token, else "" (nobody: what
    reaches it is delivered live, and kept for no one on its side)."""
    if record.principal:
        return f"sub:{record.principal}"
    if record.guest:
        return f"guest:{record.guest}"
    return ""


def party_of(record: ConnectionRecord) -> str:
    """One side of a conversation: its reader, or for a connection with none this
    connection alone (so that its conversations are nobody else's)."""
    return reader_of(record) or f"conn:{record.connection_id}"


def conversation_of(one: str, other: str) -> str:
    """The conversation between two parties (:func:`party_of`), the same whichever sends."""
    first, second = sorted((one, other))
    digest = hashlib.sha256(f"{first}\n{second}".encode()).hexdigest()[:32]
    return f"{CONVERSATION_PREFIX}{digest}"


def is_conversation(value: str) -> bool:
    return re.fullmatch(_CONVERSATION, value) is not None
