"""The development signing secret that `serve` and `token` share (dev-time only).

SERVERLESS_CHAT_DEV_SECRET wins; otherwise a random secret is made on first use in the
user's config folder (readable by the user alone) and kept there, so a token minted with
`serverless-chat token` works against `serve --parameter AuthMode=hs256` with no other step.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENV_VAR = "SERVERLESS_CHAT_DEV_SECRET"


def secret_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "serverless-chat" / "dev-secret"


def dev_secret() -> str:
    """The development secret, made on first use."""
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    path = secret_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
