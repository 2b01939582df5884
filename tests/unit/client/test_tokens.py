"""The terminal client's resume tokens on disk (client/tokens.py): the owner's alone."""

from __future__ import annotations

import stat
from pathlib import Path

from serverless_chat.client.tokens import MAX_ADDRESSES, TokenFile, default_path


def test_a_token_is_kept_by_address_in_a_file_only_its_owner_reads(tmp_path: Path) -> None:
    """Issue 26: whoever reads the token reads the guest's direct messages."""
    tokens = TokenFile(tmp_path / "state" / "serverless-chat" / "resume-tokens.json")
    assert tokens.load("ws://h:1/production") is None
    assert tokens.save("ws://h:1/production", "A" * 43) is None
    assert tokens.save("ws://h:2/production", "B" * 43) is None
    assert tokens.load("ws://h:1/production") == "A" * 43
    assert TokenFile(tokens.path).load("ws://h:2/production") == "B" * 43
    assert stat.S_IMODE(tokens.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(tokens.path.parent.stat().st_mode) == 0o700


def test_a_file_that_is_not_ours_is_as_good_as_none(tmp_path: Path) -> None:
    path = tmp_path / "resume-tokens.json"
    path.write_text("[not, json")
    assert TokenFile(path).load("ws://h:1/production") is None
    assert TokenFile(path).save("ws://h:1/production", "A" * 43) is None
    assert TokenFile(path).load("ws://h:1/production") == "A" * 43


def test_a_file_that_cannot_be_written_is_said_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    problem = TokenFile(blocker / "sub" / "resume-tokens.json").save("ws://h:1/p", "A" * 43)
    assert problem is not None
    assert "\n" not in problem
    assert problem.startswith("could not keep the resume token in ")


def test_only_the_newest_addresses_are_kept(tmp_path: Path) -> None:
    tokens = TokenFile(tmp_path / "resume-tokens.json")
    for port in range(MAX_ADDRESSES + 5):
        tokens.save(f"ws://h:{port}/p", "A" * 43)
    assert tokens.load("ws://h:0/p") is None
    assert tokens.load(f"ws://h:{MAX_ADDRESSES + 4}/p") == "A" * 43


def test_the_state_folder_follows_xdg() -> None:
    assert default_path({"XDG_STATE_HOME": "/x"}) == Path("/x/serverless-chat/resume-tokens.json")
    assert default_path({"HOME": "/home/u"}) == Path(
        "/home/u/.local/state/serverless-chat/resume-tokens.json"
    )
