"""Lambda proxy responses."""

from __future__ import annotations

import json
from typing import Any


def response(status: int, body: Any) -> dict[str, Any]:
    """A Lambda proxy response with a JSON body."""
    return {"statusCode": status, "body": json.dumps(body)}
