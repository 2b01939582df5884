from serverless_chat.handlers.event import WebSocketEvent
from tests.conftest import load_event


def test_view_reads_the_recorded_message_event() -> None:
    event = WebSocketEvent(load_event("message"))
    assert event.connection_id == "TWegAcC4joAFZUA="
    assert event.route_key == "sendMessage"
    assert event.connected_at == 1707502303419
    assert event.body == '{"action": "sendMessage", "message": "Hello AWS"}'
    assert event.callback_url == "https://abcdef1234.execute-api.us-east-1.amazonaws.com/production"


def test_view_tolerates_a_malformed_event() -> None:
    event = WebSocketEvent({"requestContext": "nonsense", "body": 5})
    assert event.connection_id == ""
    assert event.body is None
    assert event.connected_at == 0
