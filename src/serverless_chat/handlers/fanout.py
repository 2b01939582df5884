"""FanoutHandler: posts one page of a big room's message.

The functions that fan out (sendMessage's message; connect's, disconnect's, join's and
setName's presence) invoke it asynchronously, once for each page but the first, when a
frame has more recipients than FANOUT_PAGE_SIZE: the pages are posted in parallel, each
well within its own timeout, where one invocation would run out of time (docs/scaling.md).
Gone recipients have their rows deleted, as in the send function's own fan-out.
"""

from __future__ import annotations

import logging
from typing import Any

from serverless_chat.chat.fanout import decode_page
from serverless_chat.handlers.dependencies import Dependencies, Handler, lambda_entry
from serverless_chat.handlers.event_view import WebSocketEvent

log = logging.getLogger("serverless_chat.handlers.fanout")


def build_handler(deps: Dependencies) -> Handler:
    """Post the page; what became of each recipient is counted and returned. A malformed
    page raises ValueError: it is an invocation error, seen by the errors alarm."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        deliveries = decode_page(event)
        report = deps.chat(WebSocketEvent(event)).deliver(deliveries)
        log.info(
            "fan-out page: %d delivered, %d gone, %d failed",
            len(report.delivered),
            len(report.gone),
            len(report.failed),
        )
        return {
            "delivered": len(report.delivered),
            "gone": len(report.gone),
            "failed": len(report.failed),
        }

    return handle


handler = lambda_entry(build_handler)
