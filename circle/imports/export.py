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
from sqlalchemy import or_, select
from sqlalchemy.orm import lazyload

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


def _names(circle: Circle) -> tuple[dict[int, str], dict[int, str]]:
    """Names of every membership (any status) and external party of the circle, by id."""
    members = dict(
        db.session.execute(
            select(Membership.id, User.name)
            .join(User, Membership.user_id == User.id)
            .where(Membership.circle_id == circle.id)
        ).all()
    )
    externals = dict(
        db.session.execute(
            select(ExternalParty.id, ExternalParty.name).where(ExternalParty.circle_id == circle.id)
        ).all()
    )
    return members, externals


def export_rows(
    circle: Circle, actor: Membership, start: date, end: date
) -> Iterator[list[CsvCell]]:
    """The CSV rows (without header) of the entries dated start..end the actor may see."""
    members, externals = _names(circle)

    def name(member_id: int | None, external_id: int | None) -> str:
        if member_id is not None:
            return members.get(member_id, "")
        if external_id is not None:
            return externals.get(external_id, "")
        return ""

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
    rows: list[tuple[tuple, list[CsvCell]]] = []
    # Plain column loads (no joined relationships): one query per table.
    options = {"yield_per": 2000}
    for r in db.session.execute(
        referrals.order_by(Referral.given_on, Referral.id), execution_options=options
    ).scalars():
        rows.append(
            (
                (r.given_on, 0, r.id),
                [
                    REFERRAL,
                    r.id,
                    r.source_key or native_key(circle.id, REFERRAL, r.id),
                    r.given_on.isoformat(),
                    r.giver_id,
                    name(r.giver_id, r.giver_external_id),
                    r.receiver_id,
                    name(r.receiver_id, r.receiver_external_id),
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
    for b in db.session.execute(
        business.order_by(ClosedBusiness.closed_on, ClosedBusiness.id), execution_options=options
    ).scalars():
        rows.append(
            (
                (b.closed_on, 1, b.id),
                [
                    CLOSED_BUSINESS,
                    b.id,
                    b.source_key or native_key(circle.id, CLOSED_BUSINESS, b.id),
                    b.closed_on.isoformat(),
                    b.thanked_id,
                    name(b.thanked_id, b.thanked_external_id),
                    b.reporter_id,
                    name(b.reporter_id, b.reporter_external_id),
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
