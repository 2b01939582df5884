from serverless_chat.chat.model import open_connection
from serverless_chat.handlers.dependencies import Dependencies
from serverless_chat.handlers.disconnect import build_handler
from tests.conftest import EventFactory
from tests.fakes import MemoryConnectionStore


def test_disconnect_deletes_the_row(
    deps: Dependencies, store: MemoryConnectionStore, make_event: EventFactory
) -> None:
    store.put(open_connection("c1", 0))
    store.put(open_connection("c2", 0))
    result = build_handler(deps)(make_event("c1", "$disconnect"), None)
    assert result["statusCode"] == 200
    assert set(store.rows) == {"c2"}


def test_disconnect_of_an_unknown_connection_is_fine(
    deps: Dependencies, make_event: EventFactory
) -> None:
    assert build_handler(deps)(make_event("nobody", "$disconnect"), None)["statusCode"] == 200


def test_disconnect_reports_a_store_failure(
    deps: Dependencies, store: MemoryConnectionStore, make_event: EventFactory
) -> None:
    store.fail_on.add("DeleteItem")
    assert build_handler(deps)(make_event("c1", "$disconnect"), None)["statusCode"] == 500
