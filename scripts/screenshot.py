"""Make the README's screenshot: a room with a long conversation, through a real gateway,
in Chromium: the page opens at the newest message, with people, a direct message, and the
connection state.

Usage: python scripts/screenshot.py docs/screenshot.png
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.served import ServedGateway  # noqa: E402

ROOM = "deploys"

# Said before anyone opens the page: the room's history.
EARLIER = [
    ("dee", "morning all"),
    ("cy", "morning! coffee first, then the stack"),
    ("ana", "I'm going to try the local gateway before we deploy anything"),
    ("dee", "make serve and it prints the routes and the ws:// URL"),
    ("ana", "nice, it runs the same template? not a copy of it?"),
    ("dee", "the same infra/template.yaml, the same handlers"),
    ("cy", "and history survives a restart, it's an SQLite file under the state dir"),
    ("ana", "connected from the terminal client too: it tells me my guest name"),
    ("bob", "o/ catching up"),
    ("bob", "did anyone check the rate limit? my script sent 100 lines"),
    ("dee", "10 a second, bursts of 20. the client waits on RATE_LIMITED and sends again"),
    ("bob", "all 100 arrived, in order. good"),
    ("cy", "who has the AWS credentials today?"),
    ("ana", "I do, eu-west-1"),
    ("cy", "PAY_PER_REQUEST please, it's about $0 at rest"),
    ("ana", "serverless-chat deploy --parameter BillingMode=PAY_PER_REQUEST"),
    ("ana", "change set printed, 31 resources to add"),
    ("dee", "watch for the IAM roles, one per function"),
    ("ana", "CREATE_IN_PROGRESS …"),
    ("bob", "meanwhile: is the web page the same file locally and on S3?"),
    ("cy", "web-export writes it out with a config.json that names the wss:// URL"),
    ("bob", "strict CSP, no inline code, right"),
    ("cy", "right, and names are always text: <b>markup</b> shows as it is"),
    ("ana", "CREATE_COMPLETE"),
    ("dee", "🎉"),
    ("ana", "wss://abc123.execute-api.eu-west-1.amazonaws.com/production"),
    ("bob", "connecting from my phone"),
    ("bob", "works at 360 px, the people list folds away"),
    ("cy", "try two tabs with the same name and a token, it is allowed now"),
    ("dee", "the alarm topic is wired too, I subscribed the team list"),
    ("ana", "costs: two tables on demand, the rest is per use"),
    ("cy", "ship it"),
    ("bob", "one thing: the idle timeout closed my terminal after 10 minutes"),
    ("dee", "that's API Gateway's own limit; --reconnect brings you back in the same room"),
    ("bob", "and the close said why: 1001 going away. fair"),
]

# Said while the pages are open.
LIVE = [
    ("ana", "Hello AWS"),
    ("bob", "Hi ana! Deployed stack works, wss:// answers in 40 ms from here."),
    ("ana", "The same handlers run on the local gateway."),
    ("cy", "I'll write the release notes"),
]


def seed(url: str) -> None:
    names = sorted({name for name, _ in EARLIER})
    query = f"?room={ROOM}&format=json&name="
    with contextlib.ExitStack() as stack:
        sockets = {name: stack.enter_context(connect(url + query + name)) for name in names}
        for i, (name, text) in enumerate(EARLIER):
            socket = sockets[name]
            socket.send(json.dumps({"action": "sendMessage", "message": text, "ref": str(i)}))
            while json.loads(socket.recv(10)).get("ref") != str(i):
                pass
    time.sleep(0.5)  # their $disconnects release the names the pages take next


def main(output: Path) -> None:
    with tempfile.TemporaryDirectory() as state:
        gateway = ServedGateway(
            Path(state) / "state", Path(state) / "serve.log", "--parameter", "MessageBurst=200"
        )
        gateway.start()
        try:
            seed(gateway.url)  # the room's history, said by the people who then open it
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                pages = {}
                for name in ("bob", "ana", "cy", "dee"):
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    page = context.new_page()
                    page.goto(f"{gateway.page_url}?name={name}&room={ROOM}")
                    expect(page.locator("#people li.me")).to_have_text(name)
                    pages[name] = page
                for name, line in LIVE:
                    pages[name].fill("#message-input", line)
                    pages[name].press("#message-input", "Enter")
                    pages[name].wait_for_timeout(150)
                ana = pages["ana"]
                ana.select_option("#to-select", "bob")
                ana.fill("#message-input", "psst: this one is only for you")
                ana.press("#message-input", "Enter")
                bob = pages["bob"]
                expect(bob.locator("#messages li.direct")).to_have_count(1)
                bob.fill("#message-input", "on my way")
                bob.wait_for_timeout(400)
                bob.screenshot(path=str(output))
                browser.close()
        finally:
            gateway.stop()
    print(output)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png"))
