"""Demo profiles for ``flask circle demo``: what each demo member does, whom they want to
meet, and a generated photo (a coloured disc with their initials), so that ``make run``
shows the profile pages full. Safe to run again: existing profiles are kept."""

from __future__ import annotations

import colorsys
import io
import zlib

from PIL import Image, ImageDraw, ImageFont

from circle.extensions import db
from circle.models import Profile, User
from circle.profiles.services import ProfileInput, save_profile, set_picture

#: Profession -> (what I do, ideal referral, industries, target groups).
STORIES = {
    "Fotograf": (
        "Hochzeits-, Portrait- und Bewerbungsfotos im Studio in Köln-Rodenkirchen.",
        "Ein Brautpaar, das noch keinen Fotografen hat.",
        ["Hochzeitsplanung", "Brautmode", "Personalberatung"],
        ["Brautpaare", "Bewerberinnen und Bewerber"],
    ),
    "Apotheker": (
        "Die Apotheke am Bonner Verteiler: Beratung, Impfungen, Kompressionsstrümpfe.",
        "Eine Arztpraxis, die eine verlässliche Apotheke in der Nähe sucht.",
        ["Arztpraxen", "Pflegedienste"],
        ["Familien", "Senioren"],
    ),
    "Steuerberater": (
        "Steuerberatung für Selbstständige, Ärzte und kleine GmbHs.",
        "Eine Arztpraxis, die gerade gegründet wird oder den Steuerberater wechseln will.",
        ["Heilberufe", "Handwerk"],
        ["Gründerinnen und Gründer", "Ärztinnen und Ärzte"],
    ),
    "Immobilienmaklerin": (
        "Verkauf und Vermietung von Wohnungen und Häusern im Kölner Süden.",
        "Ein Ehepaar, dessen Kinder ausgezogen sind und das Haus verkaufen möchte.",
        ["Hausverwaltungen", "Banken"],
        ["Erbengemeinschaften", "Senioren"],
    ),
    "Elektriker": (
        "Elektroinstallation, Wallboxen und Photovoltaik für Häuser und Gewerbe.",
        "Jemand, der ein E-Auto bestellt hat und noch keine Wallbox.",
        ["Autohäuser", "Hausverwaltungen"],
        ["Hausbesitzer", "Gewerbebetriebe"],
    ),
    "Unternehmensberatung": (
        "Ich helfe Inhabern kleiner Firmen, ihr Unternehmen an die nächste Generation zu geben.",
        "Ein Inhaber über 60, der noch keinen Nachfolger hat.",
        ["Steuerberatung", "Banken"],
        ["Familienunternehmen"],
    ),
}
REGIONS = ["Köln-Süd", "Rodenkirchen", "Bayenthal", "Sürth", "Zollstock"]


def load_demo_profiles(users: list[tuple[User, str]]) -> int:
    """Give every (user, profession) without a profile a demo profile and photo."""
    made = 0
    for index, (user, profession) in enumerate(users):
        if db.session.get(Profile, user.id) is not None:
            continue
        what, ideal, industries, groups = STORIES.get(
            profession,
            (
                f"{profession} für Privatkunden und Betriebe im Kölner Süden.",
                f"Jemand, der gerade eine gute Adresse für {profession} sucht.",
                ["Hausverwaltungen"],
                ["Familien", "Selbstständige"],
            ),
        )
        surname = user.name.split()[-1]
        region = REGIONS[index % len(REGIONS)]
        save_profile(
            user,
            ProfileInput(
                company=f"{profession} {surname}",
                description=what,
                ideal_referral=ideal,
                website=f"https://{surname.lower()}.koeln-sued.example",
                region=f"Köln, {region}",
                keywords=", ".join([profession, region]),
                goals="Mehr Empfehlungen aus dem Kreis, ein zweites Standbein aufbauen.",
                networks="IHK Köln, Sportverein, Elternbeirat",
                skills=f"{profession}, Beratung, Zuverlässigkeit",
                wishes={
                    "region": ["Köln", region],
                    "industry": industries,
                    "target_group": groups,
                    "press": ["Kölner Stadt-Anzeiger"] if index % 3 == 0 else [],
                },
            ),
        )
        set_picture(user, "photo", _initials_photo(user.name))
        made += 1
    return made


def _initials_photo(name: str) -> bytes:
    """A 320 px square: a disc in a colour of the name, with its initials."""
    hue = (zlib.crc32(name.encode()) % 360) / 360
    red, green, blue = (round(c * 255) for c in colorsys.hls_to_rgb(hue, 0.45, 0.45))
    image = Image.new("RGB", (320, 320), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 310, 310), fill=(red, green, blue))
    initials = "".join(part[0] for part in name.split()[:2]).upper()
    font = ImageFont.load_default(size=120)
    draw.text((160, 165), initials, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
