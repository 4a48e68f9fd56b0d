"""Forms of the roles page: grant a role to a member; revoking is a one-button form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, SubmitField
from wtforms.validators import InputRequired

from circle.models import OFFICER_ROLES, Membership
from circle.roles.permissions import ROLE_LABELS
from circle.web.forms import FlaskForm


class GrantRoleForm(FlaskForm):
    """Pick an active member and an officer role."""

    member_id = SelectField(
        _l("Member"),
        coerce=int,
        validators=[InputRequired(_l("Choose a member."))],
        validate_choice=True,
    )
    role = SelectField(
        _l("Role"),
        validators=[InputRequired(_l("Choose a role."))],
        choices=[SelectChoice(role, ROLE_LABELS[role]) for role in OFFICER_ROLES],
    )
    submit = SubmitField(_l("Grant role"))

    def __init__(self, members: list[Membership], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.member_id.choices = [SelectChoice(m.id, m.user.name) for m in members]
