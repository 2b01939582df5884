"""Where the terminal client keeps its resume tokens: one JSON file, 0600, in the user's
state folder (``$XDG_STATE_HOME/serverless-chat``, else ``~/.local/state/serverless-chat``),
a token for each chat address. A resume token is what proves a guest is the same person on
its next connection (chat/identity.py): whoever reads it reads that guest's direct
messages, so it is kept as a password is — the owner's alone.

A file that cannot be read or is not this client's is as good as none (the chat then hands
out a new token); one that cannot be written is said in one line, and the session goes on.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

FILE_NAME = "resume-tokens.json"
MAX_ADDRESSES = 100  # the most recent kept: a test's gateways come and go on new ports


def default_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    state = env.get("XDG_STATE_HOME") or str(
        Path(env.get("HOME") or "~").expanduser() / ".local" / "state"
    )
    return Path(state) / "serverless-chat" / FILE_NAME


class TokenFile:
    """The resume tokens of one user, by the chat's address (its URL without the query)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            value = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(value, dict):
            return {}
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}

    def load(self, address: str) -> str | None:
        return self._read().get(address)

    def save(self, address: str, token: str) -> str | None:
        """Keep ``token`` for ``address`` (written whole, then renamed: never half a file);
        None, or the one line saying why it could not be kept."""
        tokens = self._read()
        tokens.pop(address, None)
        tokens[address] = token  # the newest last
        kept = dict(list(tokens.items())[-MAX_ADDRESSES:])
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp's file is 0600
                    json.dump(kept, out)
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            return f"could not keep the resume token in {self.path}: {error.strerror or error}"
        return None
