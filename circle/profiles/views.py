"""Profile pages: my own profile to edit, a fellow member's to read, and the pictures.

``/account/profile`` edits the logged-in person's profile (texts, GAINS, wishes) and its
photo and logo. ``/circles/<id>/members/<member>/profile`` shows a fellow member's
profile to the members of that circle (another circle: 404). Pictures are served only to
those who may see the profile (404 otherwise, so nothing tells whether one exists), with
an ETag and, when the URL names the current version, a long private cache.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from circle.circles.access import roster
from circle.core.formats import percent_text
from circle.models import IMAGE_KINDS, IMAGE_SIZES, WISH_KINDS, Circle, Membership
from circle.profiles import services, vcards
from circle.profiles.directory import directory
from circle.profiles.forms import WISH_LABELS, PictureForm, ProfileForm, RemovePictureForm
from circle.referrals import pairs
from circle.web.boundary import (
    attempt,
    circle_page,
    form_error,
    logged_in_user,
    site_page,
    ui_locale,
)
from circle.web.edge import larger_body
from circle.web.kept import KEPT_TITLE, page_with_body

bp = Blueprint("profiles", __name__)


@bp.context_processor
def _template_helpers() -> dict:
    """``percent(share)`` for the pair section: a share in the reader's notation."""
    return {"percent": lambda share: percent_text(float(share), ui_locale())}


def _render_edit(
    form: ProfileForm,
    status: int = HTTPStatus.OK,
    picture_errors=None,
    view: services.ProfileView | None = None,
):
    """The edit page: the profile form and the two picture forms (``view``: the stored
    profile when the caller already read it)."""
    me = logged_in_user()
    view = view or services.profile_view(me.id)
    return render_template(
        "profiles/edit.html",
        form=form,
        view=view,
        owner=me,
        wish_kinds=WISH_KINDS,
        wish_labels=WISH_LABELS,
        picture_forms={kind: PictureForm(prefix=kind) for kind in IMAGE_KINDS},
        picture_errors=picture_errors or {},
    ), status


@bp.route("/account/profile", methods=["GET", "POST"])
@site_page()
def edit():
    """My profile: what I do, whom I want to meet (wishes), GAINS; saved all or nothing."""
    form = ProfileForm()
    if request.method == "GET":
        view = services.profile_view(logged_in_user().id)
        form.fill(view)
        return _render_edit(form, view=view)
    if not form.validate_on_submit():
        return _render_edit(form, HTTPStatus.UNPROCESSABLE_ENTITY)
    _profile, error = attempt(lambda: services.save_profile(logged_in_user(), form.to_input()))
    if error is not None:
        form_error(form, error)
        return _render_edit(form, error.status)
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("profiles.edit"))


@bp.post("/account/profile/pictures/<kind>")
@larger_body("MAX_PICTURE_BODY_BYTES")
@site_page()
def upload_picture(kind: str):
    """Replace my photo or logo; a refused file leaves the old one."""
    if kind not in IMAGE_KINDS:
        abort(404)
    picture_form = PictureForm(prefix=kind)
    if not picture_form.validate_on_submit():
        errors = {kind: [str(message) for message in picture_form.picture.errors]}
        return _render_profile_again(HTTPStatus.UNPROCESSABLE_ENTITY, errors)
    upload = picture_form.picture.data.read()
    _digest, error = attempt(lambda: services.set_picture(logged_in_user(), kind, upload))
    if error is not None:
        return _render_profile_again(error.status, {kind: [error.message]})
    flash(_("Your photo is saved.") if kind == "photo" else _("Your logo is saved."), "success")
    return redirect(url_for("profiles.edit"))


def _render_profile_again(status: int, picture_errors: dict):
    """The edit page with the stored profile and the picture form's errors."""
    form = ProfileForm(formdata=None)
    view = services.profile_view(logged_in_user().id)
    form.fill(view)
    return _render_edit(form, status, picture_errors, view)


@bp.post("/account/profile/pictures/<kind>/remove")
@site_page()
def remove_picture(kind: str):
    """Remove my photo or logo."""
    if kind not in IMAGE_KINDS:
        abort(404)
    if not RemovePictureForm().validate_on_submit():
        flash(_("The form could not be read. Please try again."), "error")
        return redirect(url_for("profiles.edit"))
    services.remove_picture(logged_in_user(), kind)
    flash(_("The picture is removed."), "info")
    return redirect(url_for("profiles.edit"))


@bp.get("/circles/<int:circle_id>/members")
@circle_page()
def members(circle: Circle, me: Membership):
    """The circle directory: a card per member; ``?q=`` searches names, professions,
    companies, descriptions and wishes (German and English word forms); ``?fit=`` takes
    what a contact needs and lists the fellow members who fit, best first. The body is
    kept in memory (``circle.web.kept``) under the circle's ``data_stamp`` (members, names,
    profiles, pictures, wishes), the reader, the language and the words asked for."""
    query = (request.args.get("q") or "")[:200]
    need = (request.args.get("fit") or "")[:200]

    def body() -> dict:
        """What the directory's body shows: the cards found."""
        if need.strip():
            found = directory(circle, need, fit=True)
            cards = [card for card in found if card.membership_id != me.id]
        else:
            cards = directory(circle, query)
        return {"circle": circle, "me": me, "query": query, "need": need, "cards": cards}

    return page_with_body("profiles/directory.html", circle, (me.id, query, need), body)


def _active_member(
    circle: Circle, member_id: int, *, wishes: bool = True
) -> tuple[Membership, services.ProfileView]:
    """An active member of this circle with their profile, or 404 (the same for any other
    id); ``wishes=False`` leaves out the wishes (the contact card shows none)."""
    found = services.member_profile(circle.id, member_id, wishes=wishes)
    if found is None:
        abort(404)
    return found


def _vcard_response(body: str, name: str):
    """A vCard download."""
    response = make_response(body)
    response.headers["Content-Type"] = "text/vcard; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{vcards.filename(name)}"'
    return response


@bp.get("/circles/<int:circle_id>/members/<int:member_id>/vcard")
@circle_page()
def vcard(circle: Circle, me: Membership, member_id: int):
    """One member's contact card (vCard 3.0, with the small photo)."""
    member, view = _active_member(circle, member_id, wishes=False)
    return _vcard_response(vcards.serialize([vcards.card(member, view)]), member.user.name)


@bp.get("/circles/<int:circle_id>/members.vcf")
@circle_page()
def circle_vcards(circle: Circle, me: Membership):
    """Every member's contact card in one file (no photos: the file stays small)."""
    members = roster(circle.id)
    views = services.profile_views([m.user_id for m in members])
    cards = [
        vcards.card(m, views[m.user_id], photo=False)
        for m in sorted(members, key=lambda m: m.user.name.casefold())
    ]
    return _vcard_response(vcards.serialize(cards), circle.name)


@bp.get("/circles/<int:circle_id>/members/<int:member_id>/qr.svg")
@circle_page()
def qr_code(circle: Circle, me: Membership, member_id: int):
    """A QR code of the member's contact card, to scan at the meeting table."""
    member, view = _active_member(circle, member_id, wishes=False)
    response = make_response(vcards.qr_svg(member, view))
    response.headers["Content-Type"] = "image/svg+xml"
    return response


@bp.get("/circles/<int:circle_id>/members/<int:member_id>/profile")
@circle_page()
def show(circle: Circle, me: Membership, member_id: int):
    """A fellow member's profile (active members of this circle only), and what passed
    between the reader and them: the pair balance and the latest slips."""

    def body() -> dict:
        """What the profile's body shows (404 for anyone but an active member)."""
        member, view = _active_member(circle, member_id)
        return {
            "circle": circle,
            "me": me,
            "member": member,
            "pair": pairs.pair(circle, me.id, member.id) if member.id != me.id else None,
            "view": view,
            "wish_kinds": WISH_KINDS,
            "wish_labels": WISH_LABELS,
            KEPT_TITLE: member.user.name,
        }

    # Kept only while the member is active: under the circle's data_stamp, the reader (our
    # pair), the member and the language.
    return page_with_body("profiles/show.html", circle, (me.id, member_id), body)


@bp.get("/people/<int:user_id>/pictures/<kind>/<size>")
@site_page()
def picture(user_id: int, kind: str, size: str):
    """A profile picture, for those who may see the profile (anyone else: 404)."""
    if kind not in IMAGE_KINDS or size not in IMAGE_SIZES:
        abort(404)
    if not services.may_see_profile(logged_in_user(), user_id):
        abort(404)
    stored = services.picture(user_id, kind, size)
    if stored is None:
        abort(404)
    response = make_response(stored.data)
    response.headers["Content-Type"] = stored.content_type
    response.set_etag(stored.digest)
    if request.args.get("v") == stored.digest:
        response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)
