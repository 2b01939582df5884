"""The aiohttp shell and composition: the WebSocket endpoint, the guards against hostile
clients (``guards/``: Host and Origin, admission, client frames), TLS, --watch, the hook's
seam (``app_hook/``), and the gateway composed from the layers below."""
