"""Make the README's screenshot: two people chatting through a real gateway, in Chromium.

Usage: python scripts/screenshot.py docs/screenshot.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.served import ServedGateway  # noqa: E402


def main(output: Path) -> None:
    with tempfile.TemporaryDirectory() as state:
        gateway = ServedGateway(Path(state) / "state", Path(state) / "serve.log")
        gateway.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                pages = []
                for name in ("bob", "ana", "cy"):
                    context = browser.new_context(viewport={"width": 1100, "height": 620})
                    page = context.new_page()
                    page.goto(f"{gateway.page_url}?name={name}&room=lobby")
                    expect(page.locator("#people li.me")).to_have_text(name)
                    pages.append(page)
                bob, ana, cy = pages
                for page, line in [
                    (ana, "Hello AWS"),
                    (bob, "Hi ana! Deployed the stack this morning, wss:// works."),
                    (ana, "The same handlers run here, on the local gateway."),
                    (cy, "<b>markup</b> stays text, as it should"),
                ]:
                    page.fill("#message-input", line)
                    page.press("#message-input", "Enter")
                    page.wait_for_timeout(150)
                ana.select_option("#to-select", "bob")
                ana.fill("#message-input", "psst: this one is only for you")
                ana.press("#message-input", "Enter")
                bob.wait_for_timeout(400)
                bob.screenshot(path=str(output))
                browser.close()
        finally:
            gateway.stop()
    print(output)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png"))
