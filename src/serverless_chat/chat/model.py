"""The chat's model: rules about connections and names that every store and handler
shares. Pure, the standard library only.

- a connection lives at most as long as API Gateway keeps it (``open_connection`` sets the
  row's TTL from it);
- a name is one name whatever its case, Unicode form and look-alike letters (``name_key``),
  and a name that shows nothing or mixes look-alike scripts is no name (``name_problem``);
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
    "name_problem",
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


def name_key(name: str) -> str:
    """A name's identity: names with one key are one name to a reader, whatever their case,
    Unicode form and look-alike letters. NFKC, then each character's key (Unicode's
    confusable skeleton, UTS #39, then case folding: chat/confusables.py, generated from
    ICU), then NFD. So 'Bob', 'bob', 'Bob' with a Greek capital beta or a Cyrillic capital
    ve, and its full-width form are one, and so are 'alice' and 'aIice' (a capital I): a
    Latin letter and its case fold are one letter even where they look unlike (i, I, l)."""
    from serverless_chat.chat.confusables import KEYS  # at first use: not every cold start

    if name.isascii():  # (most names: no normalisation to do)
        return name.translate(KEYS).casefold()
    import unicodedata  # (here, not at import: the cold start stays boto3's alone)

    normalized = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name))
    # (KEYS holds the keys that are not the case fold alone)
    return unicodedata.normalize("NFD", normalized.translate(KEYS).casefold())


# Scripts whose letters pass for Latin ones: UTS #39's "moderately restrictive" level
# allows Latin beside any one other script but these.
_LOOKALIKE_SCRIPTS = frozenset({"Cyrl", "Grek", "Cher"})
# Written together with Han: UTS #39's "highly restrictive" combinations (Japanese, Korean,
# Chinese with Bopomofo), as its augmented script sets name them.
_HAN_WRITING = frozenset({"Jpan", "Kore", "Hanb"})
_AUGMENTED = {
    "Hani": ("Hanb", "Jpan", "Kore"),
    "Hira": ("Jpan",),
    "Kana": ("Jpan",),
    "Hang": ("Kore",),
    "Bopo": ("Hanb",),
}
_ANY_SCRIPT = frozenset({"Zyyy", "Zinh"})  # Common and Inherited: beside any script


def name_problem(name: str) -> str | None:
    """Why ``name`` (in NFKC) may not be anyone's name, or None: it holds a character that
    shows nothing (Default_Ignorable_Code_Point: a Hangul filler, a zero-width joiner), or
    it mixes scripts as UTS #39's "moderately restrictive" level does not allow (Latin
    with Cyrillic, Greek or Cherokee, or two scripts that are not written together): such
    a name passes for another."""
    if name.isascii():
        return None
    from serverless_chat.chat.confusables import IGNORABLE_RANGES

    for c in name:
        if any(first <= ord(c) <= last for first, last in IGNORABLE_RANGES):
            return f"A name may not hold characters that show nothing (U+{ord(c):04X})."
    if _restriction_allows(name):
        return None
    scripts = sorted({s for c in name for s in _scripts_of(c)} - _ANY_SCRIPT)
    return f"A name may not mix these scripts, whose letters pass for others': {', '.join(scripts)}"


def _restriction_allows(name: str) -> bool:
    """UTS #39 section 5.2, "moderately restrictive" (as ICU's spoof checker applies it)."""
    if _resolved(name) != frozenset():
        return True  # one script (or Common and Inherited alone)
    without_latin = _resolved(name, without="Latn")
    if without_latin is None or without_latin & _HAN_WRITING:
        return True  # Latin beside Japanese, Korean or Chinese with Bopomofo
    return bool(without_latin) and not without_latin & _LOOKALIKE_SCRIPTS


def _resolved(name: str, without: str = "") -> frozenset[str] | None:
    """The scripts every character of ``name`` may be written in (None: any), leaving out
    Common and Inherited characters, and those that ``without``'s script has."""
    resolved: frozenset[str] | None = None
    for c in name:
        scripts = _scripts_of(c)
        if scripts & _ANY_SCRIPT or without in scripts:
            continue
        augmented = scripts.union(*(_AUGMENTED.get(s, ()) for s in scripts))
        resolved = augmented if resolved is None else resolved & augmented
    return resolved


def _scripts_of(c: str) -> frozenset[str]:
    """``c``'s Script_Extensions."""
    import bisect

    from serverless_chat.chat.confusables import SCRIPT_RANGES, SCRIPT_SETS

    at = bisect.bisect_right(SCRIPT_RANGES, (ord(c), len(SCRIPT_SETS))) - 1
    return SCRIPT_SETS[SCRIPT_RANGES[at][1]]
