"""Every action a client may send, declared once.

An :class:`Action` is the ``action`` a body names (the route key API Gateway selects on),
the parser of its body, the :class:`~serverless_chat.chat.service.Chat` operation that
carries it out, whether its sender gets an answer carrying the request's ``ref`` (the
echo, a welcome, a page, an error), and which function serves it. What else needs the list
reads it here: each function's routes in :mod:`serverless_chat.routes` (and so
infra/template.yaml), the request handler that every client-request entry module is, the
terminal client's list of answered actions, and docs/protocol.md's table (a test compares
it). Pure, the standard library.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from serverless_chat.chat import protocol
from serverless_chat.chat.service import Chat, ChatSettings

Parser = Callable[[Mapping[str, object], ChatSettings], Any]


class Action(NamedTuple):
    """One action: see the module's docstring. ``aliases`` are other route keys for it
    (``sendmessage``, AWS's tutorial's spelling); ``summary`` is docs/protocol.md's."""

    key: str
    parse: Parser | None  # None: the body is not read ($default)
    operation: Callable[[Chat, Any, Any], None]
    answered: bool
    function: str  # the Lambda function that serves it: its row's name in routes.py
    summary: str
    aliases: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.aliases)


ACTIONS: tuple[Action, ...] = (
    Action(
        "sendMessage",
        lambda body, settings: protocol.parse_send_message(body, settings.max_text_length),
        Chat.send_message,
        True,
        "SendMessage",
        "a message to the room, or with `to` a direct message to a name",
        aliases=("sendmessage",),
    ),
    Action(
        "editMessage",
        lambda body, settings: protocol.parse_edit_message(body, settings.max_text_length),
        Chat.edit_message,
        True,
        "EditMessage",
        "a new text (`message`) for one of your own messages (`id`, `sentAt`), within 15"
        " minutes of sending it",
    ),
    Action(
        "deleteMessage",
        lambda body, _settings: protocol.parse_delete_message(body),
        Chat.delete_message,
        True,
        "EditMessage",
        "delete one of your own messages (`id`, `sentAt`), within 15 minutes of sending it",
    ),
    Action(
        "join",
        lambda body, _settings: protocol.parse_join(body),
        Chat.join,
        True,
        "Join",
        "move to another room; json and text clients get its latest messages",
    ),
    Action(
        "setName",
        lambda body, _settings: protocol.parse_set_name(body),
        Chat.set_name,
        True,
        "SetName",
        "take another name, unique within the room",
    ),
    Action(
        "history",
        lambda body, _settings: protocol.parse_history(body),
        Chat.history,
        True,
        "History",
        "a page of the room's messages, newest `limit` before the cursor `before`",
    ),
    Action(
        "directHistory",
        lambda body, _settings: protocol.parse_direct_history(body),
        Chat.direct_history,
        True,
        "History",
        "a page of your direct messages, newest `limit` before `before`: of one"
        " `conversation`, or of all of them",
    ),
    Action(
        "resume",
        lambda body, _settings: protocol.parse_resume(body),
        Chat.resume,
        True,
        "History",
        "a guest's identity for direct messages: present your `token`, or none to get one",
    ),
    Action(
        "who",
        lambda body, _settings: protocol.parse_who(body),
        Chat.who,
        True,
        "Who",
        "the names present in the room, a page after `after`",
    ),
    Action(
        "rooms",
        lambda _body, _settings: None,
        Chat.rooms,
        True,
        "Who",
        "the rooms people are in, each with how many people (`rooms`: `room`, `people`)",
    ),
    Action(
        "$default",
        None,
        Chat.usage,
        False,
        "Default",
        "any other frame: how to use the chat, with the caller's connection info",
    ),
)

BY_KEY: dict[str, Action] = {key: action for action in ACTIONS for key in action.keys}
# The keys whose answers carry the request's ref: a client waits for that answer.
ANSWERED = frozenset(key for action in ACTIONS if action.answered for key in action.keys)
