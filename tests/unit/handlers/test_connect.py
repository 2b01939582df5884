from serverless_chat.handlers.connect import build_handler
from serverless_chat.handlers.dependencies import Dependencies
from tests.conftest import EventFactory
from tests.fakes import MemoryConnectionStore


def test_connect_stores_the_connection_and_returns_200(
    deps: Dependencies, store: MemoryConnectionStore, make_event: EventFactory
) -> None:
    result = build_handler(deps)(make_event("c1", "$connect"), None)
    assert result["statusCode"] == 200
    record = store.get("c1")
    assert record is not None
    assert record.connected_at == 1707502303419
    assert record.expires_at == 1707502303 + 2 * 3600


def test_connect_refuses_the_handshake_when_the_store_fails(
    deps: Dependencies, store: MemoryConnectionStore, make_event: EventFactory
) -> None:
    store.fail_on.add("PutItem")
    result = build_handler(deps)(make_event("c1", "$connect"), None)
    assert result["statusCode"] == 500
    assert store.rows == {}
