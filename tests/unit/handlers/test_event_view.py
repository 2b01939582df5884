from serverless_chat.handlers.event_view import WebSocketEvent
from tests.conftest import load_event


def test_view_reads_the_recorded_message_event() -> None:
    event = WebSocketEvent(load_event("powertools/apiGatewayWebSocketApiMessage"))
    assert event.connection_id == "BFaT_fALIAMCKug="
    assert event.route_key == "chat"
    assert event.connected_at == 1731332735513
    assert event.body == '{"action": "chat", "message": "Hello from client"}'
    assert event.callback_url == "https://asasasas.execute-api.us-east-1.amazonaws.com/prod"


def test_view_tolerates_a_malformed_event() -> None:
    event = WebSocketEvent({"requestContext": "nonsense", "body": 5})
    assert event.connection_id == ""
    assert event.body is None
    assert event.connected_at == 0
