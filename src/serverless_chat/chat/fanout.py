"""Deliver one message to many connections through the callback API.

Every recipient costs one PostToConnection, and on AWS each costs tens of
milliseconds, so each adapter posts a whole batch in parallel (``post_many``). One failing
recipient never stops the others: a gone connection (410) has its stale row
deleted, unless the row is young enough that its $connect may still be running (API
Gateway answers 410 until $connect returns, so a 410 proves nothing about a new row), and
the room is told it left when its $disconnect (best effort) never did;
a throttled post (429 LimitExceededException: the account's request rate, or the client's
buffer full) is posted again after a growing wait, about 3 s in all, whatever the adapter
(API Gateway throttles the callback API: "API Gateway quotas for WebSocket APIs"), and a
throttled GetConnection is asked again after the same waits; any other
failure, or a post still throttled after that, is logged with the connectionId and its
reason.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable

from serverless_chat.chat.names import release
from serverless_chat.errors import CallbackError, CallbackThrottled, ChatError, ConnectionGone
from serverless_chat.ports import ConnectionInfo, ConnectionRecord, Connections, ConnectionStore

log = logging.getLogger("serverless_chat.fanout")


Render = Callable[[str], bytes | None]

# API Gateway's integration timeout is 29 s, so no $connect runs longer: a row younger than
# this may belong to a handshake under way, which API Gateway answers 410 until it returns.
HANDSHAKE_MS = 30_000


# The waits before each new try of the posts the callback API throttled (3.1 s in all: the
# bucket of a throttled account refills within it, and a Lambda function's time is money).
THROTTLE_WAITS = (0.1, 0.2, 0.4, 0.8, 1.6)


def post_all(
    deliveries: list[tuple[str, bytes]],
    connections: Connections,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Exception]:
    """Post every (connectionId, data) in one batch, the throttled ones again after each of
    :data:`THROTTLE_WAITS`; the failures left, by connection id."""
    failures = connections.post_many(deliveries)
    for wait in THROTTLE_WAITS:
        throttled = [d for d in deliveries if isinstance(failures.get(d[0]), CallbackThrottled)]
        if not throttled:
            break
        sleep(wait)
        again = connections.post_many(throttled)
        for cid, _ in throttled:
            if cid in again:
                failures[cid] = again[cid]
            else:
                del failures[cid]
    return failures


def connection_info(
    connection_id: str,
    connections: Connections,
    sleep: Callable[[float], None] = time.sleep,
) -> ConnectionInfo:
    """GetConnection, asked again after each of :data:`THROTTLE_WAITS` while the callback
    API throttles it (429), as a throttled post is posted again; still throttled after the
    last wait, its refusal is raised."""
    for wait in THROTTLE_WAITS:
        try:
            return connections.info(connection_id)
        except CallbackThrottled:
            sleep(wait)
    return connections.info(connection_id)


def stale_before(now_ms: int) -> int:
    """The connectedAt before which a row that answers 410 is stale, not still connecting."""
    return now_ms - HANDSHAKE_MS


def plan(
    records: Iterable[ConnectionRecord], render: Render, exclude: str = ""
) -> list[tuple[str, bytes]]:
    """(connectionId, data) for each record but ``exclude``, each rendered in its own format;
    a format that renders to None (raw clients and presence) gets nothing. Each id once,
    each format rendered once."""
    rendered: dict[str, bytes | None] = {}
    seen: set[str] = {exclude}
    deliveries: list[tuple[str, bytes]] = []
    for record in records:
        if record.connection_id in seen:
            continue
        seen.add(record.connection_id)
        if record.format not in rendered:
            rendered[record.format] = render(record.format)
        data = rendered[record.format]
        if data is not None:
            deliveries.append((record.connection_id, data))
    return deliveries


class DeliveryReport:
    """What became of one fan-out."""

    __slots__ = ("delivered", "failed", "gone", "left", "removed")

    def __init__(self) -> None:
        self.delivered: list[str] = []
        self.gone: list[str] = []  # answered 410
        self.removed: list[str] = []  # of those, the stale rows deleted (not the young ones)
        # Of those, the ones whose person is no longer in their room (no $disconnect told it)
        self.left: list[ConnectionRecord] = []
        self.failed: dict[str, str] = {}


def deliver(
    deliveries: list[tuple[str, bytes]],
    connections: Connections,
    store: ConnectionStore,
    now_ms: Callable[[], int],
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Post every (connectionId, data) in parallel; clean up stale rows; report the rest.

    A 410 deletes the row (and releases its name) only when it connected before
    :func:`stale_before` the time ``now_ms`` tells (the caller's clock, read once, and only
    when a 410 needs a verdict): a younger row may be a handshake under way.

    The adapter gets the whole batch in one call (``post_many``), and posts it as it can in
    parallel."""
    report = DeliveryReport()
    failures = post_all(deliveries, connections, sleep)
    if not failures:  # the common case, spared a verdict per recipient
        report.delivered = [cid for cid, _ in deliveries]
        return report
    outcomes = [(cid, _outcome(failures.get(cid))) for cid, _ in deliveries]
    cutoff: int | None = None
    for cid, outcome in outcomes:
        if outcome is None:
            report.delivered.append(cid)
        elif outcome == "gone":
            report.gone.append(cid)
            if cutoff is None:
                cutoff = stale_before(now_ms())
            removed = _remove_stale(store, cid, cutoff)
            if removed is not None:
                report.removed.append(cid)
                if removed.name and not _still_there(store, removed):
                    report.left.append(removed)
        else:
            report.failed[cid] = outcome
            log.warning("post to connection %s failed: %s", cid, outcome)
    return report


def _remove_stale(
    store: ConnectionStore, cid: str, connected_before_ms: int
) -> ConnectionRecord | None:
    """Delete a row that answered 410 if it is old enough to be stale; the row deleted, or
    None. Store failures are logged: the row's TTL still ends it."""
    try:
        record = store.delete_stale(cid, connected_before_ms)
    except ChatError as error:
        log.warning("could not delete stale connection %s: %s", cid, error)
        return None
    if record is None:
        log.info("connection %s is gone but may still be connecting; its row stays", cid)
        return None
    log.info("connection %s is gone; deleted its row", cid)
    return record


def _still_there(store: ConnectionStore, record: ConnectionRecord) -> bool:
    """Release a deleted row's name; whether its person is still in the room on another
    connection (then nobody left). A store failure counts as still there: no false "left"."""
    try:
        return release(store, record.room, record)
    except ChatError as error:
        log.warning(
            "could not release the name of stale connection %s: %s", record.connection_id, error
        )
        return True


def _outcome(error: Exception | None) -> str | None:
    """The verdict on one post's error: "gone", a reason, or None when there was none."""
    if error is None:
        return None
    if isinstance(error, ConnectionGone):
        return "gone"
    if isinstance(error, CallbackError):
        return f"{error.code} ({error.status}): {error.reason}"
    return f"{type(error).__name__}: {error}"


# -- pages: a room too big for one invocation --------------------------------------------
# A fan-out page travels as the payload of an asynchronous Lambda invocation. Lambda takes up
# to 1 MB there (256 KB in older accounts' documentation); pages are cut to stay under 256 KB.
MAX_PAGE_PAYLOAD_BYTES = 256 * 1024
_ID_OVERHEAD_BYTES = 12  # ["…", 0], per recipient beside the id, with spaced separators


def paginate(
    deliveries: list[tuple[str, bytes]],
    page_size: int,
    max_payload: int = MAX_PAGE_PAYLOAD_BYTES,
) -> list[list[tuple[str, bytes]]]:
    """Cut ``deliveries`` into pages of at most ``page_size`` recipients, each small enough to
    travel as one page payload (:func:`encode_page`), order kept. One page when it fits."""
    if not deliveries:
        return []
    distinct = {id(d): d for _, d in deliveries}.values()
    frames = sum(len(json.dumps(d.decode("utf-8"), ensure_ascii=False)) for d in distinct)
    per_recipient = max(len(cid) for cid, _ in deliveries) + _ID_OVERHEAD_BYTES
    room_for = max(1, (max_payload - frames - 1024) // per_recipient)
    size = max(1, min(page_size, room_for))
    return [deliveries[i : i + size] for i in range(0, len(deliveries), size)]


def encode_page(deliveries: list[tuple[str, bytes]], origin: dict[str, str]) -> dict[str, object]:
    """A page as JSON-ready data: each distinct frame once, each recipient as [id, frame].
    ``origin`` (domainName and stage) says which API's @connections to post to."""
    index: dict[bytes, int] = {}
    to: list[list[object]] = []
    for cid, data in deliveries:
        to.append([cid, index.setdefault(data, len(index))])
    return {
        "fanoutPage": {"frames": [d.decode("utf-8") for d in index], "to": to},
        "requestContext": origin,
    }


def decode_page(event: dict[str, object]) -> list[tuple[str, bytes]]:
    """The deliveries of a page made by :func:`encode_page`; ValueError when malformed."""
    page = event.get("fanoutPage")
    if not isinstance(page, dict):
        raise ValueError("not a fan-out page: no fanoutPage object")
    frames, to = page.get("frames"), page.get("to")
    if not isinstance(frames, list) or not isinstance(to, list):
        raise ValueError("a fan-out page needs frames and to lists")
    data = [str(f).encode("utf-8") for f in frames]
    deliveries: list[tuple[str, bytes]] = []
    for entry in to:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not isinstance(entry[0], str)
            or not isinstance(entry[1], int)
            or not 0 <= entry[1] < len(data)
        ):
            raise ValueError(f"bad recipient in fan-out page: {entry!r}")
        deliveries.append((entry[0], data[entry[1]]))
    return deliveries
