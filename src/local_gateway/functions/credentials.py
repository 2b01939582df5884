"""The credentials Lambda hands each function (its execution role's, as STS issues them), and
what the gateway knows of a key that may sign calls to its services."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What the gateway knows of an access key: its secret, and the session token that
    temporary credentials carry (None for long-term keys)."""

    secret: str
    session_token: str | None = None


_KEY_ALPHABET = string.ascii_uppercase + string.digits


def issue_credentials() -> dict[str, str]:
    """Temporary credentials for one function's execution role, as STS issues them: an
    ``ASIA`` access key, a secret and a session token, all random and drawn anew at every
    start of the gateway. Nothing in them derives from the function or the template, and no
    two functions share a secret, so a valid signature proves which function signed."""
    return {
        "AWS_ACCESS_KEY_ID": "ASIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16)),
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
        "AWS_SESSION_TOKEN": secrets.token_urlsafe(96),
    }
