"""WebSocket clients for tests that record every frame they send and receive: one for plain
tests (websockets' threaded client), one for asyncio tests (its asyncio client)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from websockets.asyncio.client import ClientConnection as AsyncConnection
from websockets.sync.client import ClientConnection as SyncConnection

QUIET = 0.3  # how long "receives nothing" waits, unless told
RECEIVE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame a test client sent ("sent") or received ("received"), and when."""

    direction: str
    data: str | bytes
    at: float


def _outgoing(message: str | bytes | dict[str, Any] | list[Any]) -> str | bytes:
    """A dict or list is sent as its JSON text, as a browser's JSON.stringify would."""
    if isinstance(message, dict | list):
        return json.dumps(message)
    return message


class _Closable(Protocol):
    """What both of websockets' client connections tell of their close."""

    @property
    def close_code(self) -> int | None: ...

    @property
    def close_reason(self) -> str | None: ...


C = TypeVar("C", bound=_Closable)


class _Recording(Generic[C]):
    """What a test client is whether its test is plain or asyncio: its connection, the
    frames it sent and received, and how its connection closed."""

    def __init__(self, connection: C) -> None:
        self.connection = connection
        self.frames: list[Frame] = []

    def _record(self, direction: str, data: str | bytes) -> None:
        self.frames.append(Frame(direction, data, time.time()))

    @property
    def received(self) -> list[str | bytes]:
        """What it received, in order."""
        return [frame.data for frame in self.frames if frame.direction == "received"]

    @property
    def sent(self) -> list[str | bytes]:
        """What it sent, in order."""
        return [frame.data for frame in self.frames if frame.direction == "sent"]

    @property
    def close_code(self) -> int | None:
        """The connection's close code, as websockets tells it (None while it is open)."""
        return self.connection.close_code

    @property
    def close_reason(self) -> str | None:
        """The connection's close reason, as websockets tells it (None while it is open)."""
        return self.connection.close_reason


class Client(_Recording[SyncConnection]):
    """A connected client for plain (synchronous) tests."""

    def send(self, message: str | bytes | dict[str, Any] | list[Any]) -> None:
        data = _outgoing(message)
        self.connection.send(data)
        self._record("sent", data)

    def recv(self, timeout: float = RECEIVE_TIMEOUT) -> str | bytes:
        """The next frame; TimeoutError when none comes within ``timeout`` seconds."""
        data = self.connection.recv(timeout=timeout)
        self._record("received", data)
        return data

    def recv_json(self, timeout: float = RECEIVE_TIMEOUT) -> Any:
        return json.loads(self.recv(timeout))

    def receives_nothing(self, wait: float = QUIET) -> bool:
        """True when no frame comes within ``wait`` seconds (one that does is recorded)."""
        try:
            self.recv(timeout=wait)
        except TimeoutError:
            return True
        return False

    def close(self, code: int = 1000, reason: str = "") -> None:
        self.connection.close(code, reason)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_Recording[AsyncConnection]):
    """A connected client for asyncio tests."""

    async def send(self, message: str | bytes | dict[str, Any] | list[Any]) -> None:
        data = _outgoing(message)
        await self.connection.send(data)
        self._record("sent", data)

    async def recv(self, timeout: float = RECEIVE_TIMEOUT) -> str | bytes:
        """The next frame; TimeoutError when none comes within ``timeout`` seconds."""
        data = await asyncio.wait_for(self.connection.recv(), timeout)
        self._record("received", data)
        return data

    async def recv_json(self, timeout: float = RECEIVE_TIMEOUT) -> Any:
        return json.loads(await self.recv(timeout))

    async def receives_nothing(self, wait: float = QUIET) -> bool:
        """True when no frame comes within ``wait`` seconds (one that does is recorded)."""
        try:
            await self.recv(timeout=wait)
        except TimeoutError:
            return True
        return False

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.connection.close(code, reason)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()
