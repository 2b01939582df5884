"""The action registry (chat/actions.py) is the one list: the route table, the terminal
client's answered actions and docs/protocol.md's table agree with it."""

from __future__ import annotations

import re

from serverless_chat.chat.actions import ACTIONS, ANSWERED, BY_KEY
from serverless_chat.client import commands
from serverless_chat.routes import ENTRY_MODULE_BY_ROUTE, FUNCTIONS, ROUTE_KEYS
from tests.conftest import ROOT

PROTOCOL = ROOT / "docs" / "protocol.md"


def markdown_table() -> str:
    """docs/protocol.md's table of actions, as the registry makes it."""
    rows = ["| action | answered (with your `ref`) | does |", "|---|---|---|"]
    for action in ACTIONS:
        keys = ", ".join(f"`{key}`" for key in action.keys)
        rows.append(f"| {keys} | {'yes' if action.answered else 'no'} | {action.summary} |")
    return "\n".join(rows)


def test_the_protocol_doc_has_the_registrys_table() -> None:
    found = re.search(
        r"<!-- actions: chat/actions.py -->\n(.*?)\n<!-- /actions -->",
        PROTOCOL.read_text(),
        re.S,
    )
    assert found, "docs/protocol.md has no <!-- actions: chat/actions.py --> table"
    assert found[1] == markdown_table(), "docs/protocol.md's table should be:\n" + markdown_table()


def test_every_action_is_routed_to_exactly_one_function() -> None:
    keys = [key for action in ACTIONS for key in action.keys]
    assert len(keys) == len(set(keys))
    for key in keys:
        serving = [f.name for f in FUNCTIONS for r in f.routes if r.key == key]
        assert len(serving) == 1, (key, serving)
    # and every route a function serves is an action, but the connection's own two
    assert set(ROUTE_KEYS) - set(keys) == {"$connect", "$disconnect"}


def test_each_action_reaches_the_function_it_names() -> None:
    """The action's ``function`` is the one place its function is written: routes.py's row
    of that name serves every key of the action, aliases too."""
    by_name = {f.name: f for f in FUNCTIONS}
    for action in ACTIONS:
        assert action.function in by_name, (action.key, action.function)
        for key in action.keys:
            assert ENTRY_MODULE_BY_ROUTE[key] == by_name[action.function].entry_module, key


def test_the_terminal_client_waits_for_exactly_the_answered_actions() -> None:
    assert commands.ANSWERED == ANSWERED
    assert "sendmessage" in ANSWERED  # aliases too
    assert "$default" not in ANSWERED
    assert BY_KEY["sendmessage"] is BY_KEY["sendMessage"]
