"""The web chat in a real browser: people chat, rooms isolate, history, presence, safety,
reconnects, keyboard and small screens."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

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
