"""The CSV export of referrals and closed business for a period.

One UTF-8 file with a header (``formats.common.CSV_COLUMNS``): a ``type`` column tells
``referral`` from ``closed_business``; dates are ISO (``2025-03-05``), amounts plain
decimals with a dot (``1234.50``) plus the currency, void entries are included with
``voided_at`` (ISO, UTC) and ``void_reason``. For closed business ``giver`` is the member
thanked (credited) and ``receiver`` the member who reported (earned) it.

Who sees what: admins export every entry of the circle; a member exports the entries
they gave, received, were thanked for or reported (the same rule as everywhere else).

The ``key`` column identifies an entry across exports: the source key of an imported
entry, else ``"<circle>:<type>:<id>"``. Importing the file into the same circle
therefore adds nothing, and importing it into another circle twice adds it once.
The file is written by ``circle.core.csv_export``: texts a spreadsheet would run as formulas
(``=``, ``+``, ``-``, ``@``, tab, CR) get a leading apostrophe, which the import removes
again (names match as exported); ids, hotness and amounts are numbers and stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import aliased, lazyload

from circle.core.checks import EARLIEST
from circle.core.csv_export import CsvCell, csv_text
from circle.core.errors import ValidationFailed
from circle.core.money import to_decimal
from circle.core.weeks import today_for
from circle.extensions import db
from circle.imports.formats.common import CLOSED_BUSINESS, CSV_COLUMNS, REFERRAL
from circle.imports.planning import native_key
from circle.models import Circle, ClosedBusiness, ExternalParty, Membership, Referral, User


def period(circle: Circle, start: date | None, end: date | None) -> tuple[date, date]:
    """The export's period: from EARLIEST and up to today (in the circle's zone) by default."""
    start = start or EARLIEST
    end = end or today_for(circle)
    if start > end:
        raise ValidationFailed(_("The start of the period is after its end."), field="start")
    return start, end


#: The member (with its user) and the external party naming each side of an entry, as
#: aliases made once (making them costs more than the member's whole export statement).
_SIDES = tuple((aliased(Membership), aliased(User), aliased(ExternalParty)) for _side in "ab")


def _named(query: Select, circle_id, member_ids: tuple, external_ids: tuple) -> Select:
    """``query`` with the name of each party of its rows as two more columns each: the
    member's (any status) and the external party's, outer-joined in the same statement
    (``circle_id``, ``member_ids`` and ``external_ids``: the entry's columns naming the
    circle and the two sides)."""
    columns = []
    for member_id, external_id, (member, user, external) in zip(
        member_ids, external_ids, _SIDES, strict=True
    ):
        query = (
            query.outerjoin(member, and_(member.circle_id == circle_id, member.id == member_id))
            .outerjoin(user, user.id == member.user_id)
            .outerjoin(external, and_(external.circle_id == circle_id, external.id == external_id))
        )
        columns += [user.stored_name, external.name]
    return query.add_columns(*columns)


def _name(member_id: int | None, member_name: str | None, external_name: str | None) -> str:
    """A party's name as exported: the member's when the entry names a member, else the
    external party's, else nothing."""
    if member_id is not None:
        return member_name or ""
    return external_name or ""


def export_rows(
    circle: Circle, actor: Membership, start: date, end: date
) -> Iterator[list[CsvCell]]:
    """The CSV rows (without header) of the entries dated start..end the actor may see.

    One statement per table: the entries with the names of both sides joined in.
    """
    referrals = (
        select(Referral)
        .options(lazyload("*"))
        .where(
            Referral.circle_id == circle.id, Referral.given_on >= start, Referral.given_on <= end
        )
    )
    business = (
        select(ClosedBusiness)
        .options(lazyload("*"))
        .where(
            ClosedBusiness.circle_id == circle.id,
            ClosedBusiness.closed_on >= start,
            ClosedBusiness.closed_on <= end,
        )
    )
    if not actor.is_admin:
        referrals = referrals.where(
            or_(Referral.giver_id == actor.id, Referral.receiver_id == actor.id)
        )
        business = business.where(
            or_(ClosedBusiness.thanked_id == actor.id, ClosedBusiness.reporter_id == actor.id)
        )
    referrals = _named(
        referrals,
        Referral.circle_id,
        (Referral.giver_id, Referral.receiver_id),
        (Referral.giver_external_id, Referral.receiver_external_id),
    )
    business = _named(
        business,
        ClosedBusiness.circle_id,
        (ClosedBusiness.thanked_id, ClosedBusiness.reporter_id),
        (ClosedBusiness.thanked_external_id, ClosedBusiness.reporter_external_id),
    )
    rows: list[tuple[tuple, list[CsvCell]]] = []
    # Plain column loads (no joined relationships) and the two names: one query per table.
    options = {"yield_per": 2000}
    for r, giver, giver_external, receiver, receiver_external in db.session.execute(
        referrals.order_by(Referral.given_on, Referral.id), execution_options=options
    ):
        rows.append(
            (
                (r.given_on, 0, r.id),
                [
                    REFERRAL,
                    r.id,
                    r.source_key or native_key(circle.id, REFERRAL, r.id),
                    r.given_on.isoformat(),
                    r.giver_id,
                    _name(r.giver_id, giver, giver_external),
                    r.receiver_id,
                    _name(r.receiver_id, receiver, receiver_external),
                    r.kind,
                    r.hotness,
                    r.sphere or "",
                    r.status,
                    "",
                    "",
                    "",
                    r.prospect_name,
                    r.prospect_phone,
                    r.prospect_email,
                    r.note,
                    r.voided_at.isoformat() if r.voided_at else "",
                    r.void_reason or "",
                ],
            )
        )
    for b, thanked, thanked_external, reporter, reporter_external in db.session.execute(
        business.order_by(ClosedBusiness.closed_on, ClosedBusiness.id), execution_options=options
    ):
        rows.append(
            (
                (b.closed_on, 1, b.id),
                [
                    CLOSED_BUSINESS,
                    b.id,
                    b.source_key or native_key(circle.id, CLOSED_BUSINESS, b.id),
                    b.closed_on.isoformat(),
                    b.thanked_id,
                    _name(b.thanked_id, thanked, thanked_external),
                    b.reporter_id,
                    _name(b.reporter_id, reporter, reporter_external),
                    b.kind,
                    "",
                    "",
                    "",
                    to_decimal(b.amount_minor, b.currency),
                    b.currency,
                    b.referral_id,
                    "",
                    "",
                    "",
                    b.note,
                    b.voided_at.isoformat() if b.voided_at else "",
                    b.void_reason or "",
                ],
            )
        )
    rows.sort(key=lambda item: item[0])
    for _order, row in rows:
        yield row


def export_csv(circle: Circle, actor: Membership, start: date, end: date) -> str:
    """The whole CSV (header and rows) of the entries dated start..end the actor may see."""
    return csv_text(CSV_COLUMNS, export_rows(circle, actor, start, end))


def export_filename(circle: Circle, start: date, end: date) -> str:
    """The download's file name, e.g. ``circle-3-2025-01-01-2025-03-31.csv``."""
    return f"circle-{circle.id}-{start.isoformat()}-{end.isoformat()}.csv"
