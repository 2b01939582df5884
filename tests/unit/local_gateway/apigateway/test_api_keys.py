"""API keys on a route: a key enabled and in a usage plan of the stage, from x-api-key, or
403 ("WebSocket selection expressions", API key selection expressions,
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-selection-expressions.html)."""

from __future__ import annotations

from local_gateway.apigateway.api_keys import key_refusal
from local_gateway.template.specs import ApiKeySpec

KEYS = (ApiKeySpec("Good", "good-key-0123456789"), ApiKeySpec("Off", "off-key-01234", False))


def test_a_valid_key_in_x_api_key_opens_the_route() -> None:
    assert key_refusal(KEYS, [("X-Api-Key", "good-key-0123456789")]) == ""


def test_no_key_an_unknown_key_or_a_disabled_key_do_not() -> None:
    assert "no API key" in key_refusal(KEYS, [])
    assert "no API key" in key_refusal(KEYS, [("x-api-key", "")])
    assert "no usage plan" in key_refusal(KEYS, [("x-api-key", "other")])
    assert "disabled" in key_refusal(KEYS, [("x-api-key", "off-key-01234")])
    assert key_refusal((), [("x-api-key", "good-key-0123456789")])
