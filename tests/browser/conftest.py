"""Playwright driving Debian's Chromium against a gateway subprocess.

Skipped, with the reason, when Chromium or Playwright is missing (`make test` installs
Chromium with apt when it can)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.served import ServedGateway

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The flags a closed network needs: without them Chromium keeps calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

# What a page is expected to show, it may show late on a busy machine: every expect() waits
# up to 30 s for it (Playwright's default is 5 s), and a page action as long.
playwright_api.expect.set_options(timeout=30_000)
ACTION_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope: Playwright's sync API keeps an event loop running in this thread while
    # it is open, which the asyncio tests of other modules could not share.
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[ServedGateway]:
    # A burst large enough for a test that types 55 messages at machine speed.
    served = ServedGateway(
        tmp_path / "state", tmp_path / "serve.log", "--parameter", "MessageBurst=200"
    )
    served.start()
    yield served
    served.stop()


@pytest.fixture
def open_page(browser: Any, gateway: ServedGateway) -> Iterator[Any]:
    """Open the chat in a fresh browser context (a separate person); closes them all after."""
    contexts: list[Any] = []

    def open_(query: str = "", state: str = "connected", **context_options: Any) -> Any:
        """The page, once its status is ``state`` (``refused``: a name it must change)."""
        context = browser.new_context(**context_options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(gateway.page_url + query)
        page.wait_for_selector(f"#status[data-state={state}]")
        return page

    yield open_
    for context in contexts:
        context.close()
