"""Testing a WebSocket API with the local gateway: the pytest plugin (``plugin``, loaded by
the package's ``pytest11`` entry point) and what its fixtures give (docs/testing.md).

The layer above ``server``: it starts gateways, and nothing in the gateway imports it.
"""

from local_gateway.testing.clients import AsyncClient, Client, Frame
from local_gateway.testing.harness import HarnessError, WebSocketApi
from local_gateway.testing.recording import FunctionError, Recorded

__all__ = [
    "AsyncClient",
    "Client",
    "Frame",
    "FunctionError",
    "HarnessError",
    "Recorded",
    "WebSocketApi",
]
