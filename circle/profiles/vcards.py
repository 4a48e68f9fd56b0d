"""Business cards of a circle's members: vCard 3.0 (``vobject``) and a QR code (``segno``).

A card holds what the member shows the circle: name, profession as title, company,
contact e-mail (never the login address unless given as contact), phone, website, town
or region and "what I do" as a note; the single card also carries the small photo. The
QR code encodes the card without photo and note, so that it stays small enough to scan
from a phone held over the meeting table.
"""

from __future__ import annotations

import io
import re
import unicodedata

import segno
import vobject

from circle.models import Membership
from circle.profiles.services import ProfileView, picture


def card(member: Membership, view: ProfileView, *, photo: bool = True, note: bool = True):
    """One member's vCard (a ``vobject`` component)."""
    name = member.user.name
    vcard = vobject.vCard()
    vcard.add("fn").value = name
    given, _sep, family = name.rpartition(" ")
    vcard.add("n").value = vobject.vcard.Name(family=family or name, given=given)
    if view.text("company"):
        vcard.add("org").value = [view.text("company")]
    if member.profession is not None:
        vcard.add("title").value = member.profession.name
    if view.text("contact_email"):
        email = vcard.add("email")
        email.value = view.text("contact_email")
        email.type_param = "INTERNET"
    if view.text("phone"):
        phone = vcard.add("tel")
        phone.value = view.text("phone")
        phone.type_param = "WORK"
    if view.text("website"):
        vcard.add("url").value = view.text("website")
    if view.text("region"):
        address = vcard.add("adr")
        address.value = vobject.vcard.Address(city=view.text("region"))
        address.type_param = "WORK"
    if note and view.text("description"):
        vcard.add("note").value = view.text("description")
    if photo and view.pictures.get("photo"):
        stored = picture(member.user_id, "photo", "small")
        if stored is not None:
            image = vcard.add("photo")
            image.value = stored.data
            image.encoding_param = "b"
            image.type_param = "JPEG"
    return vcard


def serialize(cards) -> str:
    """Cards as one ``text/vcard`` body (CRLF line ends, as the format asks)."""
    return "".join(vcard.serialize() for vcard in cards)


def qr_svg(member: Membership, view: ProfileView) -> str:
    """An SVG QR code of the member's card (no photo, no note), a document of its own: with
    the SVG namespace, without which a browser shows no ``<img>`` of it."""
    data = card(member, view, photo=False, note=False).serialize()
    out = io.BytesIO()
    segno.make(data, error="m", micro=False).save(
        out, kind="svg", scale=4, border=2, title=member.user.name, xmldecl=False
    )
    return out.getvalue().decode("utf-8")


def filename(name: str) -> str:
    """A safe download file name for ``name`` (letters, digits, dashes)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-") or "circle"
    return f"{stem[:60]}.vcf"
