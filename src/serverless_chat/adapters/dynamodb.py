"""The stores on DynamoDB, through an injected low-level boto3 client.

The low-level client (not the resource API) keeps the cold start small and the
item shapes explicit. Every SDK failure becomes a :class:`StoreError`.

ConnectionsTable items: ``connectionId`` (PK), ``connectedAt``, ``expiresAt``
(TTL), ``room``, ``name``, ``nameKey``, ``format``, ``principal``, and ``tat``, the
connection's token bucket as its arrival time (chat/limits.py, GCRA); the GSIs
``room-index`` (room, connectionId) and ``name-index`` (nameKey) serve fan-out and direct
messages. A name claim is an item of the same table whose key is
``#name#{room}#{nameKey}``, with an ``owner``; it has no room or nameKey, so
no index ever returns it.

A third, sparse GSI ``presence-index`` (``presenceRoom``, connectionId) holds only the
connections that hear presence (json and text), so presence costs reads in proportion to
them.

Capacity (docs/performance.md, "DynamoDB capacity"; bench/dynamodb_cost.py prices every
call): no index projects ``tat``, so taking a token writes the table alone — DynamoDB writes
an index only when an attribute it projects changes. Every request begins with
:meth:`admit`, one conditional UpdateItem that takes the token and returns the sender's row
(ALL_NEW, or ALL_OLD when its condition fails): no GetItem. room-index projects what a
fan-out and ``who`` read (format, name), presence-index what presence reads (format),
name-index what direct messages and a person's other connections read (room, name, format,
principal, connectedAt, expiresAt).

MessagesTable items: ``room`` (PK), ``sortKey`` = ``sentAt#id`` (SK), ``id``,
``sender``, ``text``, ``sentAt``, ``expiresAt`` (TTL).

DirectMessagesTable items: ``conversation`` (PK: ``@`` and a hash of the two identities),
``sortKey`` (SK), ``id``, ``sender``, ``to``, ``text``, ``sentAt``, ``expiresAt`` (TTL), and
the identities that may read it, ``readerA`` and ``readerB``: a direct message is stored
once for both people. The GSIs ``reader-a-index`` and ``reader-b-index`` (reader, sortKey)
find a person's direct messages whichever side of them they are. A connection's ``guest``
(its resume token's hash) is in its row, not in name-index: a direct message to a guest
reads the guest's row (GetItem).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from serverless_chat.adapters.aws_errors import describe, error_code
from serverless_chat.chat.limits import interval_us
from serverless_chat.chat.model import hears_presence, name_key
from serverless_chat.errors import StoreError
from serverless_chat.ports import (
    Admission,
    ChatMessage,
    ConnectionRecord,
    DirectMessage,
    Move,
    Revision,
)

ROOM_INDEX = "room-index"
PRESENCE_INDEX = "presence-index"  # sparse: only connections that hear presence
NAME_INDEX = "name-index"
READER_INDEXES = (("reader-a-index", "readerA"), ("reader-b-index", "readerB"))
_CLAIM_PREFIX = "#name#"
_ROW = "attribute_exists(connectedAt)"  # a connection's row (a name claim has no connectedAt)
_HINTS = 10_000  # the buckets one container remembers as not full, at most


class _Table:
    """Calls on one table, with SDK errors turned into StoreError."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def call(self, operation: str, **request: Any) -> Any:
        method = getattr(self._client, _snake(operation))
        try:
            return method(TableName=self.table_name, **request)
        except (ClientError, BotoCoreError) as error:
            raise StoreError(operation, describe(error)) from error

    def conditional(self, operation: str, **request: Any) -> tuple[dict[str, Any] | None, bool]:
        """A conditional write: (the item it returned, True), or when its condition failed
        (the item as it stands, which ReturnValuesOnConditionCheckFailure hands back at no
        read cost — None when there is none — and False)."""
        try:
            response = self.call(
                operation, ReturnValuesOnConditionCheckFailure="ALL_OLD", **request
            )
        except StoreError as error:
            cause = error.__cause__
            if error_code(cause or error) != "ConditionalCheckFailedException":
                raise
            item = cause.response.get("Item") if isinstance(cause, ClientError) else None
            return item, False
        return response.get("Attributes"), True

    def pages(self, operation: str, **request: Any) -> Iterator[dict[str, Any]]:
        """Every item of a Query or Scan, following LastEvaluatedKey to the last page."""
        while True:
            page = self.call(operation, **request)
            yield from page.get("Items", [])
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return
            request["ExclusiveStartKey"] = last_key


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


class DynamoDbConnectionStore:
    """Connections in a DynamoDB table whose partition key is ``connectionId`` (S)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._table = _Table(client, table_name)
        self.client = client  # (what a tool or a test reads the whole table with)
        self.table_name = table_name
        # connectionId → the bucket's tat last seen, for the buckets that were not full: a
        # hint of which of admit's two updates to try first (a Lambda container keeps its
        # store between invocations, and a burst's requests often come to the same one).
        self._ahead: dict[str, int] = {}

    def put(self, record: ConnectionRecord) -> None:
        item = {
            "connectionId": {"S": record.connection_id},
            "connectedAt": {"N": str(record.connected_at)},
            "expiresAt": {"N": str(record.expires_at)},
            "room": {"S": record.room},
            "format": {"S": record.format},
        }
        if record.principal:
            item["principal"] = {"S": record.principal}
        if record.guest:
            item["guest"] = {"S": record.guest}
        if hears_presence(record.format):  # presence-index is sparse: these rows only
            item["presenceRoom"] = {"S": record.room}
        if record.name:  # an index key may not be an empty string
            item["name"] = {"S": record.name}
            item["nameKey"] = {"S": name_key(record.name)}
        self._table.call("PutItem", Item=item)

    def identify(self, connection_id: str, guest: str) -> None:
        """UpdateItem of ``guest`` alone: no index projects it, so it writes the table only."""
        try:
            self._table.call(
                "UpdateItem",
                Key={"connectionId": {"S": connection_id}},
                UpdateExpression="SET guest = :guest",
                ConditionExpression="attribute_exists(connectionId)",
                ExpressionAttributeValues={":guest": {"S": guest}},
            )
        except StoreError as error:
            if error_code(error.__cause__ or error) != "ConditionalCheckFailedException":
                raise  # a connection gone meanwhile stays gone

    def move(
        self, record: ConnectionRecord, *, room: str | None = None, name: str | None = None
    ) -> Move:
        """UpdateItem, not PutItem: the item's token bucket attributes stay as they are, and
        only the attributes given are written. Its condition is the row's room and name as
        ``record`` has them: a failed condition is another request's move (the row comes
        back with the failure, ALL_OLD, at no read cost), or a row gone."""
        names = {"#room": "room", "#name": "name"}
        values: dict[str, Any] = {":was_room": {"S": record.room}}
        sets: list[str] = []
        removes: list[str] = []
        if room is not None:
            sets.append("#room = :room")
            values[":room"] = {"S": room}
            if hears_presence(record.format):
                sets.append("presenceRoom = :room")
        if name:  # an index key may not be an empty string
            sets += ["#name = :name", "nameKey = :key"]
            values[":name"] = {"S": name}
            values[":key"] = {"S": name_key(name)}
        elif name is not None:
            removes += ["#name", "nameKey"]
        if record.name:
            values[":was_name"] = {"S": record.name}
            was_name = "#name = :was_name"
        else:
            was_name = "attribute_not_exists(#name)"
        if not sets and not removes:  # nothing to change: the condition alone
            sets.append("#room = :was_room")
        expression = " ".join(
            f"{verb} {', '.join(parts)}"
            for verb, parts in (("SET", sets), ("REMOVE", removes))
            if parts
        )
        item, moved = self._table.conditional(
            "UpdateItem",
            Key={"connectionId": {"S": record.connection_id}},
            UpdateExpression=expression,
            ConditionExpression=f"{_ROW} AND #room = :was_room AND {was_name}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        if not item or "connectedAt" not in item:
            return Move(None, False)  # absent (or a name claim's key, never a connection's)
        return Move(_record(item), moved)

    def delete(self, connection_id: str) -> ConnectionRecord | None:
        """One DeleteItem whose ALL_OLD hands back the row: no read before it."""
        self._ahead.pop(connection_id, None)
        response = self._table.call(
            "DeleteItem", Key={"connectionId": {"S": connection_id}}, ReturnValues="ALL_OLD"
        )
        item = response.get("Attributes")
        if not item or "connectedAt" not in item:
            return None  # absent (or a name claim's key, never a connection's)
        return _record(item)

    def delete_stale(self, connection_id: str, connected_before_ms: int) -> ConnectionRecord | None:
        """One conditional DeleteItem: the condition fails on a young row and on an absent
        one (and on a name claim, which has no connectedAt); ALL_OLD hands back the row."""
        try:
            response = self._table.call(
                "DeleteItem",
                Key={"connectionId": {"S": connection_id}},
                ConditionExpression="connectedAt < :cutoff",
                ExpressionAttributeValues={":cutoff": {"N": str(connected_before_ms)}},
                ReturnValues="ALL_OLD",
            )
        except StoreError as error:
            if error_code(error.__cause__ or error) != "ConditionalCheckFailedException":
                raise
            return None  # too young to be stale, or gone already
        self._ahead.pop(connection_id, None)
        item = response.get("Attributes")
        return _record(item) if item else None

    def get(self, connection_id: str) -> ConnectionRecord | None:
        """Strongly consistent: the chat reads a row by id only to see whether a name's
        holder is still there (chat/names.py), where a replica that has not seen a row just
        written would let two people take one name."""
        response = self._table.call(
            "GetItem", Key={"connectionId": {"S": connection_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        if not item or item["connectionId"]["S"].startswith(_CLAIM_PREFIX):
            return None
        return _record(item)

    def members(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        return self._in_room(ROOM_INDEX, "room", room, page_size)

    def listeners(self, room: str, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        return self._in_room(PRESENCE_INDEX, "presenceRoom", room, page_size)

    def _in_room(
        self, index: str, attribute: str, room: str, page_size: int
    ) -> Iterator[ConnectionRecord]:
        """The connections an index of the room keys by ``attribute``, a page at a time."""
        for item in self._table.pages(
            "Query",
            IndexName=index,
            KeyConditionExpression="#room = :room",
            ExpressionAttributeNames={"#room": attribute},
            ExpressionAttributeValues={":room": {"S": room}},
            Limit=page_size,
        ):
            yield _record(item, room)

    def present(self, page_size: int = 1000) -> Iterator[ConnectionRecord]:
        """A Scan of room-index: its entries hold what ``rooms`` counts (room, name) and
        little else, so it reads fewer bytes than a Scan of the table; name claims, which
        have no room, are not in it."""
        for item in self._table.pages("Scan", IndexName=ROOM_INDEX, Limit=page_size):
            yield _record(item)

    def named(self, name: str) -> list[ConnectionRecord]:
        items = self._table.pages(
            "Query",
            IndexName=NAME_INDEX,
            KeyConditionExpression="#key = :key",
            ExpressionAttributeNames={"#key": "nameKey"},
            ExpressionAttributeValues={":key": {"S": name_key(name)}},
        )
        return sorted((_record(item) for item in items), key=lambda r: r.connection_id)

    def claim_name(
        self, room: str, name: str, connection_id: str, expires_at: int, replace_owner: str = ""
    ) -> str | None:
        key = f"{_CLAIM_PREFIX}{room}#{name_key(name)}"
        condition = "attribute_not_exists(connectionId) OR #owner = :me"
        values = {":me": {"S": connection_id}}
        if replace_owner:
            condition += " OR #owner = :previous"
            values[":previous"] = {"S": replace_owner}
        item, written = self._table.conditional(
            "PutItem",
            Item={
                "connectionId": {"S": key},
                "owner": {"S": connection_id},
                "expiresAt": {"N": str(expires_at)},
            },
            ConditionExpression=condition,
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues=values,
        )
        if written:
            return None
        # the holder comes back with the refusal (ALL_OLD): no GetItem of the claim
        return str((item or {}).get("owner", {}).get("S", "")) or "unknown"

    def release_name(self, room: str, name: str, connection_id: str) -> None:
        try:
            self._table.call(
                "DeleteItem",
                Key={"connectionId": {"S": f"{_CLAIM_PREFIX}{room}#{name_key(name)}"}},
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":me": {"S": connection_id}},
            )
        except StoreError as error:
            if error_code(error.__cause__ or error) != "ConditionalCheckFailedException":
                raise

    def admit(self, connection_id: str, rate: float, burst: int, now_ms: int) -> Admission:
        """The token and the row in one conditional UpdateItem, ReturnValues ALL_NEW (the
        row after it), or ALL_OLD when the condition fails (the row as it is): no GetItem.

        The bucket is its tat (chat/limits.py, GCRA), and an update can add to a number but
        not take a max, so there are two updates, each conditional: a full bucket (tat past:
        the common case, a request after a pause) gets ``tat = now + interval``; one that is
        not full ``tat = tat + interval`` while one token is left. The first is tried first
        unless this store saw the bucket not full lately (``_ahead``); a wrong guess costs
        one failed conditional write (1 WCU, and the row back), never a wrong answer: each
        condition is the bucket's rule itself, checked where the row is written. A refused
        request writes nothing but that failed condition."""
        interval, now = interval_us(rate), now_ms * 1000
        last = now + (burst - 1) * interval  # the latest tat that still lets one more in
        key = {"connectionId": {"S": connection_id}}
        ahead = self._ahead.get(connection_id, 0) > now
        row: dict[str, Any] | None = None
        for _ in range(10):
            if ahead:
                item, written = self._table.conditional(
                    "UpdateItem",
                    Key=key,
                    UpdateExpression="SET tat = tat + :interval",
                    ConditionExpression=f"{_ROW} AND tat > :now AND tat <= :last",
                    ExpressionAttributeValues={
                        ":interval": {"N": str(interval)},
                        ":now": {"N": str(now)},
                        ":last": {"N": str(last)},
                    },
                    ReturnValues="ALL_NEW",
                )
            else:
                item, written = self._table.conditional(
                    "UpdateItem",
                    Key=key,
                    UpdateExpression="SET tat = :next",
                    ConditionExpression=f"{_ROW} AND (attribute_not_exists(tat) OR tat <= :now)",
                    ExpressionAttributeValues={
                        ":next": {"N": str(now + interval)},
                        ":now": {"N": str(now)},
                    },
                    ReturnValues="ALL_NEW",
                )
            if item is None or "connectedAt" not in item:
                self._ahead.pop(connection_id, None)
                return Admission(None, False)  # no row: not connected through $connect
            row = item
            tat = int(item["tat"]["N"]) if "tat" in item else 0
            self._remember(connection_id, tat, now)
            if written:
                return Admission(_record(item), True)
            if tat > last:
                return Admission(_record(item), False)  # empty: refused
            ahead = tat > now  # the other update's case: try it
        return Admission(_record(row) if row else None, False)  # too contended: refuse

    def _remember(self, connection_id: str, tat: int, now: int) -> None:
        if tat > now:
            if len(self._ahead) >= _HINTS:
                self._ahead.clear()
            self._ahead[connection_id] = tat
        else:
            self._ahead.pop(connection_id, None)

    def purge(self) -> int:
        """Delete every item (connections and name claims); the local gateway does this at
        start when it runs on a DynamoDB endpoint."""
        purged = 0
        for item in self._table.pages("Scan", ProjectionExpression="connectionId"):
            self._table.call("DeleteItem", Key={"connectionId": item["connectionId"]})
            purged += 0 if item["connectionId"]["S"].startswith(_CLAIM_PREFIX) else 1
        return purged


class DynamoDbMessageStore:
    """Messages in a table keyed by ``room`` (PK) and ``sortKey`` = ``sentAt#id`` (SK);
    direct messages in another, keyed by ``conversation`` and ``sortKey``."""

    def __init__(self, client: Any, table_name: str, direct_table: str = "") -> None:
        self._table = _Table(client, table_name)
        self._directs = _Table(client, direct_table)
        self.table_name = table_name
        self.direct_table = direct_table

    def append(self, message: ChatMessage) -> None:
        item = {
            "room": {"S": message.room},
            "sortKey": {"S": message.sort_key},
            "id": {"S": message.id},
            "sender": {"S": message.sender},
            "text": {"S": message.text},
            "sentAt": {"N": str(message.sent_at)},
            "expiresAt": {"N": str(message.expires_at)},
        }
        if message.owner:
            item["owner"] = {"S": message.owner}
        self._table.call("PutItem", Item=item)

    def append_direct(self, message: DirectMessage) -> None:
        item = {
            "conversation": {"S": message.conversation},
            "sortKey": {"S": message.sort_key},
            "id": {"S": message.id},
            "sender": {"S": message.sender},
            "to": {"S": message.to},
            "text": {"S": message.text},
            "sentAt": {"N": str(message.sent_at)},
            "expiresAt": {"N": str(message.expires_at)},
        }
        for (_index, attribute), reader in zip(READER_INDEXES, message.readers, strict=False):
            item[attribute] = {"S": reader}
        self._directs.call("PutItem", Item=item)

    def directs(
        self, reader: str, limit: int, before: str | None = None, conversation: str | None = None
    ) -> list[DirectMessage]:
        """One conversation: a Query of its partition, kept to what ``reader`` may read
        (followed page after page, since a filter applies after Limit, but never past a
        page with nothing of the reader's: see :meth:`_conversation`). All of a reader's:
        a Query of each reader index, newest first, merged."""
        values = {":r": {"S": reader}, ":before": {"S": before or "~"}}
        if conversation is not None:
            return self._conversation(conversation, values, limit)
        merged: list[DirectMessage] = []
        for index, attribute in READER_INDEXES:
            response = self._directs.call(
                "Query",
                IndexName=index,
                KeyConditionExpression="#reader = :r AND #sk < :before",
                ExpressionAttributeNames={"#reader": attribute, "#sk": "sortKey"},
                ExpressionAttributeValues=values,
                ScanIndexForward=False,
                Limit=limit,
            )
            merged += [_direct(item) for item in response.get("Items", [])]
        return sorted(merged, key=lambda m: m.sort_key, reverse=True)[:limit]

    def _conversation(
        self, conversation: str, values: dict[str, Any], limit: int
    ) -> list[DirectMessage]:
        """Up to ``limit`` of a conversation's messages its reader may read. A page whose
        items are none of the reader's ends the search: the chat keeps each message of a
        conversation for the same readers (its two parties), so a reader who may read none
        of a page is a stranger to all of it, and a stranger who names the conversation
        costs the stack one page (``limit`` items read), never its whole partition."""
        request: dict[str, Any] = {
            "KeyConditionExpression": "#c = :c AND #sk < :before",
            "FilterExpression": "readerA = :r OR readerB = :r",
            "ExpressionAttributeNames": {"#c": "conversation", "#sk": "sortKey"},
            "ExpressionAttributeValues": {**values, ":c": {"S": conversation}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        found: list[DirectMessage] = []
        while len(found) < limit:
            page = self._directs.call("Query", **request)
            items = page.get("Items", [])
            found += [_direct(item) for item in items[: limit - len(found)]]
            last_key = page.get("LastEvaluatedKey")
            if not items or not last_key:
                return found
            request["ExclusiveStartKey"] = last_key
        return found

    def revise(
        self, room: str, sort_key: str, owner: str, text: str | None, at_ms: int
    ) -> Revision:
        """One conditional UpdateItem (ALL_NEW), or the item as it stands when the
        condition fails (ReturnValuesOnConditionCheckFailure): no GetItem."""
        values: dict[str, Any] = {
            ":owner": {"S": owner},
            ":text": {"S": text or ""},
            ":at": {"N": str(at_ms)},
        }
        update = "SET #text = :text, editedAt = :at"
        if text is None:
            update += ", deleted = :deleted"
            values[":deleted"] = {"BOOL": True}
        item, written = self._table.conditional(
            "UpdateItem",
            Key={"room": {"S": room}, "sortKey": {"S": sort_key}},
            UpdateExpression=update,
            ConditionExpression=(
                "attribute_exists(sortKey) AND #owner = :owner AND attribute_not_exists(deleted)"
            ),
            ExpressionAttributeNames={"#text": "text", "#owner": "owner"},
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return Revision(None if item is None else _message(item), written)

    def latest(self, room: str, limit: int, before: str | None = None) -> list[ChatMessage]:
        response = self._table.call(
            "Query",
            KeyConditionExpression="#room = :room AND #sk < :before",
            ExpressionAttributeNames={"#room": "room", "#sk": "sortKey"},
            ExpressionAttributeValues={":room": {"S": room}, ":before": {"S": before or "~"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_message(item) for item in response.get("Items", [])]

    def expire(self) -> int:
        """Nothing to do: the table's own TTL (expiresAt) deletes what has expired."""
        return 0


def _message(item: dict[str, Any]) -> ChatMessage:
    """A MessagesTable item as a message; items written before edits lack owner, editedAt
    and deleted."""
    return ChatMessage(
        id=item["id"]["S"],
        room=item["room"]["S"],
        sender=item["sender"]["S"],
        text=item["text"]["S"],
        sent_at=int(item["sentAt"]["N"]),
        expires_at=int(item.get("expiresAt", {}).get("N", "0")),
        owner=str(item.get("owner", {}).get("S", "")),
        edited_at=int(item.get("editedAt", {}).get("N", "0")),
        deleted=bool(item.get("deleted", {}).get("BOOL", False)),
    )


def _direct(item: dict[str, Any]) -> DirectMessage:
    """A DirectMessagesTable item as a direct message."""
    return DirectMessage(
        id=item["id"]["S"],
        conversation=item["conversation"]["S"],
        sender=item["sender"]["S"],
        to=item["to"]["S"],
        text=item["text"]["S"],
        sent_at=int(item["sentAt"]["N"]),
        expires_at=int(item.get("expiresAt", {}).get("N", "0")),
        readers=tuple(item[a]["S"] for _i, a in READER_INDEXES if a in item),
    )


def _record(item: dict[str, Any], room: str = "general") -> ConnectionRecord:
    """A record from an item, or from an index entry, which holds only what its index
    projects (``room``: the room a room's query asked for); rows written by older code may
    lack the newer attributes."""

    def text(key: str, default: str) -> str:
        return str(item.get(key, {}).get("S", default))

    return ConnectionRecord(
        connection_id=item["connectionId"]["S"],
        connected_at=int(item.get("connectedAt", {}).get("N", "0")),
        expires_at=int(item.get("expiresAt", {}).get("N", "0")),
        room=text("room", room),
        name=text("name", ""),
        format=text("format", "raw"),
        principal=text("principal", ""),
        guest=text("guest", ""),
    )


class DynamoDbTables:
    """Both stores on one client, a table each: the chat's backend on AWS (its functions,
    handlers/dependencies.py) and on a DynamoDB endpoint under the local gateway."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def connection_store(self, table_name: str) -> DynamoDbConnectionStore:
        return DynamoDbConnectionStore(self.client, table_name)

    def message_store(self, table_name: str, direct_table: str = "") -> DynamoDbMessageStore:
        return DynamoDbMessageStore(self.client, table_name, direct_table)

    def close(self) -> None:
        """Nothing to close: the client's connections are boto3's."""
