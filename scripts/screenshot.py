"""Make the README's screenshots: a room with history over three days, through a real
gateway, in Chromium, at 1280x800 and at 360x740: day separators, one person's run under
one name, a multi-line message, a link, a direct message, people and the connection state.

Usage: python scripts/screenshot.py docs/screenshot.png   (also writes docs/screenshot-360.png)
"""

from __future__ import annotations

import contextlib
import datetime
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
from tests.browser.earlier import DAY_MS, keep_earlier  # noqa: E402
from tests.served import ServedGateway  # noqa: E402

ROOM = "deploys"

# Said on earlier days: (days ago, minutes past 09:00, name, text), kept in history as a
# gateway would have kept them then.
EARLIER_DAYS = [
    (2, 0, "dee", "morning all"),
    (2, 4, "cy", "morning! coffee first, then the stack"),
    (1, 380, "ana", "I'm going to try the local gateway before we deploy anything"),
    (1, 382, "dee", "make serve and it prints the routes and the ws:// URL"),
    (1, 383, "dee", "the same infra/template.yaml, the same handlers"),
    (1, 390, "cy", "and history survives a restart, it's an SQLite file under the state dir"),
    (1, 395, "bob", "did anyone check the rate limit? my script sent 100 lines"),
    (1, 396, "bob", "all 100 arrived, in order. good"),
    (1, 410, "ana", "deploying tomorrow morning then"),
]

# Said today, before anyone opens the page.
TODAY = [
    ("ana", "serverless-chat deploy --parameter BillingMode=PAY_PER_REQUEST"),
    ("ana", "change set printed, 31 resources to add"),
]

# Said while the pages are open.
LIVE = [
    (
        "ana",
        "CREATE_COMPLETE, the URL:\nwss://abc123.execute-api.eu-west-1.amazonaws.com/production",
    ),
    (
        "cy",
        "the runbook: https://docs.aws.amazon.com/apigateway/latest/developerguide/"
        "apigateway-websocket-api.html",
    ),
    ("bob", "Hi ana! Deployed stack works, wss:// answers in 40 ms from here."),
    (
        "cy",
        "release notes, in three lines:\n- messages last 7 days\n- one role per function\n"
        "- the same template locally",
    ),
    ("dee", "ship it, @bob"),
]


def seed(url: str) -> None:
    names = sorted({name for name, _ in TODAY})
    query = f"?room={ROOM}&format=json&name="
    with contextlib.ExitStack() as stack:
        sockets = {name: stack.enter_context(connect(url + query + name)) for name in names}
        for i, (name, text) in enumerate(TODAY):
            socket = sockets[name]
            socket.send(json.dumps({"action": "sendMessage", "message": text, "ref": str(i)}))
            while json.loads(socket.recv(10)).get("ref") != str(i):
                pass
    time.sleep(0.5)  # their $disconnects release the names the pages take next


def earlier_days(state_dir: Path) -> None:
    midnight = datetime.datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    today_ms = int(midnight.timestamp() * 1000)
    said = [
        (name, text, today_ms - days * DAY_MS + (9 * 60 + minutes) * 60_000)
        for days, minutes, name, text in EARLIER_DAYS
    ]
    keep_earlier(state_dir, ROOM, said)


def shoot(browser: object, page_url: str, output: Path) -> None:
    """The room as bob sees it at 1280x800 (``output``) and on a phone at 360x740."""
    pages = {}
    elsewhere = browser.new_context().new_page()  # type: ignore[attr-defined]
    elsewhere.goto(f"{page_url}?name=fay&room=ops")  # another room, for the rooms list
    expect(elsewhere.locator("#people li.me")).to_have_text("fay")
    for name in ("ana", "cy", "dee", "bob"):  # bob last: he sees no one join
        context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(f"{page_url}?name={name}&room={ROOM}")
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
    expect(bob.locator("#rooms li")).to_have_count(2)
    bob.fill("#message-input", "on my way")
    bob.wait_for_timeout(400)
    bob.screenshot(path=str(output))
    phone = browser.new_context(viewport={"width": 360, "height": 740})  # type: ignore[attr-defined]
    small = phone.new_page()
    small.goto(f"{page_url}?name=eve&room={ROOM}")
    expect(small.locator("#people li.me")).to_have_count(0)  # folded away at 360 px
    expect(small.locator("#messages li.direct")).to_have_count(0)
    expect(small.locator("#messages li .text a")).to_have_count(1)
    # A phone shows less: the list scrolled up to where today begins, its separator on top.
    small.locator("#messages li.day").last.evaluate("day => day.scrollIntoView()")
    small.wait_for_timeout(400)
    small.screenshot(path=str(output.with_name(f"{output.stem}-360{output.suffix}")))


def main(output: Path) -> None:
    with tempfile.TemporaryDirectory() as state:
        state_dir = Path(state) / "state"
        gateway = ServedGateway(
            state_dir, Path(state) / "serve.log", "--parameter", "MessageBurst=200"
        )
        gateway.start()
        try:
            seed(gateway.url)  # today's history, said by the people who then open it
            earlier_days(state_dir)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                shoot(browser, gateway.page_url, output)
                browser.close()
        finally:
            gateway.stop()
    print(output)
    print(output.with_name(f"{output.stem}-360{output.suffix}"))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png"))
