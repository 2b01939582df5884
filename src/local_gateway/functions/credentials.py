"""The credentials Lambda hands each function (its execution role's, as STS issues them), and
what the gateway knows of a key that may sign calls to its services."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from local_gateway.template.model import FunctionSpec


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What the gateway knows of an access key: its secret, and the session token that
    temporary credentials carry (None for long-term keys)."""

    secret: str
    session_token: str | None = None


def credentials_for(spec: FunctionSpec, secret: str) -> dict[str, str]:
    """Each function's own local credentials: the access key names the function, so the
    gateway's services can tell who called."""
    readable = "".join(c for c in spec.logical_id.upper() if c.isalnum())[:8].ljust(8, "X")
    unique = hashlib.sha256(spec.logical_id.encode()).hexdigest()[:8].upper()
    key = f"ASIA{readable}{unique}"
    return {
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_SESSION_TOKEN": f"local-session-{spec.logical_id}",
    }
