"""The aiohttp shell and composition: the WebSocket endpoint, the Host and Origin guard,
admission, TLS, --watch, the hook's seam, and the gateway composed from the layers below."""
