import pytest

from serverless_chat.handlers.dependencies import Dependencies
from tests.fakes import FakeConnections, MemoryConnectionStore, MemoryMessageStore


@pytest.fixture
def store() -> MemoryConnectionStore:
    return MemoryConnectionStore()


@pytest.fixture
def messages() -> MemoryMessageStore:
    return MemoryMessageStore()


@pytest.fixture
def connections() -> FakeConnections:
    return FakeConnections()


@pytest.fixture
def deps(
    store: MemoryConnectionStore, messages: MemoryMessageStore, connections: FakeConnections
) -> Dependencies:
    return Dependencies(store, messages, lambda _event: connections)
