"""The web client's files: where they are, the headers they are served with, their export.

Dev-time only. The gateway serves them at http://HOST:PORT/ beside the WebSocket;
``serverless-chat web-export DIR`` writes them out for any static host.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent / "web"
ASSETS = ("app.js", "style.css")

# Scripts and styles only from the page's own origin (no inline code at all); WebSockets
# to any endpoint, since the page may talk to a deployed stack.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def export_site(target: Path, websocket_url: str | None = None) -> list[Path]:
    """Copy the page into ``target``; with a URL, a config.json that points the page at it."""
    (target / "assets").mkdir(parents=True, exist_ok=True)
    written = [target / "index.html"]
    shutil.copyfile(WEB_DIR / "index.html", written[0])
    for name in ASSETS:
        shutil.copyfile(WEB_DIR / name, target / "assets" / name)
        written.append(target / "assets" / name)
    if websocket_url:
        config = target / "config.json"
        config.write_text(json.dumps({"websocketUrl": websocket_url}) + "\n")
        written.append(config)
    return written
