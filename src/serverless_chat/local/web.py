"""The web chat at http://HOST:PORT/, with its security headers, and config.json.

config.json names only the stage: the page builds ws(s)://{its own host}/{stage}, so it
works whatever host name the browser used to reach the gateway.
"""

from __future__ import annotations

from aiohttp import web

from serverless_chat.web_assets import ASSETS, SECURITY_HEADERS, WEB_DIR

_TYPES = {".js": "text/javascript", ".css": "text/css"}


def web_routes(stage: str) -> list[web.RouteDef]:
    async def index(_request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB_DIR / "index.html", headers=SECURITY_HEADERS)

    async def asset(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in ASSETS:  # a fixed list: no path ever reaches the file system
            raise web.HTTPNotFound()
        path = WEB_DIR / name
        headers = {**SECURITY_HEADERS, "Content-Type": _TYPES[path.suffix]}
        return web.FileResponse(path, headers=headers)

    async def config(_request: web.Request) -> web.Response:
        return web.json_response({"stage": stage}, headers=SECURITY_HEADERS)

    return [
        web.get("/", index),
        web.get("/assets/{name}", asset),
        web.get("/config.json", config),
    ]
