"""The Management API's in-process face: the @connections calls of an application's hook,
made from worker threads without HTTP, answered by the same model as the HTTP face."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from local_gateway.aws.management_api.model import ConnectionDetails, ConnectionRegistry
from local_gateway.errors import AccessDeniedException, ManagementApiError

# How long a worker waits for the loop to carry out one callback call.
CALL_TIMEOUT_SECONDS = 10.0


class InProcessCallbacks:
    """The @connections API of the gateway's stage, called from worker threads without HTTP.

    Each method raises what the HTTP API would answer, as a
    :class:`~local_gateway.errors.ManagementApiError` (GoneException, ...)."""

    def __init__(
        self,
        registry: ConnectionRegistry,
        loop: asyncio.AbstractEventLoop,
        denial: Callable[[str], str | None] | None = None,
    ) -> None:
        self._registry = registry
        self._loop = loop
        self._loop_thread = threading.get_ident() if loop.is_running() else None
        # method -> AWS's refusal when the calling function's role does not allow it
        # (aws/iam/access.py), None when it may; no check for the gateway's own. The
        # resource is the method's whatever the connection (aws/iam/resources.py), so
        # one decision covers a batch of posts.
        self._denial = denial

    def _authorized(self, method: str, connection_id: str) -> None:
        if self._denial is not None:
            message = self._denial(method)
            if message is not None:
                raise AccessDeniedException(connection_id, message)

    def _check_thread(self) -> None:
        if self._loop_thread == threading.get_ident():
            raise RuntimeError("InProcessCallbacks is for worker threads, not the event loop")

    def post(self, connection_id: str, data: bytes) -> None:
        """PostToConnection: one frame to the client."""
        self._check_thread()
        self._authorized("POST", connection_id)
        future = asyncio.run_coroutine_threadsafe(
            self._registry.post(connection_id, data), self._loop
        )
        future.result(CALL_TIMEOUT_SECONDS)

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, ManagementApiError]:
        """Many PostToConnection calls in one hop to the loop; the refusals by connection id.

        As on AWS, a post succeeds once the gateway has taken it, not once the client has
        read it: the verdicts (gone, too large, buffer full) are given here, from the worker
        thread, and the frames are handed to the loop without waiting for them to be
        written. With a simulated callback latency the caller waits for the posts, as it
        would on AWS, and --chaos throttles them as it throttles the HTTP face's."""
        self._check_thread()
        if self._denial is not None and deliveries:
            message = self._denial("POST")
            if message is not None:
                return {cid: AccessDeniedException(cid, message) for cid, _data in deliveries}
        if self._registry.simulates_calls:
            future = asyncio.run_coroutine_threadsafe(
                self._registry.post_many(deliveries), self._loop
            )
            return future.result(CALL_TIMEOUT_SECONDS + len(deliveries) / 1000)
        failures, accepted = self._registry.accept(deliveries)
        if accepted:
            self._loop.call_soon_threadsafe(self._registry.send_accepted, accepted)
        return failures

    def info(self, connection_id: str) -> ConnectionDetails:
        """GetConnection."""
        self._check_thread()
        self._authorized("GET", connection_id)
        future = asyncio.run_coroutine_threadsafe(
            self._registry.get_connection(connection_id), self._loop
        )
        return future.result(CALL_TIMEOUT_SECONDS)

    def close(self, connection_id: str) -> None:
        """DeleteConnection."""
        self._check_thread()
        self._authorized("DELETE", connection_id)
        future = asyncio.run_coroutine_threadsafe(self._registry.close(connection_id), self._loop)
        future.result(CALL_TIMEOUT_SECONDS)
