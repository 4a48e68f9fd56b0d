"""Member profiles (issue 14, item 1): edited by the member through the real form, read
by fellow members of a shared circle only, saved all or nothing; pictures checked,
re-encoded without metadata, served with caching headers and only to those who may see
the profile; part of the export, erased with the account; rules held by the database."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DataError, IntegrityError

from circle.extensions import db
from circle.models import Profile, ProfileImage, ReferralWish
from circle.privacy.export import export_data
from circle.profiles.services import profile_view
from tests.pages import element, submit, text

EDIT = "/account/profile"

FILLED = {
    "company": "Foto Fritz GmbH",
    "description": "Portraits und Hochzeitsfotos in Köln.",
    "ideal_referral": "Ein Brautpaar, das noch keinen Fotografen hat.",
    "website": "fotofritz.example",
    "phone": "0221 123456",
    "contact_email": "kontakt@fotofritz.example",
    "region": "Köln",
    "keywords": "Hochzeit, Portrait, Bewerbungsfoto",
    "goals": "Zehn Hochzeiten im Jahr",
    "wishes_industry": "Hochzeitsplaner\nBrautmode\nhochzeitsplaner",
    "wishes_press": "Kölner Stadt-Anzeiger",
}


@pytest.fixture
def people(make):
    """A circle with Fritz (photographer) and Paula (pharmacist); Otto sits in another."""
    circle = make.circle(name="Kreis Köln-Süd")
    fritz = make.member(circle, make.user(name="Fritz Foto", locale="de"), profession="Fotograf")
    paula = make.member(circle, make.user(name="Paula Pharma", locale="en"), profession="Apotheke")
    other = make.circle(name="Anderer Kreis")
    otto = make.member(other, make.user(name="Otto Other", locale="en"), profession="Optiker")
    return {"circle": circle, "fritz": fritz, "paula": paula, "other": other, "otto": otto}


def profile_url(circle, member) -> str:
    return f"/circles/{circle.id}/members/{member.id}/profile"


def picture_bytes(fmt: str = "PNG", size=(800, 600), exif: bool = False) -> bytes:
    """A picture as a camera or an editor would send it."""
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "SecretCam"  # Make
        tags[0x8825] = {2: (50.0, 56.0, 0.0)}  # GPS latitude
        image.save(buffer, format=fmt, exif=tags)
    else:
        image.save(buffer, format=fmt)
    return buffer.getvalue()


def upload(client, kind: str, data: bytes, name: str = "bild.jpg"):
    """Send the picture form of ``kind`` from the edit page."""
    return submit(
        client,
        EDIT,
        f"/account/profile/pictures/{kind}",
        {f"{kind}-picture": (io.BytesIO(data), name)},
    )


def test_an_empty_profile_invites_its_owner_and_tells_others_to_ask(client, auth, people):
    auth.login(people["paula"].user)
    own = text(client.get(profile_url(people["circle"], people["paula"])))
    assert "Your profile is still empty" in own and f'href="{EDIT}"' in own
    other = text(client.get(profile_url(people["circle"], people["fritz"])))
    assert "Fritz Foto has not filled in a profile yet" in other


def test_a_member_fills_in_the_profile_and_fellow_members_read_it(app, client, auth, people):
    auth.login(people["fritz"].user)
    response = submit(client, EDIT, EDIT, FILLED)
    assert response.status_code == 302
    with app.app_context():
        view = profile_view(people["fritz"].user_id)
        assert view.text("website") == "https://fotofritz.example"
        # One wish per line, the same wish twice (any case) kept once, in the given order.
        assert view.wishes["industry"] == ["Hochzeitsplaner", "Brautmode"]
        assert view.wishes["press"] == ["Kölner Stadt-Anzeiger"]
    auth.logout()
    auth.login(people["paula"].user)
    page = text(client.get(profile_url(people["circle"], people["fritz"])))
    assert "Portraits und Hochzeitsfotos in Köln." in page
    assert "Ein Brautpaar, das noch keinen Fotografen hat." in page
    wishes = element(page, "wishes")
    assert "Hochzeitsplaner, Brautmode" in wishes and "Kölner Stadt-Anzeiger" in wishes
    assert 'href="https://fotofritz.example"' in page
    # The directory links every name to the profile.
    roster = text(client.get(f"/circles/{people['circle'].id}/members"))
    assert f'href="{profile_url(people["circle"], people["fritz"])}"' in roster


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("website", "ftp://files.example", "Please enter a web address"),
        ("contact_email", "kein-at-zeichen", "valid e-mail address"),
        ("company", "x" * 121, "at most 120 characters"),
        ("wishes_region", "y" * 121, "at most 120 characters"),
        ("description", "Zeile\x1bmit Steuerzeichen", "not allowed"),
    ],
)
def test_one_bad_field_saves_nothing(app, client, auth, people, field, value, message):
    auth.login(people["paula"].user)
    response = submit(client, EDIT, EDIT, {**FILLED, field: value})
    assert response.status_code == 422
    assert message.lower() in text(response).lower()
    with app.app_context():
        assert db.session.get(Profile, people["paula"].user_id) is None
        assert db.session.execute(select(func.count(ReferralWish.id))).scalar_one() == 0


def test_profiles_of_other_circles_and_of_former_members_are_404(client, auth, make, people):
    auth.login(people["paula"].user)
    assert client.get(profile_url(people["other"], people["otto"])).status_code == 404
    assert client.get(profile_url(people["circle"], people["otto"])).status_code == 404
    gone = make.member(people["circle"], make.user(name="Gina Gone"), status="left")
    assert client.get(profile_url(people["circle"], gone)).status_code == 404


def test_a_photo_is_re_encoded_without_metadata_and_served_only_to_fellow_members(
    app, client, auth, make, people
):
    auth.login(people["fritz"].user)
    response = upload(client, "photo", picture_bytes("JPEG", (1200, 900), exif=True))
    assert response.status_code == 302
    with app.app_context():
        stored = {image.size: image for image in db.session.execute(select(ProfileImage)).scalars()}
    assert set(stored) == {"small", "large"}
    for size, longest in (("small", 160), ("large", 640)):
        image = stored[size]
        assert image.content_type == "image/jpeg"
        decoded = Image.open(io.BytesIO(image.data))
        assert max(decoded.size) == longest and decoded.format == "JPEG"
        assert not decoded.getexif()  # camera, position: gone
        assert b"SecretCam" not in image.data
    url = f"/people/{people['fritz'].user_id}/pictures/photo/large"
    auth.logout()

    auth.login(people["paula"].user)
    page = text(client.get(profile_url(people["circle"], people["fritz"])))
    assert f"{url}?v={stored['large'].digest}" in page
    cached = client.get(f"{url}?v={stored['large'].digest}")
    assert cached.status_code == 200 and cached.mimetype == "image/jpeg"
    assert cached.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert cached.headers["ETag"] == f'"{stored["large"].digest}"'
    again = client.get(url, headers={"If-None-Match": cached.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/people/{people['fritz'].user_id}/pictures/logo/large").status_code == 404
    auth.logout()

    auth.login(people["otto"].user)  # shares no circle with Fritz
    assert client.get(url).status_code == 404
    auth.logout()
    assert client.get(url).status_code == 302  # the login page


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a but not really a picture",
        b"%PDF-1.7 a document",
        b"",
    ],
)
def test_a_refused_file_keeps_the_old_picture(app, client, auth, people, data):
    auth.login(people["fritz"].user)
    assert upload(client, "logo", picture_bytes("PNG")).status_code == 302
    with app.app_context():
        before = db.session.execute(select(ProfileImage.digest)).scalars().all()
    response = upload(client, "logo", data, name="logo.png")
    assert response.status_code == 422
    page = text(response)  # Fritz reads German
    assert "Bitte wählen Sie ein JPEG-, PNG-, WebP- oder GIF-Bild" in page or (
        "Bitte wählen Sie ein Bild." in page
    )
    with app.app_context():
        assert db.session.execute(select(ProfileImage.digest)).scalars().all() == before


def test_a_decompression_bomb_is_refused_before_it_is_decoded(app, client, auth, people):
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")  # 100 megapixels, few bytes
    auth.login(people["fritz"].user)
    response = upload(client, "photo", buffer.getvalue(), name="bomb.png")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ProfileImage)).scalar_one() == 0


def test_a_logo_keeps_its_transparency_as_png(app, client, auth, people):
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 100), (0, 0, 0, 0)).save(buffer, format="PNG")
    auth.login(people["fritz"].user)
    assert upload(client, "logo", buffer.getvalue(), name="logo.png").status_code == 302
    with app.app_context():
        large = db.session.get(ProfileImage, (people["fritz"].user_id, "logo", "large"))
        decoded = Image.open(io.BytesIO(large.data))
        assert large.content_type == "image/png" and decoded.mode == "RGBA"
        assert decoded.size == (300, 100)  # never enlarged


def test_the_export_holds_the_profile_and_erasure_deletes_it(app, client, auth, people):
    auth.login(people["fritz"].user)
    submit(client, EDIT, EDIT, FILLED)
    upload(client, "photo", picture_bytes("PNG"))
    with app.app_context():
        user = db.session.get(type(people["fritz"].user), people["fritz"].user_id)
        exported = export_data(user)["member_profile"]
    assert exported["company"] == "Foto Fritz GmbH"
    assert exported["referral_wishes"]["industry"] == ["Hochzeitsplaner", "Brautmode"]
    assert [p["kind"] for p in exported["pictures"]] == ["photo"]
    assert exported["pictures"][0]["content_type"] == "image/jpeg"

    response = submit(
        client,
        "/account/privacy",
        "/account/delete",
        {"password": "correct horse battery", "confirmation": people["fritz"].user.email},
    )
    assert response.status_code == 302, text(response)
    with app.app_context():
        for model in (Profile, ReferralWish, ProfileImage):
            assert db.session.execute(select(func.count()).select_from(model)).scalar_one() == 0


def test_the_database_holds_the_rules_of_wishes_and_profiles(ctx, db, make):
    user = make.user()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(insert(ReferralWish).values(user_id=user.id, kind="gossip", text="x"))
    db.session.execute(insert(ReferralWish).values(user_id=user.id, kind="press", text="WDR"))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(insert(ReferralWish).values(user_id=user.id, kind="press", text="wdr"))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(insert(Profile).values(user_id=user.id, website="javascript:alert(1)"))
    picture = {"user_id": user.id, "kind": "photo", "size": "large", "content_type": "image/jpeg"}
    picture |= {"data": b"x", "digest": "0" * 64, "height": 10}
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(insert(ProfileImage).values(**picture, width=4000))  # never stored
    # SQLite: the CHECK; PostgreSQL: VARCHAR(120) already.
    with pytest.raises((IntegrityError, DataError)), db.session.begin_nested():
        db.session.execute(insert(Profile).values(user_id=user.id, company="x" * 121))


def test_give_a_referral_opens_the_week_with_the_receiver_chosen(client, auth, people):
    circle, fritz, paula = people["circle"], people["fritz"], people["paula"]
    auth.login(paula.user)
    profile = text(client.get(profile_url(circle, fritz)))
    link = f"/circles/{circle.id}/slips/new?to={fritz.id}"
    assert f'href="{link}"' in profile
    quick = text(client.get(link))
    first_row = element(quick, "give-row-0")
    assert f'<option selected value="{fritz.id}">' in first_row
    # My own seat, another circle's member or nonsense choose nobody and break nothing.
    for to in (paula.id, people["otto"].id, "x1", "9" * 30):
        response = client.get(f"/circles/{circle.id}/week", query_string={"to": to})
        assert response.status_code == 200
        assert '<option selected value="">' in element(text(response), "give-row-0")
