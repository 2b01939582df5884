"""The chat's model: rules about connections and names that every store and handler
shares. Pure, the standard library only.

- a connection lives at most as long as API Gateway keeps it (``open_connection`` sets the
  row's TTL from it);
- a name is one name whatever its case, Unicode form and look-alike letters (``name_key``);
- a ``raw`` connection hears messages only; every other format also hears presence
  (``hears_presence``).
"""

from __future__ import annotations

from serverless_chat.ports import DEFAULT_ROOM, ConnectionRecord

# API Gateway closes a WebSocket after two hours, so a row older than that is a leak.
CONNECTION_TTL_SECONDS = 2 * 60 * 60
# How long after it was sent its sender may edit or delete a message: long enough to mend
# a typo, short enough that a conversation is not rewritten after it moved on.
EDIT_WINDOW_SECONDS = 15 * 60
FORMATS = ("raw", "text", "json")
# The original chat's format: the text of messages and nothing else. Every other format
# also hears presence (who joins, leaves, is renamed), and every store keeps those members
# apart (DynamoDB's sparse presence-index), so that presence reads them alone.
MESSAGES_ONLY = "raw"

__all__ = [
    "CONNECTION_TTL_SECONDS",
    "DEFAULT_ROOM",
    "EDIT_WINDOW_SECONDS",
    "FORMATS",
    "MESSAGES_ONLY",
    "hears_presence",
    "name_key",
    "open_connection",
    "owner_of",
]


def hears_presence(format: str) -> bool:
    """Whether a connection in ``format`` is told who joins, leaves and is renamed."""
    return format != MESSAGES_ONLY


def owner_of(record: ConnectionRecord) -> str:
    """Who a message of ``record``'s is, for editing and deleting it: the signed-in person
    (their token's subject, on any connection), else this connection alone (a guest who
    reconnects is a new connection, and may no longer change what the old one said)."""
    return f"sub:{record.principal}" if record.principal else f"conn:{record.connection_id}"


def open_connection(
    connection_id: str,
    connected_at_ms: int,
    room: str = DEFAULT_ROOM,
    name: str = "",
    format: str = "raw",
    principal: str = "",
) -> ConnectionRecord:
    """A new connection's record, expiring with API Gateway's 2 h cap."""
    expires = connected_at_ms // 1000 + CONNECTION_TTL_SECONDS
    return ConnectionRecord(connection_id, connected_at_ms, expires, room, name, format, principal)


# Letters of other scripts that look like Latin ones, as their Latin twin: a name that
# differs from another only by them is the same name to a reader (Unicode's confusables of
# the Cyrillic and Greek letters most used to pass for Latin, after case folding; written
# as escapes, since they look like the letters they pass for).
_LOOKALIKES = str.maketrans(
    {
        "\u0430": "a",  # Cyrillic
        "\u0435": "e",  # Cyrillic
        "\u043e": "o",  # Cyrillic
        "\u0440": "p",  # Cyrillic
        "\u0441": "c",  # Cyrillic
        "\u0443": "y",  # Cyrillic
        "\u0445": "x",  # Cyrillic
        "\u0456": "i",  # Cyrillic
        "\u0458": "j",  # Cyrillic
        "\u0455": "s",  # Cyrillic
        "\u0501": "d",  # Cyrillic
        "\u04bb": "h",  # Cyrillic
        "\u04cf": "l",  # Cyrillic
        "\u051b": "q",  # Cyrillic
        "\u051d": "w",  # Cyrillic
        "\u04af": "y",  # Cyrillic
        "\u0261": "g",  # Cyrillic
        "\u03b1": "a",  # Greek
        "\u03bf": "o",  # Greek
        "\u03c1": "p",  # Greek
        "\u03bd": "v",  # Greek
        "\u03b9": "i",  # Greek
        "\u03ba": "k",  # Greek
        "\u03c5": "u",  # Greek
        "\u03c7": "x",  # Greek
        "\u03b5": "e",  # Greek
        "\u03c4": "t",  # Greek
        "\u0131": "i",  # dotless i
    }
)


def name_key(name: str) -> str:
    """Names are one name whatever their case, their Unicode form and their look-alike
    letters: 'Ana', 'ana', its full-width form (NFKC) and 'ana' with a Cyrillic a are one."""
    if name.isascii():  # (most names: no normalisation to do, nothing to import)
        return name.casefold()
    import unicodedata  # (here, not at import: the cold start stays boto3's alone)

    return unicodedata.normalize("NFKC", name).casefold().translate(_LOOKALIKES)
