"""The ports the chat talks to: where connections and messages are kept, and the callback API.

Handlers depend on these Protocols only. Adapters implement them: DynamoDB, SQLite and
memory for the stores; the signed HTTP adapter, boto3's ``apigatewaymanagementapi`` and the
local gateway's in-process callbacks for :class:`Connections`; Lambda's asynchronous Invoke
and the gateway's for :class:`FanoutPages`. Every adapter raises the errors of
:mod:`serverless_chat.errors`, never its SDK's.

What a caller relies on beyond a port is a Protocol of its own, so that mypy checks it:
:class:`BatchConnections` (a fan-out in one call), :class:`MaintainedConnectionStore` and
:class:`MaintainedMessageStore` (what the local gateway clears as it opens a store),
:class:`FlushableMetrics` (what a Lambda entry writes out after each invocation).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple, Protocol, TypeGuard

# API Gateway closes a WebSocket after two hours, so a row older than that is a leak.
CONNECTION_TTL_SECONDS = 2 * 60 * 60
DEFAULT_ROOM = "general"
FORMATS = ("raw", "text", "json")
# The original chat's format: the text of messages and nothing else. Every other format
# also hears presence (who joins, leaves, is renamed), and every store keeps those members
# apart (DynamoDB's sparse presence-index), so that presence reads them alone.
MESSAGES_ONLY = "raw"


def hears_presence(format: str) -> bool:
    """Whether a connection in ``format`` is told who joins, leaves and is renamed."""
    return format != MESSAGES_ONLY


class ConnectionRecord(NamedTuple):
    """One connection: who it is, where it is, how it wants its frames."""

    connection_id: str
    connected_at: int  # epoch milliseconds, as requestContext.connectedAt
    expires_at: int  # epoch seconds; DynamoDB's TTL attribute
    room: str = DEFAULT_ROOM
    name: str = ""
    format: str = "raw"
    principal: str = ""  # the token's subject when an authorizer let the connection in

    @classmethod
    def opened(
        cls,
        connection_id: str,
        connected_at_ms: int,
        room: str = DEFAULT_ROOM,
        name: str = "",
        format: str = "raw",
        principal: str = "",
    ) -> ConnectionRecord:
        """A new connection's record, expiring with API Gateway's 2 h cap."""
        expires = connected_at_ms // 1000 + CONNECTION_TTL_SECONDS
        return cls(connection_id, connected_at_ms, expires, room, name, format, principal)

    def moved(self, room: str | None = None, name: str | None = None) -> ConnectionRecord:
        """The same connection in another room or under another name."""
        return self._replace(
            room=self.room if room is None else room, name=self.name if name is None else name
        )

    @property
    def name_key(self) -> str:
        return name_key(self.name)


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


class Admission(NamedTuple):
    """A request let in or not: the sender's record (None when it is not connected: then
    nothing was taken) and whether a token came from its bucket."""

    record: ConnectionRecord | None
    allowed: bool


class ConnectionStore(Protocol):
    """The connections that are open now, by connectionId, by room and by name."""

    def put(self, record: ConnectionRecord) -> None:
        """Insert or replace a connection."""

    def move(self, record: ConnectionRecord) -> None:
        """Give a stored connection ``record``'s room and name, keeping the rest of its row
        (its token bucket, so that joining or renaming does not refill it). A connection no
        longer stored stays gone."""

    def delete(self, connection_id: str) -> ConnectionRecord | None:
        """Remove a connection, and hand back the record removed (read and removed in one
        step: no read before it); None when it was absent, which is not an error. Its name
        claim stays: release it."""

    def delete_stale(self, connection_id: str, connected_before_ms: int) -> ConnectionRecord | None:
        """Remove a connection only if it connected before ``connected_before_ms`` (its
        connectedAt is less), the check and the delete one atomic step; the record removed,
        or None when nothing was (absent, or too young). Its name claim stays: release it."""

    def get(self, connection_id: str) -> ConnectionRecord | None:
        """The connection with this id, or None."""

    def members(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        """The connections in one room (an index query), page after page. Each record
        carries its connection_id, room, name and format — what a fan-out and ``who`` read;
        a store may leave the other fields at their defaults (DynamoDB's room-index projects
        only those, so that a token taken from a bucket writes no index)."""

    def listeners(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        """The room's members that hear presence (json and text formats), page after page:
        a join then costs reads in proportion to those, not to the whole room. Each record
        carries its connection_id, room and format; the other fields may be defaults."""

    def named(self, name: str) -> list[ConnectionRecord]:
        """Every connection, in any room, whose name is ``name`` (case-insensitive), each
        record whole."""

    def claim_name(
        self, room: str, name: str, connection_id: str, expires_at: int, replace_owner: str = ""
    ) -> str | None:
        """Atomically reserve ``name`` in ``room``. None when claimed (or already ours);
        otherwise the id of the connection that holds it. ``replace_owner`` takes the
        claim over from that holder (one whose connection is known to be gone)."""

    def release_name(self, room: str, name: str, connection_id: str) -> None:
        """Give up a claim, if ``connection_id`` still holds it."""

    def take_token(self, connection_id: str, rate: float, burst: int, now_ms: int) -> bool:
        """Take one token from the connection's bucket (``burst`` deep, refilled at ``rate``
        a second); False when it is empty. Atomic per connection."""

    def admit(self, connection_id: str, rate: float, burst: int, now_ms: int) -> Admission:
        """The connection's record and a token from its bucket (as :meth:`take_token`), in
        one atomic step: every request's first call, so that a request reads its sender
        and is rate-limited in one round trip (on DynamoDB one conditional UpdateItem that
        returns the row). A connection not stored gets Admission(None, False)."""


class MaintainedConnectionStore(ConnectionStore, Protocol):
    """A ConnectionStore that can also be looked over and cleared whole: what the local
    gateway relies on (rows an earlier run left are purged as it opens a store) and what
    tests read every row with. No Lambda function calls these."""

    def scan(self, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        """Every connection, page after page (a whole-table read: fan-out uses members())."""

    def purge(self) -> int:
        """Remove every connection and name claim; how many connections were removed."""


class ChatMessage(NamedTuple):
    """One message said in a room, as history keeps it."""

    id: str
    room: str
    sender: str
    text: str
    sent_at: int  # epoch milliseconds, server time
    expires_at: int = 0  # epoch seconds; DynamoDB's TTL attribute

    @property
    def sort_key(self) -> str:
        """``sentAt#id``, zero-padded so that text order is time order, stable on ties."""
        return f"{self.sent_at:013d}#{self.id}"


class MessageStore(Protocol):
    """A room's messages, newest first by (sentAt, id)."""

    def append(self, message: ChatMessage) -> None:
        """Keep a message."""

    def latest(self, room: str, limit: int, before: str | None = None) -> list[ChatMessage]:
        """At most ``limit`` messages older than the sort key ``before``, newest first."""


class MaintainedMessageStore(MessageStore, Protocol):
    """A MessageStore whose expired messages can be removed on demand: the local gateway
    does so as it opens one (DynamoDB's own TTL does it on AWS)."""

    def expire(self) -> int:
        """Remove the messages past their retention; how many were removed."""


class ConnectionInfo(NamedTuple):
    """What GetConnection tells about a connection."""

    connected_at: datetime
    last_active_at: datetime
    source_ip: str
    user_agent: str = ""

    def as_json(self, connection_id: str) -> dict[str, object]:
        """The original DefaultHandler's reply: GetConnection's output plus connectionID."""
        return {
            "ConnectedAt": self.connected_at.isoformat(),
            "Identity": {"SourceIp": self.source_ip, "UserAgent": self.user_agent},
            "LastActiveAt": self.last_active_at.isoformat(),
            "connectionID": connection_id,
        }


class Metrics(Protocol):
    """Counters of what the chat did (CloudWatch embedded metric format on AWS)."""

    def count(self, name: str, value: int = 1) -> None:
        """Add ``value`` to the counter ``name``."""


class FlushableMetrics(Metrics, Protocol):
    """Metrics written out at the end of each invocation: what a Lambda entry relies on."""

    def flush(self) -> None:
        """Write what this invocation counted (one EMF line on AWS), and start again."""


class Connections(Protocol):
    """The callback API of one WebSocket API stage (API Gateway's @connections)."""

    def post(self, connection_id: str, data: bytes) -> None:
        """Send ``data`` to the client as one frame. Raises ConnectionGone, PayloadTooLarge, ..."""

    def info(self, connection_id: str) -> ConnectionInfo:
        """Describe a connection. Raises ConnectionGone."""

    def close(self, connection_id: str) -> None:
        """Disconnect the client. Raises ConnectionGone."""


class BatchConnections(Connections, Protocol):
    """A callback API that takes a whole fan-out in one call (the signed HTTP adapter's
    streams, the local gateway's in-process callbacks), where the others get one pooled
    call a recipient."""

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
        """Post each (connectionId, data); every failure by connection id, as the error
        :meth:`Connections.post` would raise, and none raised."""


def posts_batches(connections: Connections) -> TypeGuard[BatchConnections]:
    """Whether ``connections`` is a :class:`BatchConnections`. By name: an isinstance check
    on a runtime Protocol costs ~10 µs, once every fan-out."""
    return hasattr(connections, "post_many")


class FanoutPages(Protocol):
    """Hands a page of a big room's fan-out to the fan-out function, without waiting for it
    (Lambda's asynchronous Invoke on AWS; the gateway's worker pool locally)."""

    def dispatch(self, page: dict[str, object]) -> None:
        """Queue one page (made by ``chat.fanout.encode_page``). Raises DispatchError."""
