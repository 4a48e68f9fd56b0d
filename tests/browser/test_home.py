"""On a phone: the circle's home page lists what to do now, and a to-do changes once the
member acts on it (a referral moved to won becomes "thank the giver"; the meeting answer
is remembered). The page fits 360 px and passes axe-core without serious violations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE, assert_accessible, assert_fits_the_phone
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_the_home_page_to_dos_change_after_acting_on_them(live_server, new_page):
    make = live_server.make
    circle = make.circle(admin=make.user(name="Anna Admin", locale="en"), name="Kreis Köln-Süd")
    fritz = make.member(circle, make.user(name="Fritz Foto", locale="en"), profession="Fotograf")
    paula_user = make.user(name="Paula Pharma", email="paula@example.org", locale="en")
    paula = make.member(circle, paula_user, profession="Apotheke")
    make.slip(fritz, paula, datetime.now(UTC).date() - timedelta(days=1))

    page = new_page()
    page.set_viewport_size(PHONE)
    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill(paula_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server(f"/circles/{circle.id}"))
    todo = page.locator("#todo-list")
    expect(todo).to_contain_text("1 referral you received waits for your status")
    assert_fits_the_phone(page)
    assert_accessible(page)

    # The to-do leads to the referral; moving it to "won" turns it into a thank-you.
    todo.get_by_role("link", name="1 referral you received waits for your status").click()
    open_referrals = page.locator("#open-referrals")
    expect(open_referrals).to_contain_text("Fritz Foto")
    open_referrals.get_by_role("button", name="won").click()
    page.goto(live_server(f"/circles/{circle.id}"))
    expect(todo).not_to_contain_text("waits for your status")
    expect(todo).to_contain_text("You won 1 referral: thank the giver for the closed business")

    # The next meeting asks whether I come; the answer shows and the item is settled.
    meeting = todo.locator('[data-todo="meeting"]')
    expect(meeting).to_have_class("todo__item todo__item--due")
    meeting.get_by_role("button", name="I'm coming").click()
    expect(page.get_by_role("status")).to_contain_text("Noted: I'm coming.")
    expect(meeting.locator("[data-answer]")).to_have_text("I'm coming")
    expect(meeting).to_have_class("todo__item")
    expect(meeting.get_by_role("button", name="I'm coming")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert_fits_the_phone(page)


def _tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus (as a keyboard user
    moves through the page); fail when it never gets there."""
    for _press in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_referral_from_the_home_page_with_the_keyboard_alone(live_server, new_page):
    make = live_server.make
    circle = make.circle(admin=make.user(name="Anna Admin", locale="en"))
    make.member(circle, make.user(name="Fritz Foto", locale="en"), profession="Fotograf")
    paula_user = make.user(name="Paula Pharma", email="paula@example.org", locale="en")
    make.member(circle, paula_user, profession="Apotheke")

    page = new_page()
    page.set_viewport_size(PHONE)
    page.goto(live_server("/login"))
    _tab_to(page, "input[name=email]")
    page.keyboard.type(paula_user.email)
    _tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_text("You are logged in.")).to_be_visible()
    page.goto(live_server(f"/circles/{circle.id}"))
    _tab_to(page, "#give-link")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Quick slip")).to_be_visible()
    _tab_to(page, "#give-row-0 input[type=search]")
    page.keyboard.type("foto")  # the type-ahead picks Fritz
    _tab_to(page, "#give-row-0 textarea, #give-row-0 input[name$=note]")
    page.keyboard.type("Braucht Bewerbungsfotos")
    _tab_to(page, "#give-form button[type=submit]:not([name])")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("1 referral given.")
    page.goto(live_server(f"/circles/{circle.id}/week"))
    expect(page.locator("#given-list")).to_contain_text("Fritz Foto")
