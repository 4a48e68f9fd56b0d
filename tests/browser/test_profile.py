"""On a phone: a member fills in the profile with a photo and referral wishes; a fellow
member opens it from the circle's roster and sees the photo and the wishes. Both pages
fit 360 px and pass axe-core without serious violations."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.support import PHONE, assert_accessible, assert_fits_the_phone, log_in

pytestmark = pytest.mark.browser


def test_a_member_fills_in_the_profile_and_a_fellow_member_reads_it(live_server, new_page):
    make = live_server.make
    circle = make.circle(admin=make.user(name="Anna Admin", locale="en"), name="Kreis Köln-Süd")
    fritz = make.user(name="Fritz Foto", email="fritz@example.org", locale="en")
    make.member(circle, fritz, profession="Fotograf")
    paula = make.user(name="Paula Pharma", email="paula@example.org", locale="en")
    make.member(circle, paula, profession="Apotheke")
    photo = io.BytesIO()
    Image.new("RGB", (900, 900), (40, 90, 160)).save(photo, format="JPEG")

    page = new_page()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, fritz.email)
    page.goto(live_server("/account"))
    page.get_by_role("link", name="My profile: what I do and whom I want to meet").click()
    expect(page.get_by_role("heading", name="My profile")).to_be_visible()
    assert_fits_the_phone(page)
    assert_accessible(page)

    page.get_by_label("Choose a photo").set_input_files(
        {"name": "fritz.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}
    )
    page.get_by_role("button", name="Upload photo").click()
    expect(page.get_by_text("Your photo is saved.")).to_be_visible()
    expect(page.get_by_role("img", name="Your photo")).to_be_visible()

    page.get_by_label("Company").fill("Foto Fritz GmbH")
    page.get_by_label("What I do").fill("Portraits und Hochzeitsfotos in Köln.")
    page.get_by_label("Industries").fill("Hochzeitsplaner\nBrautmode")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    reader = new_page()
    reader.set_viewport_size(PHONE)
    log_in(reader, live_server, paula.email)
    reader.goto(live_server(f"/circles/{circle.id}"))
    reader.locator("#circle-menu").get_by_role("link", name="Members").click()
    reader.locator("#member-cards").get_by_role("link", name="Fritz Foto").click()
    expect(reader.get_by_role("heading", name="Fritz Foto", exact=True)).to_be_visible()
    expect(reader.get_by_text("Portraits und Hochzeitsfotos in Köln.")).to_be_visible()
    expect(reader.locator("#wishes")).to_contain_text("Hochzeitsplaner, Brautmode")
    photo_img = reader.get_by_role("img", name="Photo of Fritz Foto")
    expect(photo_img).to_be_visible()
    assert reader.evaluate("(img) => img.naturalWidth", photo_img.element_handle()) == 640
    # The QR code of the contact card is drawn (an SVG the browser can show as an image).
    qr = reader.get_by_role("img", name="QR code of the contact card of Fritz Foto")
    expect(qr).to_be_visible()
    # Drawn, not just laid out: wait until the image has loaded and has a width (a broken
    # image never gets one, and the wait fails).
    reader.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=qr.element_handle()
    )
    # The contact card downloads as a vCard with the name and the company.
    with reader.expect_download() as download:
        reader.get_by_role("link", name="Save contact (vCard)").click()
    assert download.value.suggested_filename == "Fritz-Foto.vcf"
    card = download.value.path().read_text(encoding="utf-8")
    assert card.startswith("BEGIN:VCARD") and "FN:Fritz Foto" in card
    assert "ORG:Foto Fritz GmbH" in card
    assert_fits_the_phone(reader)
    assert_accessible(reader)


def test_a_member_finds_a_colleague_by_a_wish_and_gives_a_referral_from_the_card(
    live_server, new_page
):
    make = live_server.make
    circle = make.circle(admin=make.user(name="Anna Admin", locale="en"), name="Kreis Köln-Süd")
    fritz = make.user(name="Fritz Foto", email="fritz@example.org", locale="en")
    make.member(circle, fritz, profession="Fotograf")
    paula = make.user(name="Paula Pharma", email="paula@example.org", locale="en")
    make.member(circle, paula, profession="Apotheke")
    make.member(circle, make.user(name="Stefan Steuer", locale="en"), profession="Steuerberater")

    page = new_page()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, fritz.email)
    page.goto(live_server("/account/profile"))
    page.get_by_label("Target groups").fill("Brautpaare\nHochzeitsgäste")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    reader = new_page()
    reader.set_viewport_size(PHONE)
    log_in(reader, live_server, paula.email)
    reader.goto(live_server(f"/circles/{circle.id}"))
    reader.locator("#circle-menu").get_by_role("link", name="Members").click()
    reader.get_by_label("Find a member").fill("Brautpaar")
    reader.get_by_role("button", name="Search").click()
    expect(reader.get_by_role("status")).to_have_text(re.compile("1 member found"))
    cards = reader.locator("#member-cards li")
    expect(cards).to_have_count(1)
    assert_fits_the_phone(reader)
    assert_accessible(reader)
    cards.get_by_role("link", name="Fritz Foto").click()
    reader.get_by_role("link", name="Give Fritz Foto a referral").click()
    row = reader.locator("#give-row-0")
    expect(row.get_by_label("Receiver")).to_have_value(re.compile(r"^\d+$"))
    row.get_by_text("Contact, date, sphere").click()
    row.get_by_label("Contact name").fill("Brautpaar Meier")
    reader.locator("#give-form").get_by_role("button", name="Give referrals").click()
    expect(reader.get_by_role("status")).to_contain_text("1 referral given.")
    reader.get_by_role("link", name="My week").click()
    expect(reader.locator("#given-list")).to_contain_text("Fritz Foto")
