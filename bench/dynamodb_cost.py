"""DynamoDB capacity: what each request costs each table and index of the default stack, and
how many messages a second that stack carries.

The real handlers (each entry module's ``build_handler``, with the DynamoDB adapters) run on
moto, against tables created from infra/template.yaml's own definitions (keys, indexes,
projections, provisioned throughput: read from the template, not retyped). Every DynamoDB
call is recorded through botocore's event hooks (``provide-client-params`` and
``after-call``), with the item before and after it read from the table directly around the
call, and priced per table and per index by DynamoDB's documented rules:

- Item size: "the sum of the lengths of its attribute names and values"; a string is its
  UTF-8 bytes, a number about one byte per two significant digits plus one
  ("Item sizes and capacity unit consumption", CapacityUnitCalculations).
- Reads ("Read/write capacity mode", HowItWorks.ReadWriteCapacityMode): "One read capacity
  unit represents one strongly consistent read per second, or two eventually consistent
  reads per second, for an item up to 4 KB in size" — a GetItem rounds its item up to 4 KB
  (an absent item still costs one unit), half for an eventually consistent read. A Query
  "computes the total size of all items and then rounds up to the next 4 KB boundary"
  (CapacityUnitCalculations); on a global secondary index "the calculation is based on the
  sizes of the index entries [...] the sum of all projected attribute sizes across all of
  the items returned", and every index read is eventually consistent ("Provisioned
  throughput considerations for global secondary indexes", GSI.ThroughputConsiderations).
- Writes: "One write capacity unit represents one write per second for an item up to 1 KB
  in size" (HowItWorks.ReadWriteCapacityMode). PutItem and UpdateItem cost the larger of the
  item before and after, DeleteItem the deleted item, each rounded up to 1 KB; a write whose
  condition fails still costs the existing item's size, or one unit when there is none
  (CapacityUnitCalculations). On each index (GSI.ThroughputConsiderations, "Write capacity
  units"): "if a write to a table does not require a global secondary index update, then no
  write capacity is consumed from the index"; an item that enters or leaves the index costs
  one write, a change of an index key attribute "two writes [...] one to delete the previous
  item from the index and another write to put the new item into the index", a change of
  projected attributes only one write — each per KB of the index entry.

Sources, the Amazon DynamoDB Developer Guide (read in its published sources,
github.com/awsdocs/amazon-dynamodb-developer-guide, doc_source/<page>.md):
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadWriteCapacityMode.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
A write's ReturnValuesOnConditionCheckFailure (the row back with a failed condition, which
the chat's store uses) adds nothing: "No read capacity units are consumed" (the API
reference of DeleteItem's ReturnValuesOnConditionCheckFailure, as the AWS SDK for Kotlin's
reference carries it: docs.aws.amazon.com/sdk-for-kotlin/api/latest/dynamodb/...).

Cross-check: every call asks for ``ReturnConsumedCapacity: INDEXES``. moto does not model
capacity: it answers a constant per operation (PutItem, DeleteItem, Query and Scan 1.0;
GetItem 0.5 whatever the consistency; UpdateItem 0.5, asked or not), whatever the item's
size; it reports no index's writes, names a queried index under LocalSecondaryIndexes, and
says nothing for a write whose condition failed (an error). The bench prints how often its
table figure agrees with moto's, and where it does not.

The original design (bench/foreign/: a Scan of the connections table per message, no
history, no rate limit) runs on moto the same way, for its cost per message beside ours.

    python bench/dynamodb_cost.py [--rooms 2,20,200] [--json FILE]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib
import importlib.util
import json
import math
import os
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
FOREIGN_TEMPLATE = ROOT / "bench" / "foreign" / "template.yaml"
KB = 1024
READ_UNIT = 4 * KB

# On-demand (PAY_PER_REQUEST) list prices, US East (N. Virginia), Standard table class, per
# million request units, after the 50 % cut of 1 November 2024 (docs/performance.md,
# DynamoDB capacity).
PRICE_PER_MILLION_WRU = 0.625
PRICE_PER_MILLION_RRU = 0.125

Item = dict[str, Any]  # DynamoDB's wire form: {"name": {"S": "..."}, ...}


# -- DynamoDB's rules --------------------------------------------------------------------
def _number_size(text: str) -> int:
    """About one byte per two significant digits, plus one (CapacityUnitCalculations)."""
    mantissa = text.lstrip("+-").lower().split("e")[0]
    digits = mantissa.replace(".", "").lstrip("0")
    if "." in mantissa:
        digits = digits.rstrip("0")
    return (len(digits) + 1) // 2 + 1


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        return _number_size(str(inner))
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode("utf-8")) for s in inner)
    if kind == "NS":
        return sum(_number_size(str(n)) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "L":
        return 3 + sum(value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Item | None) -> int:
    """The sum of the lengths of the attribute names and values; 0 for no item."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(v) for name, v in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units) if consistent else units / 2


class IndexDef:
    """A global secondary index as the template declares it: its keys and projection."""

    def __init__(self, spec: Mapping[str, Any], table_keys: tuple[str, ...]) -> None:
        self.name = str(spec["IndexName"])
        self.keys = tuple(str(k["AttributeName"]) for k in spec["KeySchema"])
        projection = spec.get("Projection") or {}
        self.projection = str(projection.get("ProjectionType", "ALL"))
        self.non_key = tuple(str(a) for a in projection.get("NonKeyAttributes", ()))
        self.table_keys = table_keys

    def entry(self, item: Item | None) -> Item | None:
        """The index entry ``item`` makes, or None when it lacks an index key (sparse)."""
        if not item or any(k not in item for k in self.keys):
            return None
        if self.projection == "ALL":
            return dict(item)
        kept = set(self.table_keys) | set(self.keys)
        if self.projection == "INCLUDE":
            kept |= set(self.non_key)
        return {k: v for k, v in item.items() if k in kept}

    def key_of(self, entry: Item) -> tuple[Any, ...]:
        return tuple(json.dumps(entry[k], sort_keys=True) for k in self.keys)


class TableDef:
    """A table of the template: logical id, physical name, keys, indexes, provisioning."""

    def __init__(self, logical_id: str, name: str, props: Mapping[str, Any]) -> None:
        self.logical_id = logical_id
        self.name = name
        self.keys = tuple(str(k["AttributeName"]) for k in props.get("KeySchema", ()))
        self.indexes = [IndexDef(i, self.keys) for i in props.get("GlobalSecondaryIndexes", ())]
        self.capacity: dict[str, tuple[float, float]] = {
            logical_id: _throughput(props.get("ProvisionedThroughput"))
        }
        for spec in props.get("GlobalSecondaryIndexes", ()):
            self.capacity[f"{logical_id}/{spec['IndexName']}"] = _throughput(
                spec.get("ProvisionedThroughput")
            )

    def index(self, name: str) -> IndexDef:
        return next(i for i in self.indexes if i.name == name)

    def key(self, item: Item) -> Item:
        return {k: item[k] for k in self.keys}


def _throughput(value: Any) -> tuple[float, float]:
    if not isinstance(value, Mapping):
        return (0.0, 0.0)  # PAY_PER_REQUEST: no ceiling
    return (float(value["ReadCapacityUnits"]), float(value["WriteCapacityUnits"]))


class Call:
    """One DynamoDB call: what was asked, the item around it, what came back, its price."""

    def __init__(self, module: str, operation: str, params: Mapping[str, Any]) -> None:
        self.module = module
        self.operation = operation
        self.params = dict(params)
        self.table = str(params.get("TableName", ""))
        self.table_id = ""  # the template's logical id
        self.index = str(params["IndexName"]) if params.get("IndexName") else None
        self.before: Item | None = None
        self.after: Item | None = None
        self.read: list[Item] = []  # the full items a Query or Scan returned
        self.error = ""
        self.moto: dict[str, Any] | None = None
        self.priced: dict[str, list[float]] = {}

    def as_json(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "operation": self.operation,
            "table": self.table,
            "table_id": self.table_id,
            "index": self.index,
            "consistent": bool(self.params.get("ConsistentRead")),
            "error": self.error,
            "items_read": len(self.read),
            "priced": {k: {"rcu": v[0], "wcu": v[1]} for k, v in self.priced.items()},
            "moto": self.moto,
        }


def price(call: Call, table: TableDef) -> dict[str, list[float]]:
    """RCU and WCU of one call, by table and by index (logical id, then /index-name)."""
    cost: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    me = table.logical_id
    op = call.operation
    if call.error and call.error != "ConditionalCheckFailedException":
        return {}  # refused before any work (validation, a missing table): nothing consumed
    if op == "GetItem":
        cost[me][0] += read_units(item_size(call.before), bool(call.params.get("ConsistentRead")))
    elif op in ("Query", "Scan"):
        if call.index:
            index = table.index(call.index)
            size = sum(item_size(index.entry(item)) for item in call.read)
            cost[f"{me}/{call.index}"][0] += read_units(size, False)
        else:
            size = sum(item_size(item) for item in call.read)
            cost[me][0] += read_units(size, bool(call.params.get("ConsistentRead")))
    elif op in ("PutItem", "UpdateItem", "DeleteItem"):
        if call.error:  # the condition failed: the item's size, or one unit; no index moved
            cost[me][1] += write_units(item_size(call.before))
            return dict(cost)
        after = None if op == "DeleteItem" else call.after
        cost[me][1] += write_units(max(item_size(call.before), item_size(after)))
        for index in table.indexes:
            old, new = index.entry(call.before), index.entry(after)
            if old == new:  # both absent, or unchanged
                continue
            if old is None or new is None:
                units = write_units(item_size(old or new))
            elif index.key_of(old) != index.key_of(new):
                units = write_units(item_size(old)) + write_units(item_size(new))
            else:
                units = write_units(max(item_size(old), item_size(new)))
            cost[f"{me}/{index.name}"][1] += units
    else:
        raise ValueError(f"no price for {op}")
    return dict(cost)


# -- recording ---------------------------------------------------------------------------
class Recorder:
    """Hooks boto3 DynamoDB clients: every call is kept with the item before and after it
    (read through ``raw``, a client without hooks, around the call) and priced."""

    def __init__(self, raw: Any, tables: Mapping[str, TableDef]) -> None:
        self.raw = raw
        self.tables = tables
        self.module = ""
        self.enabled = True  # off: calls pass unrecorded (a scenario's setup)
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def watch(self, client: Any) -> None:
        """Record ``client``'s calls (not ``raw``'s). Ours is the first after-call hook: a
        boto3 resource's client (the original design's) has one that turns the items into
        Python values, and ours reads the wire form."""
        client.meta.events.register("provide-client-params.dynamodb", self._before)
        client.meta.events.register_first("after-call.dynamodb", self._after)

    def take(self) -> list[Call]:
        with self._lock:
            calls, self.calls = self.calls, []
        return calls

    def _fetch(self, table: TableDef, key: Item) -> Item | None:
        found: Item | None = self.raw.get_item(
            TableName=table.name, Key=key, ConsistentRead=True
        ).get("Item")
        return found

    def _key(self, call: Call, table: TableDef) -> Item | None:
        if "Key" in call.params:
            return dict(call.params["Key"])
        if "Item" in call.params:
            return table.key(call.params["Item"])
        return None

    def _before(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        table = self.tables.get(str(params.get("TableName", "")))
        if table is None or not self.enabled:
            return
        call = Call(self.module, model.name, params)
        call.table_id = table.logical_id
        key = self._key(call, table)
        if key is not None:
            call.before = self._fetch(table, key)
        params["ReturnConsumedCapacity"] = "INDEXES"
        context["bench_call"] = call

    def _after(
        self,
        http_response: Any,
        parsed: dict[str, Any],
        model: Any,
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        call: Call | None = context.get("bench_call")
        if call is None:
            return
        table = self.tables[call.table]
        call.error = str(parsed.get("Error", {}).get("Code", ""))
        call.moto = parsed.get("ConsumedCapacity")
        key = self._key(call, table)
        if key is not None and call.operation != "GetItem":
            call.after = self._fetch(table, key)
        if call.operation in ("Query", "Scan"):
            for item in parsed.get("Items", []):
                full = self._fetch(table, table.key(item))
                call.read.append(full if full is not None else item)
        call.priced = price(call, table)
        with self._lock:
            self.calls.append(call)


# -- the stack: the template's tables on moto, the handlers on the DynamoDB adapters -------
class Callbacks:
    """The callback API: posts are counted; ids in ``gone`` answer 410."""

    def __init__(self) -> None:
        self.gone: set[str] = set()
        self.posts = 0
        self.conversation = ""  # the last direct message's, for directHistory to page
        self._lock = threading.Lock()

    def post(self, connection_id: str, data: bytes) -> None:
        from serverless_chat.errors import ConnectionGone

        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        with self._lock:
            self.posts += 1
            if data.startswith(b'{"type":"direct"'):
                self.conversation = json.loads(data).get("conversation", "")

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
        from serverless_chat.errors import ConnectionGone

        failures: dict[str, Exception] = {}
        for connection_id, data in deliveries:
            try:
                self.post(connection_id, data)
            except ConnectionGone as gone:
                failures[connection_id] = gone
        return failures

    def info(self, connection_id: str) -> Any:
        from serverless_chat.errors import ConnectionGone
        from serverless_chat.ports import ConnectionInfo

        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        now = datetime.now(UTC)
        return ConnectionInfo(now, now, "192.0.2.1", "bench")

    def close(self, connection_id: str) -> None:
        self.gone.add(connection_id)


def connection_id(label: str) -> str:
    """An id shaped as API Gateway's (16 characters, base64, ending in '=')."""
    return base64.b64encode(hashlib.sha256(label.encode()).digest()[:11]).decode()


class Stack:
    """infra/template.yaml's tables on moto and its functions' handlers, on one client."""

    DOMAIN = "abc123defg.execute-api.us-east-1.amazonaws.com"

    def __init__(self, template: Path) -> None:
        import boto3

        from local_gateway.aws.dynamodb.tables import create_table
        from local_gateway.template.model import read_api
        from serverless_chat.adapters.dynamodb import DynamoDbConnectionStore, DynamoDbMessageStore
        from serverless_chat.chat.service import ChatSettings
        from serverless_chat.handlers.dependencies import Dependencies

        api = read_api(template)
        self.api = api
        self.client = boto3.client("dynamodb", region_name="us-east-1")
        raw = boto3.client("dynamodb", region_name="us-east-1")
        self.tables: dict[str, TableDef] = {}
        for spec in api.tables.values():
            create_table(raw, spec)
            self.tables[spec.name] = TableDef(spec.logical_id, spec.name, spec.properties)
        self.recorder = Recorder(raw, self.tables)
        self.recorder.watch(self.client)
        self.callbacks = Callbacks()
        self.handlers: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {}
        self.stage = api.stage
        for function in api.functions.values():
            module = function.module_name
            if not module.startswith("serverless_chat.handlers.") or module.endswith(".authorize"):
                continue
            env = dict(function.environment)
            deps = Dependencies(
                DynamoDbConnectionStore(self.client, env["CONNECTIONS_TABLE"]),
                DynamoDbMessageStore(
                    self.client, env.get("MESSAGES_TABLE", ""), env.get("DIRECT_MESSAGES_TABLE", "")
                ),
                lambda _event: self.callbacks,
                ChatSettings.from_env(env),
                environment=env,
            )
            self.handlers[module] = importlib.import_module(module).build_handler(deps)
        self.requests: list[dict[str, Any]] = []

    def connections(self) -> int:
        """How many connections are open (counted by a client the recorder does not watch)."""
        import boto3

        table = self.api.tables["ConnectionsTable"].name
        unwatched = boto3.client("dynamodb", region_name="us-east-1")
        pages = unwatched.get_paginator("scan").paginate(
            TableName=table, IndexName="room-index", Select="COUNT"
        )
        return sum(page["Count"] for page in pages)

    @property
    def last_direct_conversation(self) -> str:
        return self.callbacks.conversation

    def capacity(self) -> dict[str, tuple[float, float]]:
        return {k: v for t in self.tables.values() for k, v in t.capacity.items()}

    def event(
        self,
        cid: str,
        route: str,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, str] | None = None,
        authorizer: Mapping[str, str] | None = None,
        connected_at: int | None = None,
    ) -> dict[str, Any]:
        event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
        context: dict[str, Any] = {
            "routeKey": route,
            "eventType": event_type,
            "connectionId": cid,
            "connectedAt": connected_at if connected_at is not None else int(time.time() * 1000),
            "domainName": self.DOMAIN,
            "stage": self.stage,
            "apiId": "abc123defg",
            "requestId": hashlib.sha256(f"{cid}{time.time_ns()}".encode()).hexdigest()[:16],
        }
        if authorizer:
            context["authorizer"] = dict(authorizer)
        event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
        if query is not None:
            event["queryStringParameters"] = dict(query)
        if body is not None:
            event["body"] = json.dumps(body)
        return event

    def run(
        self, module: str, event: dict[str, Any], label: str = "", coverage: bool = False
    ) -> dict[str, Any]:
        """Invoke one handler; a label keeps the request (priced) in the results."""
        name = f"serverless_chat.handlers.{module}"
        self.recorder.module = name
        self.recorder.enabled = bool(label)
        response = self.handlers[name](event, None)
        calls = self.recorder.take()
        if not label:
            return response
        self.requests.append(
            {
                "request": label,
                "module": name,
                "priced": not coverage,
                "coverage": coverage,
                "status": response.get("statusCode", response.get("status")),
                "cost": total(calls),
                "calls": [c.as_json() for c in calls],
            }
        )
        return response

    # shorthands
    def connect(
        self, cid: str, room: str, name: str, fmt: str, label: str = "", **extra: Any
    ) -> int:
        query = {"room": room, "name": name, "format": fmt}
        authorizer = extra.pop("authorizer", None)
        coverage = bool(extra.pop("coverage", False))
        if authorizer:
            query.pop("name")
        event = self.event(cid, "$connect", query=query, authorizer=authorizer, **extra)
        status: int = self.run("connect", event, label, coverage)["statusCode"]
        return status

    def send(
        self, module: str, cid: str, body: Mapping[str, Any], label: str = "", **kw: Any
    ) -> int:
        route = {"default": "$default", "disconnect": "$disconnect"}.get(
            module, body.get("action", "")
        )
        response = self.run(module, self.event(cid, str(route), body=body), label, **kw)
        status: int = json.loads(response["body"]).get("status", response["statusCode"])
        return status


def total(calls: Iterable[Call]) -> dict[str, dict[str, float]]:
    cost: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for call in calls:
        for resource, (rcu, wcu) in call.priced.items():
            cost[resource][0] += rcu
            cost[resource][1] += wcu
    return {k: {"rcu": v[0], "wcu": v[1]} for k, v in sorted(cost.items())}


# -- the requests -------------------------------------------------------------------------
def scenario(stack: Stack, rooms: list[int]) -> None:
    """Every request type, priced: messages to rooms of each size and format, then the rest
    in a room of 20 json clients (the lobby); then, unpriced, the paths the IAM check needs
    (a signed-in person on two tabs, a taken name, a stale connection's 410)."""
    # Two guests in a room of their own, each with a resume token (asked for first thing
    # after connecting, as the clients do), so that their direct messages are kept. Their
    # messages come later, when their buckets are full again, as a person's are.
    dm_ana, dm_bob = connection_id("dm-ana"), connection_id("dm-bob")
    stack.connect(dm_ana, "direct", "dmana", "json")
    stack.connect(dm_bob, "direct", "dmbob", "json")
    stack.send("history", dm_ana, {"action": "resume"}, "resume (a new token, on connecting)")
    answer = stack.send("history", dm_bob, {"action": "resume"})
    assert answer == 200, answer
    for size in rooms:
        for fmt in ("raw", "json"):
            room = f"{fmt}-{size}"
            members = [connection_id(f"{room}-{i}") for i in range(size)]
            for i, cid in enumerate(members):
                stack.connect(cid, room, f"u{size}{fmt[0]}{i:03d}", fmt)
            stack.send(
                "send_message",
                members[0],
                {"action": "sendMessage", "message": "Hello, room!"},
                f"sendMessage {fmt}, room of {size}",
            )
            if fmt == "json" and size == 20:
                stack.send(
                    "send_message",
                    members[0],
                    {"action": "sendMessage", "message": "And again."},
                    "sendMessage json, room of 20, the same sender again at once",
                )
    lobby = [connection_id(f"lobby-{i}") for i in range(20)]
    for i, cid in enumerate(lobby):
        stack.connect(cid, "lobby", f"lobby{i:02d}", "json")
    for n, cid in enumerate(lobby[10:] * 2):  # 20 messages, for history to read
        stack.send("send_message", cid, {"action": "sendMessage", "message": f"Message {n}."})
    talker = connection_id("talker")
    stack.connect(talker, "talk", "talker", "json")
    for _ in range(100):  # drain the talker's bucket unrecorded, then price a refused one
        message = {"action": "sendMessage", "message": "a burst"}
        if stack.send("send_message", talker, message) != 400:
            continue
        if (
            stack.send("send_message", talker, message, "sendMessage, refused (RATE_LIMITED)")
            == 400
        ):
            break
        stack.requests[-1]["priced"] = False  # a token had come back: drain again
    else:
        raise AssertionError("the burst was never refused")
    newcomer = connection_id("lobby-newcomer")
    stack.connect(newcomer, "lobby", "newcomer", "json", "$connect json, presence to 20 json")
    stack.connect(
        connection_id("raw-newcomer"), "raw-20", "rawnew", "raw", "$connect raw, room of 20 raw"
    )
    stack.send("history", lobby[1], {"action": "history"}, "history (a page of 20 messages)")
    stack.send("who", lobby[2], {"action": "who"}, "who (a room of 21)")
    stack.send("who", lobby[5], {"action": "rooms"}, f"rooms ({stack.connections()} connections)")
    stack.send("default", lobby[3], {"action": "nothing"}, "$default")
    stack.send(
        "send_message",
        lobby[4],
        {"action": "sendMessage", "to": "lobby05", "message": "psst"},
        "sendMessage direct, no identities (kept for nobody)",
    )
    stack.send(
        "send_message",
        dm_ana,
        {"action": "sendMessage", "to": "dmbob", "message": "psst"},
        "sendMessage direct, two guests (kept for both)",
    )
    for n in range(19):  # 20 direct messages between them, for directHistory to read
        body = {"action": "sendMessage", "to": "dmana", "message": f"Direct {n}."}
        stack.send("send_message", dm_bob, body)
    stack.send(
        "history", dm_ana, {"action": "directHistory", "limit": 20}, "directHistory, all (20)"
    )
    stack.send(
        "history",
        dm_ana,
        {"action": "directHistory", "limit": 20, "conversation": stack.last_direct_conversation},
        "directHistory, one conversation (20)",
    )
    stack.send("set_name", lobby[6], {"action": "setName", "name": "renamed06"}, "setName")
    stack.send("join", lobby[7], {"action": "join", "room": "json-2"}, "join (json, with history)")
    stack.run(
        "disconnect", stack.event(lobby[8], "$disconnect"), "$disconnect json, presence to 19"
    )

    # -- paths the role check needs, not priced ---------------------------------------------
    ana = {"sub": "user-ana", "name": "Ana"}
    tab1, tab2 = connection_id("ana-tab1"), connection_id("ana-tab2")
    stack.connect(tab1, "lobby", "", "json", "signed in: first tab", authorizer=ana, coverage=True)
    stack.connect(tab2, "lobby", "", "json", "signed in: second tab", authorizer=ana, coverage=True)
    stack.send(
        "join", tab2, {"action": "join", "room": "json-20"}, "signed in: join", coverage=True
    )
    stack.send("join", tab2, {"action": "join", "room": "lobby"}, "signed in: back", coverage=True)
    stack.run("disconnect", stack.event(tab1, "$disconnect"), "signed in: a tab leaves", True)
    stack.connect(connection_id("thief"), "lobby", "lobby10", "json", "name taken", coverage=True)
    stack.send(
        "set_name",
        lobby[9],
        {"action": "setName", "name": "lobby10"},
        "setName taken",
        coverage=True,
    )
    stack.send(
        "join", lobby[11], {"action": "join", "room": "lobby"}, "join, same room", coverage=True
    )
    # Stale connections (connected a minute ago, then gone: a 410 deletes their rows), one
    # of them a signed-in person's tab, whose name claim passes to their tab still there.
    old = int(time.time() * 1000) - 60_000
    bea = {"sub": "user-bea", "name": "Bea"}
    ghost, bea_gone, page_ghost = (connection_id(n) for n in ("ghost", "bea-gone", "page-ghost"))
    stack.connect(ghost, "lobby", "ghost", "json", connected_at=old)
    stack.connect(bea_gone, "lobby", "", "json", connected_at=old, authorizer=bea)
    stack.connect(connection_id("bea-here"), "lobby", "", "json", authorizer=bea)
    stack.connect(page_ghost, "elsewhere", "", "json", connected_at=old, authorizer=ana)
    stack.connect(connection_id("ana-tab3"), "elsewhere", "", "json", authorizer=ana)
    stack.callbacks.gone |= {ghost, bea_gone, page_ghost}
    stack.send(
        "send_message",
        lobby[12],
        {"action": "sendMessage", "message": "who is gone?"},
        "sendMessage, a stale recipient (410)",
        coverage=True,
    )
    from serverless_chat.chat.fanout import encode_page

    page = encode_page([(page_ghost, b"x"), (lobby[13], b"x")], {"domainName": Stack.DOMAIN})
    stack.run("fanout", page, "fan-out page, a stale recipient (410)", coverage=True)
    stack.run(
        "disconnect", stack.event(connection_id("never"), "$disconnect"), "unknown leaves", True
    )


def original(rooms: list[int]) -> dict[str, dict[str, Any]]:
    """The original design's send function (bench/foreign/src/send), its table from
    bench/foreign/template.yaml, one message to a table of N connections."""
    import boto3

    from local_gateway.aws.dynamodb.tables import create_table
    from local_gateway.template.model import read_api

    api = read_api(FOREIGN_TEMPLATE)
    (spec,) = api.tables.values()
    raw = boto3.client("dynamodb", region_name="us-east-1")
    create_table(raw, spec)
    table = TableDef(spec.logical_id, spec.name, spec.properties)
    os.environ["TABLE_NAME"] = spec.name
    path = ROOT / "bench" / "foreign" / "src" / "send" / "app.py"
    loaded = importlib.util.spec_from_file_location("foreign_send", path)
    assert loaded is not None
    assert loaded.loader is not None
    send = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(send)
    recorder = Recorder(raw, {spec.name: table})
    recorder.watch(send.TABLE.meta.client)
    results: dict[str, dict[str, Any]] = {}
    present = 0
    for size in rooms:
        for i in range(present, size):
            raw.put_item(TableName=spec.name, Item={"connectionId": {"S": connection_id(f"o{i}")}})
        present = size
        recorder.module = "bench/foreign/src/send"
        event = {
            "requestContext": {
                "connectionId": connection_id("o0"),
                "domainName": Stack.DOMAIN,
                "stage": "production",
            },
            "body": json.dumps({"action": "sendMessage", "message": "Hello, room!"}),
        }
        send.lambda_handler(event, None)
        calls = recorder.take()
        results[str(size)] = {"cost": total(calls), "calls": [c.as_json() for c in calls]}
    return results


# -- figures ------------------------------------------------------------------------------
def messages_per_second(
    cost: Mapping[str, Mapping[str, float]], capacity: Mapping[str, tuple[float, float]]
) -> tuple[float, str]:
    """How many of this request a second the provisioned stack carries, and what binds it."""
    best, binding = math.inf, ""
    for resource, used in cost.items():
        rcu, wcu = capacity.get(resource, (0.0, 0.0))
        for have, need, kind in ((rcu, used["rcu"], "RCU"), (wcu, used["wcu"], "WCU")):
            if need and have and have / need < best:
                best, binding = have / need, f"{resource} {kind}"
    return best, binding


def per_million(cost: Mapping[str, Mapping[str, float]]) -> float:
    wcu = sum(v["wcu"] for v in cost.values())
    rcu = sum(v["rcu"] for v in cost.values())
    return wcu * PRICE_PER_MILLION_WRU + rcu * PRICE_PER_MILLION_RRU


def moto_check(requests: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """moto's ConsumedCapacity for the table against the priced table figure."""
    agree, differ, silent = 0, Counter[str](), Counter[str]()
    for request in requests:
        for call in request["calls"]:
            moto = call["moto"]
            table = next(
                (v for k, v in call["priced"].items() if "/" not in k),
                {"rcu": 0.0, "wcu": 0.0},
            )
            mine = table["rcu"] + table["wcu"]
            if call["index"]:
                mine = sum(v["rcu"] for v in call["priced"].values())
            if not moto:
                silent[f"{call['operation']}{' (condition failed)' if call['error'] else ''}"] += 1
            elif abs(float(moto.get("CapacityUnits", -1)) - mine) < 1e-9:
                agree += 1
            else:
                differ[
                    f"{call['operation']}: moto {moto.get('CapacityUnits')}, priced {mine:g}"
                ] += 1
    return {"agree": agree, "differ": dict(differ), "not_reported": dict(silent)}


def short(resource: str) -> str:
    return resource.split("/")[-1].replace("Table", "")


def report(stack: Stack, baseline: Mapping[str, Any]) -> dict[str, Any]:
    capacity = stack.capacity()
    resources = sorted(capacity)
    header = "request".ljust(58) + "".join(f"{short(r):>15}" for r in resources) + "  msg/s"
    print(
        "RCU / WCU per request, by table and index (default stack: "
        + ", ".join(f"{short(r)} {c[0]:g}/{c[1]:g}" for r, c in capacity.items())
        + ")"
    )
    print(header)
    rows = []
    for request in stack.requests:
        if not request["priced"]:
            continue
        cells = ""
        for resource in resources:
            used = request["cost"].get(resource, {"rcu": 0.0, "wcu": 0.0})
            cells += f"{used['rcu']:>8g} / {used['wcu']:<4g}"
        rate, binding = messages_per_second(request["cost"], capacity)
        message = request["request"].startswith("sendMessage")
        if message:
            cells += f"  {rate:5.2f} ({binding})"
        print(request["request"][:57].ljust(58) + cells)
        rows.append(request | {"per_second": rate if message else None, "binding": binding})
    print(
        "\nPAY_PER_REQUEST, per million messages (US East list prices: "
        f"${PRICE_PER_MILLION_WRU}/M WRU, ${PRICE_PER_MILLION_RRU}/M RRU):"
    )
    costs: dict[str, Any] = {}
    for request in rows:
        name = request["request"]
        if name.startswith("sendMessage") and "room of" in name and "again" not in name:
            costs[name] = round(per_million(request["cost"]), 4)
            print(f"  {name:40} ${costs[name]:.4f}")
    for size, row in baseline.items():
        costs[f"original design (a Scan per message), {size} connections"] = round(
            per_million(row["cost"]), 4
        )
        scan = row["cost"]
        print(
            f"  original design, a Scan of {size:>4} rows     ${per_million(scan):.4f}"
            "   (" + ", ".join(f"{k} {v['rcu']:g} RCU" for k, v in scan.items()) + ")"
        )
    check = moto_check(stack.requests)
    print(
        f"\nmoto's ReturnConsumedCapacity agrees with the priced figure on {check['agree']} calls;"
    )
    for what, count in sorted(check["differ"].items()):
        print(f"  differs x{count}: {what}")
    for what, count in sorted(check["not_reported"].items()):
        print(f"  not reported x{count}: {what}")
    return {
        "capacity": {k: {"rcu": v[0], "wcu": v[1]} for k, v in capacity.items()},
        "requests": stack.requests,
        "priced": [
            {k: r[k] for k in ("request", "module", "cost", "per_second", "binding")} for r in rows
        ],
        "pay_per_request_per_million_messages": costs,
        "prices": {
            "wru_per_million": PRICE_PER_MILLION_WRU,
            "rru_per_million": PRICE_PER_MILLION_RRU,
        },
        "original": baseline,
        "moto": check,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", default="2,20,200", help="room sizes, comma-separated")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rooms = sorted({int(r) for r in args.rooms.split(",")})
    if 20 not in rooms:
        rooms.append(20)  # the burst row and the targets are set at 20
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    sys.path.insert(0, str(ROOT / "src"))
    from moto import mock_aws

    from serverless_chat.loadgen.results import write_json

    with mock_aws():
        stack = Stack(TEMPLATE)
        scenario(stack, rooms)
        baseline = original(rooms)
        figures = report(stack, baseline)
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
