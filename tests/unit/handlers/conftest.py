from concurrent.futures import ThreadPoolExecutor

import pytest

from serverless_chat.handlers.dependencies import Dependencies
from tests.fakes import FakeConnections, MemoryConnectionStore


@pytest.fixture
def store() -> MemoryConnectionStore:
    return MemoryConnectionStore()


@pytest.fixture
def connections() -> FakeConnections:
    return FakeConnections()


@pytest.fixture
def deps(store: MemoryConnectionStore, connections: FakeConnections) -> Dependencies:
    return Dependencies(store, lambda _event: connections, ThreadPoolExecutor(4))
