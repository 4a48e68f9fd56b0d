"""The profile form (texts, GAINS and referral wishes, one wish per line) and the picture
upload. Lengths are checked here for a quick answer and again by the service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, StringField, TextAreaField, URLField
from wtforms.validators import Length, Optional

from circle.models import PROFILE_LIMITS, WISH_KINDS
from circle.profiles.services import ProfileInput
from circle.web.forms import FlaskForm

#: Labels of the wish kinds (the strategy list of the source articles).
WISH_LABELS = {
    "region": _l("Regions"),
    "industry": _l("Industries"),
    "company": _l("Companies"),
    "network": _l("Networks and associations"),
    "target_group": _l("Target groups"),
    "press": _l("Press and media"),
}


def _limit(name: str) -> list:
    """The length validator of a profile field."""
    return [
        Optional(),
        Length(max=PROFILE_LIMITS[name], message=_l("At most %(max)d characters, please.")),
    ]


class ProfileForm(FlaskForm):
    """Everything of a profile but the pictures."""

    company = StringField(
        _l("Company"), validators=_limit("company"), render_kw={"autocomplete": "organization"}
    )
    description = TextAreaField(
        _l("What I do"),
        validators=_limit("description"),
        description=_l("One or two sentences: what you offer and for whom."),
        render_kw={"rows": 3},
    )
    ideal_referral = StringField(
        _l("My ideal referral"),
        validators=_limit("ideal_referral"),
        description=_l("In one sentence: who should fellow members send to you?"),
    )
    website = URLField(
        _l("Website"), validators=_limit("website"), render_kw={"autocomplete": "url"}
    )
    phone = StringField(_l("Phone"), validators=_limit("phone"), render_kw={"autocomplete": "tel"})
    contact_email = EmailField(
        _l("E-mail for contact"),
        validators=_limit("contact_email"),
        description=_l("May differ from the address you log in with."),
        render_kw={"autocomplete": "email"},
    )
    region = StringField(_l("Town or region"), validators=_limit("region"))
    keywords = StringField(
        _l("Keywords"),
        validators=_limit("keywords"),
        description=_l("Words to be found by, separated by commas."),
    )
    goals = TextAreaField(_l("Goals"), validators=_limit("goals"), render_kw={"rows": 2})
    accomplishments = TextAreaField(
        _l("Accomplishments"), validators=_limit("accomplishments"), render_kw={"rows": 2}
    )
    interests = TextAreaField(
        _l("Interests"), validators=_limit("interests"), render_kw={"rows": 2}
    )
    networks = TextAreaField(_l("Networks"), validators=_limit("networks"), render_kw={"rows": 2})
    skills = TextAreaField(_l("Skills"), validators=_limit("skills"), render_kw={"rows": 2})
    wishes_region = TextAreaField(WISH_LABELS["region"], render_kw={"rows": 2})
    wishes_industry = TextAreaField(WISH_LABELS["industry"], render_kw={"rows": 2})
    wishes_company = TextAreaField(WISH_LABELS["company"], render_kw={"rows": 2})
    wishes_network = TextAreaField(WISH_LABELS["network"], render_kw={"rows": 2})
    wishes_target_group = TextAreaField(WISH_LABELS["target_group"], render_kw={"rows": 2})
    wishes_press = TextAreaField(WISH_LABELS["press"], render_kw={"rows": 2})

    def fill(self, view) -> None:
        """Show a stored profile (``ProfileView``) in the form."""
        for name in PROFILE_LIMITS:
            getattr(self, name).data = view.text(name)
        for kind in WISH_KINDS:
            getattr(self, f"wishes_{kind}").data = "\n".join(view.wishes.get(kind, []))

    def to_input(self) -> ProfileInput:
        """The sent form as the service's input (wishes: one per line)."""
        texts = {name: getattr(self, name).data or "" for name in PROFILE_LIMITS}
        wishes = {
            kind: (getattr(self, f"wishes_{kind}").data or "").splitlines() for kind in WISH_KINDS
        }
        return ProfileInput(**texts, wishes=wishes)


class PictureForm(FlaskForm):
    """A new photo or logo."""

    picture = FileField(
        _l("Picture"), validators=[FileRequired(message=_l("Please choose a picture."))]
    )


class RemovePictureForm(FlaskForm):
    """Remove a photo or logo (the CSRF token only)."""
