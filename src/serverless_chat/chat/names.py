"""Who may hold a name in a room: the claims, over the ConnectionStore's port.

A name claim has one owner, a connection, so two people never hold one name in one room.
A signed-in person (one token subject, the connection's ``principal``) may hold their name
on several connections at once — two tabs, a laptop and a phone: the first owns the claim,
the others share it, and when the owner leaves the claim passes to one of them, so that
the name stays theirs until their last connection in the room is gone. Anonymous
connections never share: each holds its name alone, and cost no more than one claim.

Finding a person's other connections is a name-index Query, made only for signed-in
connections that leave and for a claim whose owner's row is gone. Should it fail (a role
without that Query, or without the PutItem that passes a claim on), the chat treats the
claim as unshared — releases it, or takes it over — and logs why.
"""

from __future__ import annotations

import logging

from serverless_chat.chat.model import name_key
from serverless_chat.chat.protocol import ProtocolError
from serverless_chat.errors import StoreError
from serverless_chat.ports import ConnectionRecord, ConnectionStore

log = logging.getLogger("serverless_chat.names")


def claim(
    store: ConnectionStore,
    room: str,
    name: str,
    claimant: ConnectionRecord,
    action: str,
) -> bool:
    """Let ``claimant`` hold ``name`` in ``room``, or raise NAME_TAKEN. True when it is the
    first of its person there (the room has not seen the name yet), False when it shares
    the name with another connection of the same principal.

    A claim whose owner's row is gone (its release never ran) is taken over, unless
    another connection in the room still has the name: then the claim passes to it."""
    cid, expires_at = claimant.connection_id, claimant.expires_at
    holder = store.claim_name(room, name, cid, expires_at)
    if holder is None:
        return True
    held = store.get(holder)
    if held is not None:
        if _same_person(held, claimant):
            return False
        raise _taken(name, room, action)
    occupant = next(iter(_others_named(store, room, name, cid)), None)
    if occupant is not None and not _same_person(occupant, claimant):
        store.claim_name(
            room, name, occupant.connection_id, occupant.expires_at, replace_owner=holder
        )
        raise _taken(name, room, action)
    if store.claim_name(room, name, cid, expires_at, replace_owner=holder) is not None:
        raise _taken(name, room, action)
    return occupant is None


def release(store: ConnectionStore, room: str, record: ConnectionRecord) -> bool:
    """``record`` no longer holds its name in ``room``. True when its person is still there
    on another connection (to which the claim passes, if ``record`` owned it): the room
    has not lost the name."""
    if record.principal:
        for sibling in _others_named(store, room, record.name, record.connection_id):
            if _same_person(sibling, record):
                try:
                    store.claim_name(
                        room,
                        record.name,
                        sibling.connection_id,
                        sibling.expires_at,
                        replace_owner=record.connection_id,
                    )
                except StoreError as error:  # the claim stays with a gone owner: taken over
                    log.warning("could not pass %s's claim on: %s", record.connection_id, error)
                return True
    store.release_name(room, record.name, record.connection_id)
    return False


def _same_person(one: ConnectionRecord, other: ConnectionRecord) -> bool:
    return bool(one.principal) and one.principal == other.principal


def _others_named(
    store: ConnectionStore, room: str, name: str, exclude: str
) -> list[ConnectionRecord]:
    """The connections other than ``exclude`` that have ``name`` in ``room`` now (none when
    the store cannot say: the claim then behaves as an unshared one)."""
    key = name_key(name)
    try:
        named = store.named(name)
    except StoreError as error:
        log.warning("could not look up who else is %r in %s: %s", name, room, error)
        return []
    return [
        r
        for r in named
        if r.room == room and name_key(r.name) == key and r.connection_id != exclude
    ]


def _taken(name: str, room: str, action: str) -> ProtocolError:
    return ProtocolError("NAME_TAKEN", f'"{name}" is taken in {room}.', action)
