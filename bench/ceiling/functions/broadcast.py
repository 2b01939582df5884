"""The gateway's ceiling: a chat function with no store at all.

`serverless-chat bench --template bench/ceiling/template.yaml` runs the throughput benchmark
against this function instead of the chat's, so the figures show what the local gateway's
own emulation (event, route, worker thread, in-process callbacks, frames) costs, apart from
what the chat's handlers do (the store's reads and writes, the rate limit, the history).
Members are kept in this module, which one gateway process shares between invocations.
"""

from __future__ import annotations

import json
from typing import Any

_members: list[str] = []


def build_handler(deps: Any) -> Any:
    connections = deps.connections_for(None)

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        context_ = event["requestContext"]
        cid = context_["connectionId"]
        if context_["routeKey"] == "$connect":
            _members.append(cid)
        elif context_["routeKey"] == "$disconnect":
            _members.remove(cid)
        else:
            text = str(json.loads(event["body"]).get("message", "")).encode()
            connections.post_many([(m, text) for m in _members if m != cid])
        return {"statusCode": 200}

    return handle


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the ceiling probe runs in the local gateway only")
