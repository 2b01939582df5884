"""The ports the chat talks to: where connections and messages are kept, and the callback API.

Handlers depend on these Protocols only. Adapters implement them: DynamoDB, SQLite and
memory for the stores; the signed HTTP adapter, boto3's ``apigatewaymanagementapi`` and the
local gateway's in-process callbacks for :class:`Connections`; Lambda's asynchronous Invoke
and the gateway's for :class:`FanoutPages`. Every adapter raises the errors of
:mod:`serverless_chat.errors`, never its SDK's.

What a caller relies on beyond a port is a Protocol of its own, so that mypy checks it:
:class:`MaintainedConnectionStore` and :class:`MaintainedMessageStore` (what the local
gateway clears as it opens a store), :class:`FlushableMetrics` (what a Lambda entry writes
out after each invocation). The rules the records follow (TTL, name identity, who hears
presence) are the chat's: :mod:`serverless_chat.chat.model`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple, Protocol

# The room a connection is in when it names none (the record's default).
DEFAULT_ROOM = "general"


class ConnectionRecord(NamedTuple):
    """One connection: who it is, where it is, how it wants its frames."""

    connection_id: str
    connected_at: int  # epoch milliseconds, as requestContext.connectedAt
    expires_at: int  # epoch seconds; DynamoDB's TTL attribute
    room: str = DEFAULT_ROOM
    name: str = ""
    format: str = "raw"
    principal: str = ""  # the token's subject when an authorizer let the connection in
    guest: str = ""  # a guest's resume token's SHA-256 (hex), once the guest presented one

    def moved(self, room: str | None = None, name: str | None = None) -> ConnectionRecord:
        """The same connection in another room or under another name."""
        return self._replace(
            room=self.room if room is None else room, name=self.name if name is None else name
        )


class Admission(NamedTuple):
    """A request let in or not: the sender's record (None when it is not connected: then
    nothing was taken) and whether a token came from its bucket."""

    record: ConnectionRecord | None
    allowed: bool


class Move(NamedTuple):
    """What :meth:`ConnectionStore.move` did: the connection's row after it (``moved``), or
    as it stands when it was not moved (None: it is gone)."""

    record: ConnectionRecord | None
    moved: bool


class ConnectionStore(Protocol):
    """The connections that are open now, by connectionId, by room and by name."""

    def put(self, record: ConnectionRecord) -> None:
        """Insert or replace a connection."""

    def move(
        self, record: ConnectionRecord, *, room: str | None = None, name: str | None = None
    ) -> Move:
        """Give the connection ``record`` describes another ``room`` or ``name``, writing only
        what is given and keeping the rest of its row (its token bucket, so that joining or
        renaming does not refill it) — only while its row still has ``record``'s room and
        name, the check and the write one atomic step. Not moved when another request of the
        connection moved it meanwhile (its messages run concurrently: the row as it stands
        comes back, with no read before the write) or when it is no longer stored (it stays
        gone)."""

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

    def present(self, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        """Every connection, in every room, page after page (what ``rooms`` counts; on
        DynamoDB a Scan of room-index, whose entries are small). Each record carries its
        connection_id, room and name; the other fields may be defaults."""

    def named(self, name: str) -> list[ConnectionRecord]:
        """Every connection, in any room, whose name is ``name`` (case-insensitive), each
        record whole but for its ``guest`` (DynamoDB's name-index does not project it: a
        caller that needs it reads the row with :meth:`get`)."""

    def claim_name(
        self, room: str, name: str, connection_id: str, expires_at: int, replace_owner: str = ""
    ) -> str | None:
        """Atomically reserve ``name`` in ``room``. None when claimed (or already ours);
        otherwise the id of the connection that holds it. ``replace_owner`` takes the
        claim over from that holder (one whose connection is known to be gone)."""

    def release_name(self, room: str, name: str, connection_id: str) -> None:
        """Give up a claim, if ``connection_id`` still holds it."""

    def identify(self, connection_id: str, guest: str) -> None:
        """Give a stored connection its guest identity (``guest``: a resume token's hash),
        keeping the rest of its row. A connection no longer stored stays gone."""

    def admit(self, connection_id: str, rate: float, burst: int, now_ms: int) -> Admission:
        """The connection's record and one token from its bucket (``burst`` deep, refilled
        at ``rate`` a second; ``allowed`` is False when it is empty), in one atomic step:
        every request's first call, so that a request reads its sender and is rate-limited
        in one round trip (on DynamoDB one conditional UpdateItem that returns the row). A
        connection not stored gets Admission(None, False)."""


class MaintainedConnectionStore(ConnectionStore, Protocol):
    """A ConnectionStore that can also be cleared whole: what the local gateway relies on
    (rows an earlier run left are purged as it opens a store). No Lambda function calls it.
    (The tests read every row each adapter keeps through tests/stores.py's every_row.)"""

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
    owner: str = ""  # who may edit or delete it (chat.model.owner_of its sender); never sent
    edited_at: int = 0  # epoch milliseconds of the last edit or of the deletion; 0: never
    deleted: bool = False  # deleted by its owner: its text is gone, its place in history kept

    @property
    def sort_key(self) -> str:
        """``sentAt#id``, zero-padded so that text order is time order, stable on ties."""
        return message_key(self.sent_at, self.id)


def message_key(sent_at: int, message_id: str) -> str:
    """A message's sort key from what its frames carry (``sentAt``, ``id``)."""
    return f"{sent_at:013d}#{message_id}"


class DirectMessage(NamedTuple):
    """One direct message, as its readers' history keeps it: stored once, read by each of
    ``readers`` (the identities of chat.model.reader_of: a signed-in subject or a guest's
    resume token hash; a party with neither has no copy to read)."""

    id: str
    conversation: str  # chat.model.conversation_of the two parties: one per pair of people
    sender: str  # the names, as they were when it was sent
    to: str
    text: str
    sent_at: int  # epoch milliseconds, server time
    expires_at: int = 0  # epoch seconds; DynamoDB's TTL attribute, as room history's
    readers: tuple[str, ...] = ()

    @property
    def sort_key(self) -> str:
        return message_key(self.sent_at, self.id)


class Revision(NamedTuple):
    """What :meth:`MessageStore.revise` did: the message after it (``revised``), or as it
    stands when it was not revised (None: there is no such message)."""

    message: ChatMessage | None
    revised: bool


class MessageStore(Protocol):
    """A room's messages, newest first by (sentAt, id); and direct messages, by reader."""

    def append(self, message: ChatMessage) -> None:
        """Keep a message."""

    def latest(self, room: str, limit: int, before: str | None = None) -> list[ChatMessage]:
        """At most ``limit`` messages older than the sort key ``before``, newest first."""

    def revise(
        self, room: str, sort_key: str, owner: str, text: str | None, at_ms: int
    ) -> Revision:
        """Give the message at (``room``, ``sort_key``) a new ``text``, or delete it (None:
        its text emptied, ``deleted`` set), at ``at_ms`` (its ``edited_at``) — only if it
        is there, ``owner``'s (a message with no owner is nobody's) and not deleted, the
        check and the write one atomic step."""

    def append_direct(self, message: DirectMessage) -> None:
        """Keep a direct message for its readers."""

    def directs(
        self, reader: str, limit: int, before: str | None = None, conversation: str | None = None
    ) -> list[DirectMessage]:
        """At most ``limit`` direct messages ``reader`` may read, older than the sort key
        ``before``, newest first: of one ``conversation``, or of all of theirs (None)."""


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

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
        """Post each (connectionId, data), in parallel as the adapter can (a fan-out is one
        call); every failure by connection id, as the error :meth:`post` would raise, and
        none raised."""

    def info(self, connection_id: str) -> ConnectionInfo:
        """Describe a connection. Raises ConnectionGone."""

    def close(self, connection_id: str) -> None:
        """Disconnect the client. Raises ConnectionGone."""


class FanoutPages(Protocol):
    """Hands a page of a big room's fan-out to the fan-out function, without waiting for it
    (Lambda's asynchronous Invoke on AWS; the gateway's worker pool locally)."""

    def dispatch(self, page: dict[str, object]) -> None:
        """Queue one page (made by ``chat.fanout.encode_page``). Raises DispatchError."""
