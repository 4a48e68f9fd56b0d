"""Contact cards (issue 14, item 2): a fellow member's vCard with photo, the whole
circle's cards in one file, and a QR code of the card for the meeting table; members
of the circle only."""

from __future__ import annotations

import io

import pytest
import vobject
from PIL import Image

from tests.pages import submit

EDIT = "/account/profile"


@pytest.fixture
def cards(make, auth, client):
    """Fritz with a full profile and a photo, Paula with none; Otto in another circle."""
    circle = make.circle(name="Kreis Köln-Süd")
    fritz = make.member(
        circle, make.user(name="Fritz Föto", email="login@fritz.example"), profession="Fotograf"
    )
    paula = make.member(circle, make.user(name="Paula Pharma"), profession="Apotheke")
    otto = make.member(make.circle(), make.user(name="Otto Other"), profession="Optiker")
    auth.login(fritz.user)
    submit(
        client,
        EDIT,
        EDIT,
        {
            "company": "Foto Fritz GmbH",
            "description": "Hochzeiten und Portraits.",
            "phone": "0221 123456",
            "contact_email": "studio@fritz.example",
            "website": "https://fritz.example",
            "region": "Köln",
        },
    )
    photo = io.BytesIO()
    Image.new("RGB", (300, 300), (10, 20, 200)).save(photo, format="JPEG")
    photo.seek(0)
    uploaded = submit(
        client, EDIT, "/account/profile/pictures/photo", {"photo-picture": (photo, "f.jpg")}
    )
    assert uploaded.status_code == 302
    auth.logout()
    return {"circle": circle, "fritz": fritz, "paula": paula, "otto": otto}


def url(circle, member, what: str) -> str:
    return f"/circles/{circle.id}/members/{member.id}/{what}"


def test_a_fellow_member_saves_the_contact_card_with_photo(client, auth, cards):
    auth.login(cards["paula"].user)
    response = client.get(url(cards["circle"], cards["fritz"], "vcard"))
    assert response.status_code == 200 and response.mimetype == "text/vcard"
    assert 'filename="Fritz-Foto.vcf"' in response.headers["Content-Disposition"]
    card = vobject.readOne(response.get_data(as_text=True))
    assert card.fn.value == "Fritz Föto"
    assert card.org.value == ["Foto Fritz GmbH"] and card.title.value == "Fotograf"
    assert card.email.value == "studio@fritz.example"  # the contact address, not the login
    assert "login@fritz.example" not in response.get_data(as_text=True)
    assert card.tel.value == "0221 123456" and card.url.value == "https://fritz.example"
    assert card.adr.value.city == "Köln" and card.note.value == "Hochzeiten und Portraits."
    photo = Image.open(io.BytesIO(card.photo.value))
    assert photo.format == "JPEG" and max(photo.size) == 160


def test_the_whole_circle_in_one_file_without_photos(client, auth, cards):
    auth.login(cards["paula"].user)
    response = client.get(f"/circles/{cards['circle'].id}/members.vcf")
    assert response.status_code == 200
    parsed = list(vobject.readComponents(response.get_data(as_text=True)))
    assert [card.fn.value for card in parsed] == ["Admin", "Fritz Föto", "Paula Pharma"]
    assert all("photo" not in card.contents for card in parsed)
    assert "Otto Other" not in response.get_data(as_text=True)


def test_the_qr_code_holds_the_card_without_photo_and_note(client, auth, cards, make):
    auth.login(cards["paula"].user)
    response = client.get(url(cards["circle"], cards["fritz"], "qr.svg"))
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "<title>Fritz Föto</title>" in svg
    # A document of its own: a browser draws an <img> of it only with the SVG namespace.
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
    auth.logout()
    # Another description does not change the code: the note stays out (and the photo).
    auth.login(cards["fritz"].user)
    submit(
        client,
        EDIT,
        EDIT,
        {
            "company": "Foto Fritz GmbH",
            "description": "Ganz anders " * 20,
            "phone": "0221 123456",
            "contact_email": "studio@fritz.example",
            "website": "https://fritz.example",
            "region": "Köln",
        },
    )
    assert client.get(url(cards["circle"], cards["fritz"], "qr.svg")).get_data(as_text=True) == svg
    # A phone number does change it.
    submit(client, EDIT, EDIT, {"phone": "0221 999"})
    assert client.get(url(cards["circle"], cards["fritz"], "qr.svg")).get_data(as_text=True) != svg


def test_cards_of_other_circles_are_404(client, auth, cards):
    auth.login(cards["otto"].user)
    for what in ("vcard", "qr.svg", "profile"):
        assert client.get(url(cards["circle"], cards["fritz"], what)).status_code == 404
    assert client.get(f"/circles/{cards['circle'].id}/members.vcf").status_code == 404
