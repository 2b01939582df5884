"""API keys on a WebSocket API's routes. Pure.

A route with ``ApiKeyRequired`` admits a request only with a key that is enabled and in a
usage plan of the API's stage, read where the API's ``ApiKeySelectionExpression`` says
(``$request.header.x-api-key`` by default; the authorizer's ``usageIdentifierKey`` is not
emulated and refused at start). Without one, API Gateway answers 403 Forbidden ("WebSocket
selection expressions", API key selection expressions,
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-selection-expressions.html;
"Require an API key on a route", keys reach WebSocket APIs through usage plans). The key
of a connection is the one its handshake sent: messages carry no headers.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from local_gateway.template.specs import ApiKeySpec

HEADER = "x-api-key"


def key_refusal(keys: Sequence[ApiKeySpec], headers: Sequence[tuple[str, str]]) -> str:
    """Why the request's key does not open the route ("" when it does); for the log."""
    sent = next((v for k, v in headers if k.lower() == HEADER), None)
    if not sent:
        return "no API key (x-api-key) on a route that requires one"
    for key in keys:
        if hmac.compare_digest(key.value.encode(), sent.encode()):
            return "" if key.enabled else f"API key {key.logical_id} is disabled"
    return "an API key that is in no usage plan of this stage"
