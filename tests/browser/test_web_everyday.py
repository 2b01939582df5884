"""The web page as people use it every day (issue 26 §2): a composer for real messages,
days and runs, what happened while one looked away, the rooms list, and one compact header
at 360 px with an offline state that counts down and can be retried."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import expect

from tests.browser.earlier import DAY_MS, keep_earlier
from tests.browser.test_web_chat import join, say, texts
from tests.served import ServedGateway

# The page's Notification, recorded: what it asked and what it showed. Headless Chromium
# has no desktop to show one on, so the browser's own is replaced before the page loads.
FAKE_NOTIFICATION = """
window.__asked = 0;
window.__shown = [];
window.Notification = class {
  constructor(title, options) { window.__shown.push({ title, body: options.body }); }
  addEventListener() {}
  close() {}
  static permission = "default";
  static async requestPermission() {
    window.__asked += 1;
    window.Notification.permission = "granted";
    return "granted";
  }
};
"""


def look_away(page: Any, hidden: bool = True) -> None:
    """The tab hidden (another tab in front) or shown again, as the page is told of it."""
    page.evaluate(
        """hidden => {
            Object.defineProperty(document, "visibilityState", {
                configurable: true, get: () => hidden ? "hidden" : "visible" });
            Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


# -- the composer -----------------------------------------------------------------------------
def test_shift_enter_starts_a_new_line_and_the_room_sees_both_lines(open_page: Any) -> None:
    ana, bob = open_page("?name=ana"), open_page("?name=bob")
    ana.click("#message-input")
    ana.keyboard.type("first line")
    ana.keyboard.press("Shift+Enter")
    ana.keyboard.type("second line")
    expect(ana.locator("#message-input")).to_have_value("first line\nsecond line")
    ana.keyboard.press("Enter")
    expect(texts(bob)).to_have_text(["first line\nsecond line"])
    shown = bob.locator("#messages li:not(.system) .text")
    assert shown.inner_text() == "first line\nsecond line"  # shown on two lines
    expect(ana.locator("#message-input")).to_have_value("")


def test_a_paste_keeps_its_line_breaks(open_page: Any) -> None:
    ana = open_page("?name=ana", permissions=["clipboard-read", "clipboard-write"])
    ana.evaluate("text => navigator.clipboard.writeText(text)", "one\ntwo\nthree")
    ana.click("#message-input")
    ana.keyboard.press("ControlOrMeta+V")
    expect(ana.locator("#message-input")).to_have_value("one\ntwo\nthree")


def test_links_open_apart_and_only_http_or_https_becomes_one(open_page: Any) -> None:
    ana, bob = open_page("?name=ana"), open_page("?name=bob")
    text = (
        "docs: https://docs.aws.amazon.com/apigateway/?a=1&b=2. not javascript:alert(1) nor"
        ' ftp://x.example nor https://x.example/"><img src=x onerror=window.__xss=1>'
    )
    say(ana, text)
    expect(texts(bob)).to_have_text([text])  # the text as it was written
    links = bob.locator("#messages li .text a")
    expect(links).to_have_count(2)
    first = links.first
    expect(first).to_have_text("https://docs.aws.amazon.com/apigateway/?a=1&b=2")
    expect(first).to_have_attribute("href", "https://docs.aws.amazon.com/apigateway/?a=1&b=2")
    expect(first).to_have_attribute("target", "_blank")
    expect(first).to_have_attribute("rel", "noopener noreferrer")
    expect(links.last).to_have_text("https://x.example/")  # a quote ends a link: no markup
    assert bob.locator("#messages img").count() == 0
    assert bob.evaluate("window.__xss") is None


def test_a_link_with_a_user_name_before_its_host_is_no_link(open_page: Any) -> None:
    """``https://docs.aws.amazon.com@evil.example/`` goes to evil.example: what comes before
    ``@`` is a user name (RFC 3986 §7.6, "Semantic Attacks"), so the page leaves such text
    as text rather than a link whose first words name another site."""
    ana, bob = open_page("?name=ana"), open_page("?name=bob")
    text = (
        "sign in: https://docs.aws.amazon.com@evil.example/login or"
        " http://user:pw@evil.example/ but https://evil.example/ is plain"
    )
    say(ana, text)
    expect(texts(bob)).to_have_text([text])
    links = bob.locator("#messages li .text a")
    expect(links).to_have_count(1)
    expect(links.first).to_have_attribute("href", "https://evil.example/")


def test_mentions_of_ones_own_name_are_highlighted(open_page: Any) -> None:
    ana, bob = open_page("?name=ana"), open_page("?name=bob")
    say(ana, "hi @bob, and @bobby is someone else; email bob@example.com")
    expect(texts(bob)).to_have_count(1)
    expect(bob.locator("#messages li.mentioned .mention")).to_have_text(["@bob"])
    expect(ana.locator("#messages li.mine:not(.pending)")).to_have_count(1)
    assert ana.locator("#messages .mention").count() == 0  # not ana's name


# -- time: days, runs, widths ------------------------------------------------------------------
def test_days_are_set_apart_and_a_persons_run_sits_under_one_name(
    open_page: Any, gateway: ServedGateway
) -> None:
    ana = open_page("?name=ana&room=days")
    say(ana, "today's")
    expect(ana.locator("#messages li.mine:not(.pending)")).to_have_count(1)
    midnight = time.mktime((*time.localtime()[:3], 0, 0, 0, 0, 0, -1))
    today = int(midnight * 1000)
    keep_earlier(
        gateway.state_dir,
        "days",
        [
            ("cy", "last week's", today - 3 * DAY_MS + 10 * 3_600_000),
            ("bob", "yesterday's first", today - DAY_MS + 9 * 3_600_000),
            ("bob", "a minute later", today - DAY_MS + 9 * 3_600_000 + 60_000),
            ("bob", "an hour later", today - DAY_MS + 10 * 3_600_000),
        ],
    )
    ana.reload()
    ana.wait_for_selector("#status[data-state=connected]")
    expect(texts(ana)).to_have_count(5)
    days = ana.locator("#messages li.day")
    expect(days).to_have_count(3)
    expect(days.nth(1)).to_have_text("Yesterday")
    expect(days.nth(2)).to_have_text("Today")
    expect(days.nth(0)).not_to_have_text(re.compile("Today|Yesterday"))
    items = ana.locator("#messages li:not(.system)")
    expect(items.nth(1).locator(".from")).to_be_visible()  # bob's run begins with his name
    expect(items.nth(2)).to_have_class(re.compile(r"\bcont\b"))  # a minute later: his run
    expect(items.nth(2).locator(".from")).to_be_hidden()
    expect(items.nth(3)).not_to_have_class(re.compile(r"\bcont\b"))  # an hour: a new run
    expect(items.nth(4)).not_to_have_class(re.compile(r"\bcont\b"))  # another day
    say(ana, "and again")
    expect(items.nth(5)).to_have_class(re.compile(r"\bcont\b"))  # ana's own run, live


def test_cards_fit_their_text_and_a_short_room_sits_above_the_composer(open_page: Any) -> None:
    ana = open_page("?name=ana&room=short", viewport={"width": 1280, "height": 800})
    say(ana, "hi")
    card = ana.locator("#messages li.mine:not(.pending)")
    expect(card).to_have_count(1)
    box, feed = card.bounding_box(), ana.locator("#messages").bounding_box()
    composer = ana.locator("#composer").bounding_box()
    assert box
    assert feed
    assert composer
    assert box["width"] < feed["width"] / 4, (box, feed)  # as wide as "hi", not the pane
    gap = composer["y"] - (box["y"] + box["height"])
    assert 0 <= gap < 40, gap  # at the foot of the list, just above the composer


# -- while one looked away ---------------------------------------------------------------------
def test_a_hidden_tab_counts_what_arrived_in_its_title(open_page: Any) -> None:
    ana, bob = open_page("?name=ana"), open_page("?name=bob")
    expect(bob).to_have_title("serverless-chat")
    look_away(bob)
    say(ana, "one")
    say(ana, "two")
    expect(bob).to_have_title("(2) serverless-chat")
    look_away(bob, hidden=False)
    expect(bob).to_have_title("serverless-chat")
    say(ana, "three")  # seen as it arrives: not counted
    expect(texts(bob)).to_have_count(3)
    expect(bob).to_have_title("serverless-chat")


def test_notifications_come_for_mentions_and_direct_messages_once_allowed(
    open_page: Any, browser: Any, gateway: ServedGateway
) -> None:
    ana = open_page("?name=ana")
    context = browser.new_context()
    context.add_init_script(FAKE_NOTIFICATION)
    bob = context.new_page()
    try:
        bob.goto(gateway.page_url + "?name=bob")
        bob.wait_for_selector("#status[data-state=connected]")
        assert bob.evaluate("window.__asked") == 0  # never on load
        button = bob.get_by_role("button", name="Notify me")
        expect(button).to_be_visible()
        button.click()
        expect(button).to_be_hidden()
        assert bob.evaluate("window.__asked") == 1
        look_away(bob)
        say(ana, "hello everyone")
        say(ana, "@bob can you look?")
        ana.select_option("#to-select", "bob")
        say(ana, "psst")
        expect(texts(bob)).to_have_count(3)
        shown = bob.evaluate("window.__shown")
        assert shown == [
            {"title": "ana mentioned you in general", "body": "@bob can you look?"},
            {"title": "ana (a direct message)", "body": "psst"},
        ]
    finally:
        context.close()


# -- rooms -------------------------------------------------------------------------------------
def test_the_rooms_list_shows_who_is_where_and_switches_with_one_click(open_page: Any) -> None:
    open_page("?name=cy&room=dev")
    open_page("?name=dee&room=dev")
    bob = open_page("?name=bob&room=general")
    rooms = bob.locator("#rooms button")
    expect(rooms).to_have_text(["dev2", "general1"])  # the most crowded first
    expect(bob.locator("#rooms button[aria-current=true]")).to_have_text("general1")
    bob.get_by_role("button", name="dev, 2 people").click()
    expect(bob.locator("#room-name")).to_have_text("dev")
    expect(bob.locator("#people li")).to_have_text(["bob", "cy", "dee"])
    expect(bob.locator("#rooms button[aria-current=true]")).to_have_text("dev3")
    join(bob, "general")
    expect(bob.locator("#rooms button[aria-current=true]")).to_have_text("general1")


# -- at 360 x 740 ------------------------------------------------------------------------------
def test_at_360_one_compact_header(open_page: Any) -> None:
    page = open_page("?name=zoe", viewport={"width": 360, "height": 740})
    top = page.locator("#messages").bounding_box()
    assert top
    assert top["y"] <= 130, top  # it was 215: name, room, people, server, older rows
    rooms = page.locator("#rooms-toggle")
    expect(rooms).to_be_visible()
    rooms.click()
    expect(page.locator("#rooms button")).to_have_text(["general1"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_at_360_offline_the_state_is_whole_counts_down_and_retries_now(
    open_page: Any, gateway: ServedGateway
) -> None:
    page = open_page("?name=zoe", viewport={"width": 360, "height": 740})
    gateway.stop()
    status = page.locator("#status-text")
    # Past the first quick attempts, a wait of a few seconds: it counts down, each second.
    expect(status).to_have_text(re.compile(r"reconnecting in ([3-9]|\d\d) s"), timeout=60_000)
    left = int(re.findall(r"in (\d+) s", status.inner_text())[0])
    expect(status).to_contain_text(f"reconnecting in {left - 1} s")
    title = page.locator("h1").bounding_box()
    assert title
    assert title["height"] < 30, title  # "serverless-chat" on one line
    assert page.evaluate(
        "e => e.scrollWidth <= e.clientWidth && e.getBoundingClientRect().right <= 360",
        status.element_handle(),
    )
    say(page, "typed while offline")
    note = page.locator("#messages li.pending .note")
    expect(note).to_contain_text("Offline")
    expect(note).to_be_in_viewport(ratio=1)  # not cut off at the bottom edge
    retry = page.get_by_role("button", name="Retry now")
    expect(retry).to_be_visible()
    gateway.start()
    retry.click()
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    expect(retry).to_be_hidden()
    expect(page.locator("#messages li.pending")).to_have_count(0)
