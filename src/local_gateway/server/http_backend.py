"""The HTTP call of HTTP and HTTP_PROXY integrations (apigateway/backends.py decides what
is sent and what the answer means): aiohttp's client, one session for the gateway's life,
bounded by the integration's timeout. It goes to whatever URL the template names, as API
Gateway would; the local gateway's egress rules are for functions, not for it."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from local_gateway.apigateway.backends import HttpAnswer

# Headers of the client's handshake that belong to its own hop, never forwarded.
_HOP_BY_HOP = {
    "host",
    "connection",
    "upgrade",
    "content-length",
    "transfer-encoding",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
}


class AiohttpBackend:
    """``HttpBackend`` over one aiohttp ClientSession, made on first use."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: str,
        timeout: float,
    ) -> HttpAnswer:
        if self._session is None:
            self._session = aiohttp.ClientSession(auto_decompress=True)
        sent = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            async with self._session.request(
                method,
                url,
                headers=sent,
                params=dict(query),
                data=body.encode() if body else None,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as response:
                text = await response.text(errors="replace")
                return HttpAnswer(response.status, text, dict(response.headers))
        except aiohttp.ClientError as error:
            raise OSError(str(error)) from error

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
