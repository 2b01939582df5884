"""The chat: connect, leave, send, join, rename, history, who, rooms, resume, direct
history. Talks only to ports.

Every request from a client ends in one of two ways: it is carried out, or the
sender gets one error frame (in its own format) and nothing is stored or
broadcast. Names are claimed atomically in the store, so two people never
hold one name in one room (one signed-in person may, on several connections:
chat/names.py); a claim whose holder's connection is gone is taken over.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from bisect import bisect_right
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from serverless_chat.chat.fanout import (
    DeliveryReport,
    connection_info,
    deliver,
    encode_page,
    paginate,
    plan,
    post_all,
    stale_before,
)
from serverless_chat.chat.frames import (
    MAX_POST_BYTES,
    DirectFrame,
    ErrorFrame,
    MessageFrame,
    PresenceFrame,
    ResumedFrame,
    RevisedFrame,
    WelcomeFrame,
    with_ref,
)
from serverless_chat.chat.identity import (
    conversation_of,
    new_token,
    party_of,
    reader_of,
    token_hash,
)
from serverless_chat.chat.model import EDIT_WINDOW_SECONDS, name_key, open_connection, owner_of
from serverless_chat.chat.names import claim, release
from serverless_chat.chat.pages import (
    direct_page,
    history_page,
    room_counts,
    rooms_page,
    who_key,
    who_page,
)
from serverless_chat.chat.protocol import (
    DEFAULT_HISTORY_LIMIT,
    DEFAULT_MAX_TEXT_LENGTH,
    Body,
    DirectHistoryRequest,
    EditMessage,
    HistoryRequest,
    MessageRef,
    ProtocolError,
    SendMessage,
    encodable,
    fields,
    generated_name,
    parse_connect_options,
    request_ref,
    validate_name,
)
from serverless_chat.chat.usage import usage_reply
from serverless_chat.errors import CallbackError, ConnectionGone, DispatchError, StoreError
from serverless_chat.ports import (
    ChatMessage,
    ConnectionRecord,
    Connections,
    ConnectionStore,
    DirectMessage,
    FanoutPages,
    MessageStore,
    Metrics,
    message_key,
)

log = logging.getLogger("serverless_chat.chat")

_GENERATED_NAME_TRIES = 5
# How often a join or setName tries again when another request of the same connection
# moved it first: each refused try means one of those landed, and a connection's requests
# are bounded by its token bucket.
_MOVE_TRIES = 5


class ChatSettings(NamedTuple):
    """Limits set by template parameters, through the functions' environment."""

    max_text_length: int = DEFAULT_MAX_TEXT_LENGTH
    retention_days: int = 7
    history_on_join: int = DEFAULT_HISTORY_LIMIT
    rate_per_second: int = 10  # each connection's token bucket: steady requests a second
    burst: int = 20  # ... and how many may come at once
    # A message to more recipients than this is split: the first page is posted by the
    # send function, each other page by the fan-out function (docs/scaling.md).
    fanout_page_size: int = 1000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ChatSettings:
        def number(key: str, default: int) -> int:
            try:
                return max(1, int(env.get(key, default)))
            except ValueError:
                return default

        return cls(
            max_text_length=number("MAX_MESSAGE_LENGTH", DEFAULT_MAX_TEXT_LENGTH),
            retention_days=number("RETENTION_DAYS", 7),
            rate_per_second=number("RATE_LIMIT_PER_SECOND", 10),
            burst=number("RATE_LIMIT_BURST", 20),
            fanout_page_size=number("FANOUT_PAGE_SIZE", 1000),
        )


_sequence = itertools.count()


def new_message_id() -> str:
    """A unique id that sorts in the order this process made it: messages stored in the
    same millisecond keep their arrival order, since the sort key is ``sentAt#id``."""
    return f"{next(_sequence) % 100_000_000:08d}{secrets.token_urlsafe(6)}"


if TYPE_CHECKING:  # a type only: a cold start builds no Protocol class

    class Request(Protocol):
        """What :meth:`Chat.request` needs of an action: its key (the answer's ``action``), the
        parser of its body (None: the body is not read) and the operation that carries it out.
        chat/actions.py's ``Action`` is one; the chat does not import the registry that imports
        it."""

        @property
        def key(self) -> str: ...

        @property
        def parse(self) -> Callable[[Mapping[str, object], ChatSettings], Any] | None: ...

        @property
        def operation(self) -> Callable[[Chat, Any, Any], None]: ...


class Chat:
    """One invocation's view of the chat: its stores, its callback API, its clock."""

    def __init__(
        self,
        store: ConnectionStore,
        messages: MessageStore,
        connections: Connections,
        settings: ChatSettings | None = None,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = new_message_id,
        metrics: Metrics | None = None,
        pages: FanoutPages | None = None,
        origin: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self._sleep = sleep  # between the tries of a throttled post
        self.messages = messages
        self.connections = connections
        self.settings = settings or ChatSettings()
        self._clock = clock
        self._new_id = new_id
        self._ref: str | None = None  # the current request's ref, echoed on its answers
        self.metrics: Metrics = metrics or _NoMetrics()
        self.pages = pages  # None: every recipient is posted by this invocation
        self.origin = dict(origin or {})  # domainName and stage, for the fan-out pages

    # -- lifecycle ---------------------------------------------------------------
    def connect(
        self,
        connection_id: str,
        connected_at: int,
        query: Mapping[str, str] | None,
        principal: str = "",
        token_name: str = "",
    ) -> ConnectionRecord:
        """Place a new connection in its room under its name; tell the room. Raises
        ProtocolError (bad options, NAME_TAKEN) or StoreError; then nothing is kept."""
        options = parse_connect_options(query)
        chosen = options.name
        if principal:  # signed in: the name is the token's, whatever the URL says
            encodable(principal, "sub", "$connect")  # it is stored in the row
            chosen = validate_name(token_name or principal, "$connect")
        for _ in range(1 if chosen else _GENERATED_NAME_TRIES):
            name = chosen or generated_name()
            record = open_connection(
                connection_id, connected_at, options.room, name, options.format, principal
            )
            self.store.put(record)
            try:
                first = self._claim_from_ghosts(record.room, name, record, "$connect")
            except ProtocolError:
                self.store.delete(connection_id)
                if chosen:
                    raise
                continue
            self.metrics.count("ConnectionsOpened")
            if first:  # not a second tab of someone the room already has
                joined = PresenceFrame("joined", record.room, name)
                self._broadcast(record.room, joined, connection_id)
            return record
        raise ProtocolError("NAME_TAKEN", "Could not find a free name; choose one.", "$connect")

    def _claim_from_ghosts(
        self, room: str, name: str, claimant: ConnectionRecord, action: str
    ) -> bool:
        """``claim`` ($connect, join, setName); when the name is taken, its holders whose
        connection is gone are evicted (their $disconnect, best effort, never came) and the
        name claimed again."""
        try:
            return claim(self.store, room, name, claimant, action)
        except ProtocolError:
            if not self._evict_ghosts(room, name, claimant.connection_id):
                raise
        return claim(self.store, room, name, claimant, action)

    def _evict_ghosts(self, room: str, name: str, claimant: str) -> bool:
        """Delete the rows of ``name`` in ``room`` whose connection answers 410 and that are
        older than any handshake under way (a 410 proves nothing about a younger row); tell
        the room each one left. Whether any was."""
        cutoff = stale_before(self._now_ms())
        key = name_key(name)
        try:
            holders = [
                r
                for r in self.store.named(name)
                if r.room == room and name_key(r.name) == key and r.connection_id != claimant
            ]
        except StoreError as error:
            log.warning("could not look up who holds %r in %s: %s", name, room, error)
            return False
        evicted = False
        for holder in holders:
            if holder.connected_at >= cutoff or not self._gone(holder.connection_id):
                continue
            try:
                ghost = self.store.delete_stale(holder.connection_id, cutoff)
            except StoreError as error:  # its TTL still ends it
                log.warning("could not delete gone connection %s: %s", holder.connection_id, error)
                continue
            if ghost is None:
                continue
            log.info(
                "connection %s is gone (no $disconnect came); deleted its row", ghost.connection_id
            )
            self.metrics.count("StaleConnectionsRemoved")
            evicted = True
            if not release(self.store, room, ghost):
                self._broadcast(room, PresenceFrame("left", room, ghost.name), claimant)
        return evicted

    def _gone(self, connection_id: str) -> bool:
        """Whether API Gateway says the connection is gone (GetConnection: 410)."""
        try:
            self.connections.info(connection_id)
        except ConnectionGone:
            return True
        except CallbackError as error:  # not known to be gone: it keeps its name
            log.warning("could not ask whether %s is still there: %s", connection_id, error)
        return False

    def disconnect(self, connection_id: str) -> None:
        """Forget the connection and its name; tell its room it left."""
        record = self.store.delete(connection_id)  # the row comes back with its delete
        if record is None:
            return
        self.metrics.count("ConnectionsClosed")
        if not release(self.store, record.room, record):  # their last connection here
            self._broadcast(
                record.room, PresenceFrame("left", record.room, record.name), connection_id
            )

    # -- requests ----------------------------------------------------------------
    def request(self, connection_id: str, request: Request, body: Body) -> int:
        """Run one client request (its body parsed once, by the caller: ``decode_body``);
        on refusal send one error frame. Returns an HTTP-like status."""
        fmt, action = "raw", request.key
        try:  # a ref that cannot be echoed refuses the request, in the sender's own format
            self._ref, bad_ref = request_ref(body, action), None
        except ProtocolError as error:
            self._ref, bad_ref = None, error
        try:
            limits = self.settings
            # The sender's row and a token from its bucket in one store call (one
            # conditional UpdateItem on DynamoDB, returning the row): no read before it.
            sender, allowed = self.store.admit(
                connection_id, limits.rate_per_second, limits.burst, self._now_ms()
            )
            if sender is None:
                raise ProtocolError(
                    "NOT_CONNECTED", "This connection is not known; reconnect.", action
                )
            fmt = sender.format
            if not allowed:
                raise ProtocolError(
                    "RATE_LIMITED",
                    f"Too many requests: at most {limits.rate_per_second} a second"
                    f" (bursts of {limits.burst}). Wait a moment and send again.",
                    action,
                    # the bucket holds less than a token: one comes back within this
                    retry_after_ms=-(-1000 // limits.rate_per_second),
                )
            if bad_ref is not None:
                raise bad_ref
            parsed = request.parse(fields(body, action), self.settings) if request.parse else None
            request.operation(self, sender, parsed)
        except ProtocolError as error:
            frame = ErrorFrame(
                error.code, error.message, error.action, self._ref, error.retry_after_ms
            )
            self._reply(connection_id, frame, fmt)
            return 400
        except StoreError as error:
            log.error("%s by %s failed: %s", action, connection_id, error)
            failure = ErrorFrame(
                "STORE_UNAVAILABLE",
                "The chat could not do that just now; try again.",
                action,
                self._ref,
            )
            self._reply(connection_id, failure, fmt)
            return 500
        return 200

    def send_message(self, sender: ConnectionRecord, request: SendMessage) -> None:
        """Every frame is rendered (each recipient format and the sender's echo) before
        history is written, and history before anyone is posted: a message that cannot be
        rendered or read out to its room is refused with nothing kept."""
        now = self._now_ms()
        if request.to is not None:
            self._send_direct(sender, request.to, request.text, now)
            return
        message = ChatMessage(
            self._new_id(),
            sender.room,
            sender.name,
            request.text,
            now,
            self._expiry(now),
            owner_of(sender),
        )
        render = _postable(MessageFrame(message).render)
        deliveries = plan(self.store.members(sender.room), render, sender.connection_id)
        self._echo(sender, render, deliveries)
        self.messages.append(message)
        self.metrics.count("MessagesSent")
        self.deliver(self._hand_off(deliveries))

    def _send_direct(self, sender: ConnectionRecord, to: str, text: str, now: int) -> None:
        """A direct message is kept once for both people (as long as room history), before
        anyone is posted; each reads it as the identity it has (identity.reader_of), so
        whoever takes the recipient's name later reads nothing of it."""
        targets = _one_identity(self.store.named(to), sender.room)
        if not targets:
            raise ProtocolError(
                "UNKNOWN_RECIPIENT", f'Nobody is called "{to}" in {sender.room}.', "sendMessage"
            )
        holder = targets[0]
        if not holder.principal:  # a guest's identity is in its row, not in the name-index
            holder = self.store.get(holder.connection_id) or holder
        readers = tuple(sorted({reader_of(sender), reader_of(holder)} - {""}))
        message = DirectMessage(
            self._new_id(),
            conversation_of(party_of(sender), party_of(holder)),
            sender.name,
            holder.name,
            text,
            now,
            self._expiry(now),
            readers,
        )
        render = _postable(DirectFrame.of(message).render)
        deliveries = plan(targets, render, exclude=sender.connection_id)
        self._echo(sender, render, deliveries)
        if readers:  # someone may read it again: kept before anyone is posted
            self.messages.append_direct(message)
        self.metrics.count("MessagesSent")
        self.deliver(deliveries)

    def resume(self, sender: ConnectionRecord, token: str | None) -> None:
        """A guest proves it is the same person as before (its resume token), or gets a
        token (none presented): its connection then reads that identity's direct messages.
        A signed-in connection is its token's subject already: nothing changes."""
        fresh = None
        if not sender.principal:
            if token is None:
                token = fresh = new_token()
            self.store.identify(sender.connection_id, token_hash(token))
        self._post(sender.connection_id, ResumedFrame(fresh, self._ref).render(sender.format))

    def direct_history(self, sender: ConnectionRecord, request: DirectHistoryRequest) -> None:
        """A page of the direct messages the sender's identity may read: one conversation's,
        or all of them; none for a connection that has no identity (it presented no token)."""
        reader = reader_of(sender)
        page = (
            self.messages.directs(reader, request.limit, request.before, request.conversation)
            if reader
            else []
        )
        kept, data = direct_page(
            request.conversation, page, request.limit, sender.format, self._ref
        )
        if kept < len(page):
            log.info("direct history: %d of %d messages fit one post", kept, len(page))
        self._post(sender.connection_id, data)

    def edit_message(self, sender: ConnectionRecord, request: EditMessage) -> None:
        """A new text for one of the sender's own messages in its room, within the edit
        window; the room is told live, history keeps the latest text."""
        self._revise(sender, request.target, request.text, "editMessage")

    def delete_message(self, sender: ConnectionRecord, target: MessageRef) -> None:
        """One of the sender's own messages deleted, within the edit window; the room is
        told live, history keeps its place marked deleted."""
        self._revise(sender, target, None, "deleteMessage")

    def _revise(
        self, sender: ConnectionRecord, target: MessageRef, text: str | None, action: str
    ) -> None:
        now = self._now_ms()
        if now - target.sent_at > EDIT_WINDOW_SECONDS * 1000:
            raise ProtocolError(
                "EDIT_WINDOW_PASSED",
                f"A message can be changed for {EDIT_WINDOW_SECONDS // 60} minutes after it"
                " was sent.",
                action,
            )
        if text is not None:  # the frame fits one post, or nothing is written
            provisional = ChatMessage(target.id, sender.room, sender.name, text, target.sent_at)
            _postable(RevisedFrame(provisional._replace(edited_at=now)).render)
        key = message_key(target.sent_at, target.id)
        done = self.messages.revise(sender.room, key, owner_of(sender), text, now)
        if done.message is None or (done.message.deleted and not done.revised):
            raise ProtocolError(
                "UNKNOWN_MESSAGE",
                f"{sender.room} has no message {target.id} sent at {target.sent_at}"
                " (or it was deleted).",
                action,
            )
        if not done.revised:
            raise ProtocolError(
                "NOT_YOUR_MESSAGE", "Only the sender of a message may change it.", action
            )
        render = _postable(RevisedFrame(done.message).render)
        answer = render("json" if sender.format == "raw" else sender.format)
        if answer is not None and sender.format != "text":
            answer = with_ref(answer, self._ref)
        self._post(sender.connection_id, answer)
        self.deliver(
            self._hand_off(plan(self.store.members(sender.room), render, sender.connection_id))
        )

    def join(self, sender: ConnectionRecord, room: str) -> None:
        """Move the sender to ``room`` under the name its row has when it moves (a rename
        sent at the same time may land first: the name claimed is then the new one)."""
        cid = sender.connection_id
        current: ConnectionRecord | None = sender
        for _ in range(_MOVE_TRIES):
            if current is None or current.room == room:
                break
            first = self._claim_from_ghosts(room, current.name, current, "join")
            now, moved = self.store.move(current, room=room)
            if moved:
                if not release(self.store, current.room, current):
                    left = PresenceFrame("left", current.room, current.name)
                    self._broadcast(current.room, left, cid)
                if first:
                    self._broadcast(room, PresenceFrame("joined", room, current.name), cid)
                current = now
                break
            current = self._give_up_claim(now, current, room, current.name)
        else:
            raise _moved_too_often("join")
        if current is None:  # gone meanwhile: nobody to answer
            return
        self._reply(cid, WelcomeFrame(room, current.name, self._ref), sender.format)
        if sender.format != "raw":
            limit = self.settings.history_on_join
            latest = self.messages.latest(room, limit)
            self._post(cid, self._history(room, latest, limit, sender.format, None))

    def set_name(self, sender: ConnectionRecord, name: str) -> None:
        """Rename the sender in the room its row is in when it renames (a join sent at the
        same time may land first: the name is then claimed in the new room)."""
        cid = sender.connection_id
        if sender.principal and name != sender.name:
            raise ProtocolError(
                "NAME_FROM_TOKEN",
                "Your name comes from your sign-in and cannot change.",
                "setName",
            )
        current: ConnectionRecord | None = sender
        for _ in range(_MOVE_TRIES):
            if current is None or current.name == name:
                break
            new_key = name_key(name) != name_key(current.name)
            if new_key:
                self._claim_from_ghosts(current.room, name, current, "setName")
            now, moved = self.store.move(current, name=name)
            if moved:
                if new_key:
                    release(self.store, current.room, current)
                renamed = PresenceFrame("renamed", current.room, name, current.name)
                self._broadcast(current.room, renamed, cid)
                current = now
                break
            current = self._give_up_claim(now, current, current.room, name if new_key else "")
        else:
            raise _moved_too_often("setName")
        if current is None:
            return
        self._reply(cid, WelcomeFrame(current.room, name, self._ref), sender.format)

    def _give_up_claim(
        self, current: ConnectionRecord | None, stale: ConnectionRecord, room: str, claimed: str
    ) -> ConnectionRecord | None:
        """After a move refused because another request of the connection moved it first
        (its messages run concurrently; ``current``: the row as the refusal found it, None
        when gone): the name ``claimed`` in ``room`` for that move is given up, unless the
        row holds it. ``current``, for the next try."""
        holds = (
            current is not None
            and current.room == room
            and name_key(current.name) == name_key(claimed)
        )
        if claimed and not holds:
            release(self.store, room, stale._replace(room=room, name=claimed))
        return current

    def history(self, sender: ConnectionRecord, request: HistoryRequest) -> None:
        page = self.messages.latest(sender.room, request.limit, request.before)
        data = self._history(sender.room, page, request.limit, sender.format, self._ref)
        self._post(sender.connection_id, data)

    def who(self, sender: ConnectionRecord, after: str | None) -> None:
        """The room's names, as many as one frame holds; a ``next`` when there are more
        (``after``: the ``next`` of an earlier answer)."""
        names = sorted({r.name for r in self.store.members(sender.room)}, key=who_key)
        if after is not None:
            names = names[bisect_right(names, who_key(after), key=who_key) :]
        kept, data = who_page(sender.room, names, sender.format, self._ref)
        if kept < len(names):
            log.info("who in %s: %d of %d names in this frame", sender.room, kept, len(names))
        self._post(sender.connection_id, data)

    def rooms(self, sender: ConnectionRecord, _nothing: None) -> None:
        """The rooms people are in, with how many in each: every connection read (on
        DynamoDB a Scan of room-index, priced in bench/dynamodb_cost.py), so a client asks
        when a person looks, not on every change."""
        rooms = room_counts(self.store.present())
        kept, data = rooms_page(rooms, sender.format, self._ref)
        if kept < len(rooms):
            log.info("rooms: %d of %d rooms in this frame", kept, len(rooms))
        self._post(sender.connection_id, data)

    def usage(self, sender: ConnectionRecord, _nothing: None) -> None:
        """$default: how to use the chat, with the caller's GetConnection info. A request
        like any other, so it takes a token from the caller's bucket too."""
        cid = sender.connection_id
        try:
            info = connection_info(cid, self.connections, self._sleep)
        except CallbackError as error:
            log.warning("GetConnection for %s failed: %s", cid, error)
            return
        self._post(cid, usage_reply(cid, info))

    # -- helpers -----------------------------------------------------------------
    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _expiry(self, now_ms: int) -> int:
        return now_ms // 1000 + self.settings.retention_days * 86400

    @staticmethod
    def _history(
        room: str, newest_first: list[ChatMessage], limit: int, fmt: str, ref: str | None
    ) -> bytes | None:
        """A history page as one post: the newest that fit, the rest through its cursor."""
        kept, data = history_page(room, newest_first, limit, fmt, ref)
        if kept < len(newest_first):
            log.info("history of %s: %d of %d messages fit one post", room, kept, len(newest_first))
        return data

    def _reply(
        self,
        connection_id: str,
        frame: ErrorFrame | WelcomeFrame,
        fmt: str,
    ) -> None:
        self._post(connection_id, frame.render(fmt))

    def _post(self, connection_id: str, data: bytes | None) -> None:
        """An answer to one connection (posted again while throttled); a failure is logged,
        the request stands."""
        if data is None:
            return
        failures = post_all([(connection_id, data)], self.connections, self._sleep)
        if connection_id in failures:
            log.warning("reply to connection %s failed: %s", connection_id, failures[connection_id])

    def _echo(
        self,
        sender: ConnectionRecord,
        render: Callable[[str], bytes | None],
        deliveries: list[tuple[str, bytes]],
    ) -> None:
        """json clients get their own messages back, with the server's id and time and
        their request's ref: the recipients' json frame, not rendered again."""
        if sender.format == "json":
            data = render("json")
            if data is not None:
                deliveries.append((sender.connection_id, with_ref(data, self._ref)))

    def _broadcast(self, room: str, frame: PresenceFrame, exclude: str) -> DeliveryReport:
        """Presence is best effort: a store failure here is logged, never fails the request.
        Only the room's listeners are read: raw clients never hear presence."""
        try:
            deliveries = plan(self.store.listeners(room), frame.render, exclude)
        except StoreError as error:
            log.warning("presence %s in %s not sent: %s", frame.event, room, error)
            return DeliveryReport()
        return self.deliver(self._hand_off(deliveries))

    def _hand_off(self, deliveries: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        """Hand all pages but the first to the fan-out function; the first is ours to post.
        A page that cannot be handed off is posted here too: slower, but nobody misses it."""
        limit = self.settings.fanout_page_size
        if self.pages is None or len(deliveries) <= limit:
            return deliveries
        own, *others = paginate(deliveries, limit)
        for page in others:
            try:
                self.pages.dispatch(encode_page(page, self.origin))
            except DispatchError as error:
                log.warning("posting %d recipients here instead: %s", len(page), error)
                own = own + page
            else:
                self.metrics.count("FanoutPages")
        return own

    def deliver(self, deliveries: list[tuple[str, bytes]]) -> DeliveryReport:
        """Post each (connectionId, data) here, counted in the metrics (the fan-out function
        posts its page through this too)."""
        report = deliver(deliveries, self.connections, self.store, self._now_ms, self._sleep)
        self.metrics.count("Deliveries", len(report.delivered))
        self.metrics.count("FailedDeliveries", len(report.failed))
        self.metrics.count("StaleConnectionsRemoved", len(report.removed))
        for ghost in report.left:  # its $disconnect never came: the room hears it left now
            self._broadcast(
                ghost.room, PresenceFrame("left", ghost.room, ghost.name), ghost.connection_id
            )
        return report


# A message's json frame must leave room to spare in one post: the sender's echo adds its
# ref (at most 64 characters, 384 bytes escaped), a history page its envelope and cursor.
MAX_MESSAGE_FRAME_BYTES = MAX_POST_BYTES - 1024


def _postable(render: Callable[[str], bytes | None]) -> Callable[[str], bytes | None]:
    """``render``, once its json frame (the largest format) is known to fit one post; else
    TEXT_TOO_LONG. The json frame is rendered once, here, and handed back when asked for."""
    data = render("json")
    if data is not None and len(data) > MAX_MESSAGE_FRAME_BYTES:
        raise ProtocolError(
            "TEXT_TOO_LONG",
            f"This message would be {len(data):,} bytes as a frame; one frame is at most"
            f" {MAX_MESSAGE_FRAME_BYTES:,}.",
            "sendMessage",
        )
    return lambda fmt: data if fmt == "json" else render(fmt)


def _moved_too_often(action: str) -> StoreError:
    """What a join or setName raises when its connection's other requests kept moving it
    first (the sender hears STORE_UNAVAILABLE: try again)."""
    return StoreError("UpdateItem", f"{action}: the connection kept moving meanwhile")


def _one_identity(named: list[ConnectionRecord], room: str) -> list[ConnectionRecord]:
    """The connections of the one person a direct message in ``room`` is for: whoever holds
    the name in that room (names are unique there) — every connection of theirs when they
    are signed in (one token subject, in any room), else that connection alone. Someone who
    takes the same name in another room is somebody else and hears nothing."""
    holder = next((r for r in named if r.room == room), None)
    if holder is None:
        return []
    if holder.principal:
        return [r for r in named if r.principal == holder.principal]
    return [holder]


class _NoMetrics:
    def count(self, name: str, value: int = 1) -> None:
        pass
