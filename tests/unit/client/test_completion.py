"""client/completion.py: Tab's completions from the room's frames, as plain calls."""

from __future__ import annotations

from serverless_chat.client.commands import COMMANDS
from serverless_chat.client.completion import RoomNames


def names_of(*frames: dict[str, object]) -> RoomNames:
    names = RoomNames()
    for frame in frames:
        names.learn(dict(frame), "dev")
    return names


def test_commands_complete_at_the_start_of_a_line() -> None:
    names = RoomNames()
    assert names.complete("/jo", "zoe") == ["/join"]
    assert names.complete("/", "zoe") == list(COMMANDS)
    assert names.complete("/nope", "zoe") == []


def test_names_come_from_who_messages_and_presence_of_this_room_only() -> None:
    names = names_of(
        {"type": "who", "room": "dev", "names": ["ana", "carl"]},
        {"type": "message", "room": "dev", "from": "Anabel"},
        {"type": "presence", "room": "dev", "event": "left", "name": "carl"},
        {"type": "presence", "room": "other", "event": "joined", "name": "dora"},
        {
            "type": "presence",
            "room": "dev",
            "event": "renamed",
            "name": "bo",
            "previousName": "ana",
        },
    )
    assert names.complete("hi A", "zoe") == ["Anabel"]
    assert names.complete("b", "zoe") == ["bo"]
    assert names.complete("c", "zoe") == []  # carl left
    assert names.complete("d", "zoe") == []  # dora is in another room
    assert names.complete("b", "bo") == []  # not one's own name
    assert names.complete("hi ", "zoe") == []  # no word: nothing offered


def test_dm_quotes_a_name_with_spaces_and_history_names_its_authors() -> None:
    names = RoomNames()
    names.learn_authors([{"from": "Mary Ann"}, {"from": ""}, "junk"])
    assert names.complete("/dm Ma", "zoe") == ['"Mary Ann"']
    assert names.complete('/dm "Ma', "zoe") == ['"Mary Ann"']
    names.clear()
    assert names.complete("/dm Ma", "zoe") == []
