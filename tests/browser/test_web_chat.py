"""The web chat in a real browser: people chat, rooms isolate, history, presence, safety,
reconnects, keyboard and small screens."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.served import ServedGateway

XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'


def set_name(page: Any, name: str) -> None:
    page.fill("#name-input", name)
    page.press("#name-input", "Enter")
    expect(page.locator("#people li.me")).to_have_text(name)


def join(page: Any, room: str) -> None:
    page.fill("#room-input", room)
    page.press("#room-input", "Enter")
    expect(page.locator("#room-name")).to_have_text(room)


def say(page: Any, text: str) -> None:
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")  # Enter sends: the keyboard alone is enough


def texts(page: Any) -> Any:
    return page.locator("#messages li:not(.system) .text")


def test_two_people_chat_while_another_room_hears_nothing(open_page: Any) -> None:
    ana, bob, cy = open_page(), open_page(), open_page()
    set_name(ana, "ana")
    set_name(bob, "bob")
    set_name(cy, "cy")
    join(cy, "elsewhere")
    say(ana, "Hello AWS")
    expect(texts(bob)).to_have_text(["Hello AWS"])
    expect(texts(ana)).to_have_text(["Hello AWS"])
    expect(ana.locator("#messages li.mine:not(.pending)")).to_have_count(1)
    say(bob, "hi ana")
    expect(texts(ana)).to_have_text(["Hello AWS", "hi ana"])
    cy.wait_for_timeout(300)
    expect(texts(cy)).to_have_count(0)


def test_own_messages_are_edited_and_deleted_and_others_see_it_live(open_page: Any) -> None:
    ana, bob = open_page(), open_page()
    set_name(ana, "ana")
    set_name(bob, "bob")
    say(ana, "helo")
    expect(texts(bob)).to_have_text(["helo"])
    mine = ana.locator("#messages li.mine:not(.pending)")
    expect(mine).to_have_count(1)
    expect(bob.locator("#messages li button[data-act]")).to_have_count(0)  # not bob's
    mine.get_by_role("button", name="Edit this message").click()
    expect(ana.locator("#message-input")).to_have_value("helo")
    ana.fill("#message-input", "hello")
    ana.press("#message-input", "Enter")
    expect(texts(bob)).to_have_text(["hello"])
    expect(bob.locator("#messages li .edited")).to_have_text(["(edited)"])
    expect(ana.locator("#message-input")).to_have_value("")  # out of editing once answered
    ana.locator("#messages li.mine").get_by_role("button", name="Delete this message").click()
    expect(texts(bob)).to_have_text(["message deleted"])
    expect(bob.locator("#messages li.deleted")).to_have_count(1)
    bob.reload()
    bob.wait_for_selector("#status[data-state=connected]")
    expect(bob.locator("#messages li.deleted .text")).to_have_text(["message deleted"])


def test_history_appears_after_a_reload(open_page: Any) -> None:
    ana = open_page()
    set_name(ana, "ana")
    for i in range(3):
        say(ana, f"kept {i}")
    expect(ana.locator("#messages li.mine:not(.pending)")).to_have_count(3)
    ana.reload()
    expect(texts(ana)).to_have_text(["kept 0", "kept 1", "kept 2"])
    expect(ana.locator("#name-input")).to_have_value("ana")  # the name was restored


def test_older_messages_load_on_demand(open_page: Any) -> None:
    ana = open_page()
    for i in range(55):
        ana.evaluate("t => document.getElementById('message-input').value = t", f"message {i:02d}")
        ana.press("#message-input", "Enter")
    expect(ana.locator("#messages li:not(.pending) .text")).to_have_count(55)
    ana.reload()
    expect(texts(ana)).to_have_count(50)
    ana.click("#older")
    expect(texts(ana)).to_have_count(55)
    expect(texts(ana).first).to_have_text("message 00")
    expect(ana.locator("#older")).to_be_hidden()


def test_presence_list_follows_people(open_page: Any) -> None:
    ana = open_page()
    set_name(ana, "ana")
    bob = open_page()
    set_name(bob, "bob")
    expect(ana.locator("#people li")).to_have_text(["ana", "bob"])
    set_name(bob, "bobby")
    expect(ana.locator("#people li")).to_have_text(["ana", "bobby"])
    bob.context.close()
    expect(ana.locator("#people li")).to_have_text(["ana"])
    expect(ana.locator("#messages li.system").last).to_have_text("bobby left")


def test_direct_messages_reach_only_their_target(open_page: Any) -> None:
    ana, bob, cy = open_page(), open_page(), open_page()
    set_name(ana, "ana")
    set_name(bob, "bob")
    set_name(cy, "cy")
    expect(ana.locator("#to-select option")).to_have_count(3)
    ana.select_option("#to-select", "bob")
    say(ana, "just for bob")
    expect(bob.locator("#messages li.direct .text")).to_have_text(["just for bob"])
    cy.wait_for_timeout(300)
    expect(texts(cy)).to_have_count(0)


def test_a_direct_message_survives_a_reload_in_the_flow_and_its_conversation(
    open_page: Any,
) -> None:
    """Issue 26: the page keeps the resume token the chat hands out (localStorage) and
    presents it after a reload, which shows the direct message again in the room's flow
    and under its person in Direct messages; whoever takes the name after its owner left
    sees none of it (docs/protocol.md, resume and directHistory)."""
    ana, bob = open_page(), open_page()
    set_name(ana, "ana")
    set_name(bob, "bob")
    expect(ana.locator("#to-select option")).to_have_count(2)
    ana.select_option("#to-select", "bob")
    say(ana, "just for bob")
    expect(bob.locator("#messages li.direct .text")).to_have_text(["just for bob"])
    say(bob, "hello room")
    bob.reload()
    bob.wait_for_selector("#status[data-state=connected]")
    expect(bob.locator("#messages li:not(.system) .text")).to_have_text(
        ["just for bob", "hello room"]
    )
    expect(bob.locator("#messages li.direct .text")).to_have_text(["just for bob"])
    bob.locator("#conversations button", has_text="ana").click()
    expect(bob.locator("#dm-title")).to_have_text("Direct messages with ana")
    expect(bob.locator("#dm-messages li .text")).to_have_text(["just for bob"])
    expect(bob.locator("#messages")).to_be_hidden()
    expect(bob.locator("#to-select")).to_have_value("ana")  # a reply goes to ana
    bob.fill("#message-input", "thanks")
    bob.press("#message-input", "Enter")
    expect(bob.locator("#dm-messages li .text")).to_have_text(["just for bob", "thanks"])
    expect(ana.locator("#messages li.direct .text")).to_have_text(["just for bob", "thanks"])
    expect(bob.locator("#to-select")).to_have_value("ana")
    bob.click("#dm-close")
    expect(bob.locator("#to-select")).to_have_value("")
    expect(bob.locator("#messages")).to_be_visible()
    bob.context.close()  # bob leaves; someone else takes the name
    thief = open_page()
    set_name(thief, "bob")
    expect(thief.locator("#conversations li.none")).to_have_text("None yet")
    thief.wait_for_timeout(500)
    expect(thief.locator("#messages li.direct")).to_have_count(0)
    expect(thief.locator("#conversations button")).to_have_count(0)


def test_a_kept_resume_token_the_chat_refuses_is_replaced(open_page: Any) -> None:
    """A token of the wrong shape (INVALID_TOKEN, docs/protocol.md) is dropped and a new
    one asked for, without a word in the composer."""
    page = open_page()
    keys = "Object.keys(localStorage).filter(k => k.startsWith('chat.resume '))"
    _until(page, f"{keys}.length === 1")
    page.evaluate(f"localStorage.setItem({keys}[0], 'not a token')")
    page.reload()
    page.wait_for_selector("#status[data-state=connected]")
    _until(page, f"(localStorage.getItem({keys}[0]) || '').length === 43")
    expect(page.locator("#composer-error")).to_be_hidden()


def _until(page: Any, expression: str) -> None:
    """Ask the page until ``expression`` holds. (Playwright's wait_for_function polls with
    code built from a string, which the page's Content-Security-Policy, without
    'unsafe-eval', refuses once the first look finds it false.)"""
    deadline = time.monotonic() + ACTION_TIMEOUT_MS / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"{expression} never held"
        page.wait_for_timeout(50)


def test_markup_in_messages_and_names_is_shown_as_text(open_page: Any) -> None:
    ana, bob = open_page(), open_page()
    dialogs: list[str] = []
    bob.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    say(ana, XSS)
    expect(texts(bob)).to_have_text([XSS])
    assert bob.evaluate("window.__xss") is None
    assert bob.locator("#messages img, #messages script").count() == 0
    assert dialogs == []


def test_errors_show_next_to_what_caused_them(open_page: Any) -> None:
    ana = open_page()
    ana.fill("#name-input", "<b>")
    ana.press("#name-input", "Enter")
    expect(ana.locator("#name-error")).to_contain_text("A name is 1-32 characters")
    join_error = ana.locator("#room-error")
    ana.fill("#room-input", "Not A Room")
    ana.press("#room-input", "Enter")
    expect(join_error).to_contain_text("A room is 1-64 characters")
    # A direct message to someone who is not there fails on that very message.
    ana.evaluate(
        "() => { const o = document.createElement('option'); o.value = 'nobody';"
        " o.textContent = 'nobody'; document.getElementById('to-select').append(o); }"
    )
    ana.select_option("#to-select", "nobody")
    say(ana, "anyone there?")
    failed = ana.locator("#messages li.failed")
    expect(failed.locator(".text")).to_have_text("anyone there?")
    expect(failed.locator(".note")).to_contain_text('Nobody is called "nobody"')


def test_the_page_reconnects_after_a_gateway_restart_and_sends_what_was_typed(
    open_page: Any, gateway: ServedGateway
) -> None:
    ana = open_page()
    set_name(ana, "ana")
    join(ana, "dev")
    say(ana, "before the restart")
    expect(ana.locator("#messages li.mine:not(.pending)")).to_have_count(1)
    gateway.stop()
    expect(ana.locator("#status")).to_have_attribute("data-state", "offline")
    say(ana, "typed while offline")
    expect(ana.locator("#messages li.pending .note")).to_contain_text("Offline")
    gateway.start()
    expect(ana.locator("#status")).to_have_attribute("data-state", "connected", timeout=20_000)
    expect(ana.locator("#room-name")).to_have_text("dev")  # room and name restored
    expect(texts(ana)).to_have_text(["before the restart", "typed while offline"])
    expect(ana.locator("#messages li.pending")).to_have_count(0)
    bob = open_page("?")
    join(bob, "dev")
    expect(texts(bob)).to_have_text(["before the restart", "typed while offline"])


def test_name_and_room_from_the_page_url(open_page: Any) -> None:
    page = open_page("?name=zoe&room=lobby")
    expect(page.locator("#people li.me")).to_have_text("zoe")
    expect(page.locator("#room-name")).to_have_text("lobby")


def test_usable_at_360_pixels_wide(open_page: Any) -> None:
    page = open_page(viewport={"width": 360, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for selector in ("#message-input", "#name-input", "#room-input"):
        expect(page.locator(selector)).to_be_visible()
    say(page, "small screen")
    expect(texts(page)).to_have_text(["small screen"])


def test_every_control_has_a_label(open_page: Any) -> None:
    page = open_page()
    unlabelled = page.evaluate(
        "() => [...document.querySelectorAll('input, select')]"
        ".filter(e => !e.labels || e.labels.length === 0).map(e => e.id)"
    )
    assert unlabelled == []


# -- a room with history, as people find one ---------------------------------------------


def seed(gateway: ServedGateway, room: str, count: int) -> list[str]:
    """``count`` messages said in ``room`` by three people, before anyone opens the page."""
    import json

    from websockets.sync.client import connect

    texts = [f"message {i:02d}: " + "some words " * (i % 5) for i in range(1, count + 1)]
    names = ["ana-seed", "bob-seed", "cy-seed"]
    query = f"?room={room}&format=json&name="
    with (
        connect(gateway.url + query + names[0]) as a,
        connect(gateway.url + query + names[1]) as b,
        connect(gateway.url + query + names[2]) as c,
    ):
        for i, text in enumerate(texts):
            sender = (a, b, c)[i % 3]
            sender.send(json.dumps({"action": "sendMessage", "message": text, "ref": str(i)}))
            while json.loads(sender.recv(10)).get("ref") != str(i):
                pass
    return [t.strip() for t in texts]


def in_view(page: Any, selector: str) -> None:
    expect(page.locator(selector)).to_be_in_viewport(ratio=1)


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 360, "height": 740}], ids=str
)
def test_a_long_room_opens_on_one_screen_at_its_newest_message(
    open_page: Any, gateway: ServedGateway, viewport: dict[str, int]
) -> None:
    said = seed(gateway, "lobby", 65)
    page = open_page("?room=lobby&name=zoe", viewport=viewport)
    expect(texts(page)).to_have_count(50)
    newest = page.locator("#messages li:not(.system)").last
    expect(newest.locator(".text")).to_have_text(said[-1])
    expect(newest).to_be_in_viewport(ratio=1)
    for selector in ("#message-input", "#status", "#composer button[type=submit]"):
        in_view(page, selector)
    # The page itself never scrolls: only the message list does.
    sizes = page.evaluate("[document.scrollingElement.scrollHeight, window.innerHeight]")
    assert sizes[0] <= sizes[1]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.mouse.move(viewport["width"] - 20, viewport["height"] // 2)
    page.mouse.wheel(0, -2500)
    expect(newest).not_to_be_in_viewport()
    for selector in ("#message-input", "#status"):
        in_view(page, selector)
    # Back at the bottom, what arrives stays in view.
    page.mouse.wheel(0, 100_000)
    expect(newest).to_be_in_viewport(ratio=1)
    say(page, "the newest now")
    last = page.locator("#messages li:not(.system)").last
    expect(last.locator(".text")).to_have_text("the newest now")
    expect(last).to_be_in_viewport(ratio=1)


def test_new_messages_while_scrolled_up_wait_behind_a_marker(
    open_page: Any, gateway: ServedGateway
) -> None:
    seed(gateway, "lobby", 65)
    zoe = open_page("?room=lobby&name=zoe")
    ana = open_page("?room=lobby&name=ana")
    expect(zoe.locator("#people li")).to_have_count(2)
    zoe.locator("#messages").evaluate("list => { list.scrollTop = 0; }")
    zoe.wait_for_timeout(100)
    say(ana, "while you read")
    say(ana, "and another")
    jump = zoe.locator("#jump")
    expect(jump).to_have_text("2 new messages ↓")
    newest = zoe.locator("#messages li:not(.system)").last
    expect(newest.locator(".text")).to_have_text("and another")
    expect(newest).not_to_be_in_viewport()
    jump.click()
    expect(newest).to_be_in_viewport(ratio=1)
    expect(jump).to_be_hidden()
    expect(zoe.locator("#message-input")).to_be_focused()


def test_older_messages_keep_the_reader_where_they_were(
    open_page: Any, gateway: ServedGateway
) -> None:
    said = seed(gateway, "lobby", 65)
    page = open_page("?room=lobby")
    expect(texts(page)).to_have_count(50)
    shown_id = page.locator("#messages li:not(.system)").first.get_attribute("data-id")
    first_shown = page.locator(f'#messages li[data-id="{shown_id}"]')
    page.locator("#messages").evaluate("list => { list.scrollTop = 0; }")
    page.click("#older")
    expect(texts(page)).to_have_count(65)
    expect(texts(page).first).to_have_text(said[0])
    expect(first_shown).to_be_in_viewport()  # the page added above it, it did not jump


def test_at_360_pixels_the_people_list_opens_with_its_toggle(open_page: Any) -> None:
    ana = open_page("?name=ana")
    page = open_page("?name=zoe", viewport={"width": 360, "height": 740})
    toggle = page.locator("#people-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_contain_text("2 people")
    expect(page.locator("#people")).to_be_hidden()
    toggle.click()
    expect(page.locator("#people li")).to_have_text(["ana", "zoe"])
    expect(page.locator("#people")).to_be_visible()
    toggle.click()
    expect(page.locator("#people")).to_be_hidden()
    assert ana.locator("#people").is_visible()  # wide: open from the start


def test_a_taken_name_stops_the_page_and_no_one_is_announced_before_it_has_one(
    open_page: Any, gateway: ServedGateway
) -> None:
    """The handshake with a taken name is refused (409), which a browser does not show: the
    page's probe connects to a room of its own, so the room hears of nobody until the
    person has picked a free name; the refusal covers the page, with its own field."""
    import json

    from websockets.sync.client import connect

    with connect(gateway.url + "?name=ana&format=json") as ana:
        opened: list[str] = []
        page = open_page("?name=ana", state="refused")
        page.on("websocket", lambda socket: opened.append(socket.url))
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Choose another name to join general")
        expect(dialog).to_contain_text('"ana" is taken in general.')
        expect(page.locator("#name-taken-input")).to_be_focused()
        expect(page.locator("#name-taken-input")).to_have_value("ana")  # to mend, not retype
        expect(page.locator("#status")).to_have_attribute("data-state", "refused")
        assert page.locator(".layout").evaluate("node => node.inert")
        page.wait_for_timeout(3000)
        assert opened == []  # no retry loop
        with pytest.raises(TimeoutError):
            ana.recv(timeout=0.5)  # nobody joined: no phantom guest
        page.fill("#name-taken-input", "")
        page.press("#name-taken-input", "Enter")
        expect(page.locator("#name-taken-error")).to_have_text("Choose a name first.")
        page.fill("#name-taken-input", "ana2")
        page.press("#name-taken-input", "Enter")
        expect(dialog).to_be_hidden()
        expect(page.locator("#people li.me")).to_have_text("ana2")
        expect(page.locator("#status")).to_have_attribute("data-state", "connected")
        joined = json.loads(ana.recv(timeout=30))
        assert joined == {"type": "presence", "event": "joined", "room": "general", "name": "ana2"}
        say(page, "hello from ana2")
        message = json.loads(ana.recv(timeout=30))
        assert (message["from"], message["text"]) == ("ana2", "hello from ana2")


def test_a_name_the_chat_refuses_anywhere_stops_the_page_too(
    open_page: Any, gateway: ServedGateway
) -> None:
    page = open_page("?name=" + "x" * 40, state="refused")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("letters")  # the chat's INVALID_NAME reason
    page.fill("#name-taken-input", "zed")
    page.press("#name-taken-input", "Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#people li.me")).to_have_text("zed")


def test_an_idle_page_pings_before_api_gateways_idle_timeout(open_page: Any) -> None:
    """API Gateway closes a connection idle for 10 minutes: after 5 without a frame sent,
    the page sends {"action": "ping"}, and the pong shows nothing."""
    page = open_page("?name=ida")
    expect(page.locator("#people li.me")).to_have_text("ida")
    page.clock.install()
    sent: list[str] = []
    page.on(
        "websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(payload))
    )
    page.reload()
    expect(page.locator("#people li.me")).to_have_text("ida")
    page.wait_for_timeout(500)
    shown = page.locator("#messages li").count()
    assert '{"action":"ping"}' not in sent
    page.clock.run_for("04:50")
    assert '{"action":"ping"}' not in sent
    page.clock.run_for("00:15")
    page.wait_for_timeout(1000)
    assert sent.count('{"action":"ping"}') == 1
    assert page.locator("#messages li").count() == shown  # the pong is not shown
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")


def test_a_refused_room_in_the_address_says_why_by_its_field(open_page: Any) -> None:
    page = open_page("?room=Not%20A%20Room&name=zoe")
    expect(page.locator("#room-error")).to_contain_text("A room is 1-64 characters")
    expect(page.locator("#room-input")).to_have_value("Not A Room")
    expect(page.locator("#room-name")).to_have_text("general")  # where the page is instead
    expect(page.locator("#people li.me")).to_have_text("zoe")


def test_the_address_bar_follows_the_room(open_page: Any) -> None:
    page = open_page("?name=zoe")
    join(page, "dev")
    page.wait_for_url("**/?name=zoe&room=dev")
    page.reload()
    expect(page.locator("#room-name")).to_have_text("dev")
    expect(page.locator("#people li.me")).to_have_text("zoe")


def test_a_direct_message_does_not_leave_the_next_one_private(open_page: Any) -> None:
    ana, bob = open_page("?name=ana"), open_page("?name=bob")
    expect(ana.locator("#to-select option")).to_have_count(2)
    ana.select_option("#to-select", "bob")
    say(ana, "just for bob")
    expect(bob.locator("#messages li.direct .text")).to_have_text(["just for bob"])
    expect(ana.locator("#to-select")).to_have_value("")
    say(ana, "for everyone")
    expect(texts(bob)).to_have_text(["just for bob", "for everyone"])
    expect(bob.locator("#messages li.direct")).to_have_count(1)


def test_offline_the_people_list_is_not_the_old_one(open_page: Any, gateway: ServedGateway) -> None:
    zoe, ana = open_page("?name=zoe"), open_page("?name=ana")
    expect(zoe.locator("#people li")).to_have_text(["ana", "zoe"])
    ana.context.close()
    gateway.stop()
    expect(zoe.locator("#status")).to_have_attribute("data-state", "offline")
    expect(zoe.locator("#people li")).to_have_text(["Nobody shown while offline"])
    expect(zoe.locator("#to-select option")).to_have_count(1)
    gateway.start()
    expect(zoe.locator("#people li")).to_have_text(["zoe"], timeout=20_000)


def test_the_server_field_shows_a_whole_url(open_page: Any) -> None:
    page = open_page()
    page.click("details.server summary")
    url = "wss://abcdef1234.execute-api.eu-west-1.amazonaws.com/production"
    page.fill("#server-input", url)
    box = page.locator("#server-input")
    fits = box.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")
    assert fits, "the URL should be readable whole"


def test_a_link_cannot_point_the_served_page_at_another_server(
    browser: Any, gateway: ServedGateway
) -> None:
    """(issue 25) The page a gateway serves talks to that gateway: a link's ?ws= naming
    another server connects nowhere else, says which server it names, and only the person's
    Connect goes there."""
    elsewhere = "ws://127.0.0.1:9/production"
    context = browser.new_context()
    try:
        page = context.new_page()
        sockets: list[str] = []
        page.on("websocket", lambda socket: sockets.append(socket.url))
        page.goto(f"{gateway.page_url}?ws={elsewhere}&token=t0ken&name=ana")
        page.wait_for_selector("#status[data-state=connected]")
        expect(page.locator("#people li.me")).to_have_text("ana")
        expect(page.locator("#server-note")).to_contain_text("another server, 127.0.0.1:9")
        expect(page.locator("#server-input")).to_have_value(elsewhere)
        assert sockets
        assert not [url for url in sockets if url.startswith(elsewhere)]
        with page.expect_websocket(lambda socket: socket.url.startswith(elsewhere)):
            page.click("#server-form button[type=submit]")  # the person says so
        expect(page.locator("#server-note")).to_be_hidden()
    finally:
        context.close()
