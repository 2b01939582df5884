"""The gateway's ceiling: a chat function with no store at all.

`serverless-chat bench --template bench/ceiling/template.yaml` runs the throughput benchmark
against this function instead of the chat's, so the figures show what the local gateway's
own emulation (event, route, worker thread, in-process callbacks, frames) costs, apart from
what the chat's handlers do (the store's reads and writes, the rate limit, the history).
Members are kept in this module, which the gateway's process shares between invocations:
the template's hook (`ceiling_hook.py`) wires it in-process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_members: list[str] = []

PostMany = Callable[[list[tuple[str, bytes]]], object]


def build_handler(post_many: PostMany) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        context_ = event["requestContext"]
        cid = context_["connectionId"]
        if context_["routeKey"] == "$connect":
            _members.append(cid)
        elif context_["routeKey"] == "$disconnect":
            _members.remove(cid)
        else:
            text = str(json.loads(event["body"]).get("message", "")).encode()
            post_many([(m, text) for m in _members if m != cid])
        return {"statusCode": 200}

    return handle


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the ceiling probe runs in the local gateway's process only (its hook)")
