"""The gateway serves the web page with its security headers, and config.json."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from yarl import URL

from local_gateway import LocalGateway
from serverless_chat.web_assets import CONTENT_SECURITY_POLICY, export_site


async def test_page_assets_and_config(chat: LocalGateway) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(chat.page_url) as page:
            assert page.status == 200
            assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
            assert page.headers["X-Content-Type-Options"] == "nosniff"
            assert "<script" not in (await page.text()).split("assets/app.js")[1]
        async with session.get(chat.page_url + "assets/app.js") as script:
            assert script.status == 200
            assert script.headers["Content-Type"].startswith("text/javascript")
            source = await script.text()
            for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
                assert sink not in source, sink
        async with session.get(chat.page_url + "config.json") as config:
            assert await config.json() == {"stage": "production"}
        # The page's folder is serverless_chat/web: its parent holds web_assets.py. Sent as
        # written (the client would otherwise fold ".." away before sending).
        for path in (
            "assets/..%2fweb_assets.py",
            "assets/%2e%2e%2fweb_assets.py",
            "assets/..%5cweb_assets.py",
            "assets/missing.js",
            "assets/index.html",
        ):
            async with session.get(URL(chat.page_url + path, encoded=True)) as missing:
                assert missing.status == 404, path


def test_csp_allows_no_inline_code() -> None:
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


def test_web_export_writes_the_page_and_its_config(tmp_path: Path) -> None:
    written = export_site(tmp_path / "site", "wss://example.invalid/production")
    names = sorted(str(p.relative_to(tmp_path / "site")) for p in written)
    assert names == ["assets/app.js", "assets/style.css", "config.json", "index.html"]
    assert "wss://example.invalid/production" in (tmp_path / "site" / "config.json").read_text()
