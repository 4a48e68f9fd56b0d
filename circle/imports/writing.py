"""Writing an import's new rows in bulk (COPY on PostgreSQL), referrals first."""

from __future__ import annotations

from sqlalchemy import insert, select

from circle.balance import totals as pair_totals
from circle.core.clock import utcnow
from circle.extensions import db
from circle.imports.formats.common import (
    CLOSED_BUSINESS,
    OTHER,
    REFERRAL,
    Progress,
    SlipRow,
)

#: Rows per INSERT batch and per look-up of existing keys.
from circle.imports.planning import Plan, chunks
from circle.models import (
    Circle,
    ClosedBusiness,
    ExternalParty,
    OtherSlip,
    Referral,
    User,
)


def create_externals(circle: Circle, plan: Plan) -> dict[str, int]:
    """Add the new external parties; return every external party's id by name key."""
    externals = dict(plan.externals)
    if not plan.new_externals:
        return externals
    now = utcnow()
    rows = [
        {"circle_id": circle.id, "name": name, "key": key, "created_at": now}
        for key, name in plan.new_externals.items()
    ]
    for chunk in chunks(rows):
        db.session.execute(insert(ExternalParty), chunk)
    for chunk in chunks(list(plan.new_externals)):
        externals.update(
            db.session.execute(
                select(ExternalParty.key, ExternalParty.id).where(
                    ExternalParty.circle_id == circle.id, ExternalParty.key.in_(chunk)
                )
            ).all()
        )
    return externals


def _party(key: str, members: dict[str, int], externals: dict[str, int]) -> tuple:
    """(membership id, external party id) of a name key; (None, None) when it is empty."""
    if not key:
        return None, None
    member = members.get(key)
    if member is not None:
        return member, None
    return None, externals[key]


REFERRAL_COLUMNS = (
    "circle_id",
    "import_id",
    "giver_id",
    "giver_external_id",
    "receiver_id",
    "receiver_external_id",
    "given_on",
    "kind",
    "hotness",
    "sphere",
    "prospect_name",
    "prospect_phone",
    "prospect_email",
    "note",
    "status",
    "created_by_id",
    "created_at",
    "updated_at",
    "voided_at",
    "void_reason",
    "source_key",
)
BUSINESS_COLUMNS = (
    "circle_id",
    "import_id",
    "thanked_id",
    "thanked_external_id",
    "reporter_id",
    "reporter_external_id",
    "referral_id",
    "amount_minor",
    "currency",
    "closed_on",
    "kind",
    "note",
    "created_by_id",
    "created_at",
    "updated_at",
    "voided_at",
    "void_reason",
    "source_key",
)
OTHER_COLUMNS = (
    "circle_id",
    "import_id",
    "slip_type",
    "slip_date",
    "from_name",
    "to_name",
    "quantity",
    "detail",
    "source_key",
)


def _bulk_insert(model, columns: tuple[str, ...], rows: list[tuple], done) -> None:
    """Insert rows (tuples in ``columns`` order) in chunks, calling ``done(n)`` after each.

    PostgreSQL gets one ``COPY ... FROM STDIN`` on the session's own connection (same
    transaction, so still all-or-nothing); other databases ``insert(Model)`` with lists
    of dicts. Either way no ORM object is made per row.
    """
    connection = db.session.connection()
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql" and hasattr(driver, "cursor"):
        statement = f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN"
        with driver.cursor() as cursor:
            if hasattr(cursor, "copy"):  # psycopg 3
                with cursor.copy(statement) as copy:
                    for chunk in chunks(rows):
                        for row in chunk:
                            copy.write_row(row)
                        done(len(chunk))
                return
    for chunk in chunks(rows):
        db.session.execute(insert(model), [dict(zip(columns, row, strict=True)) for row in chunk])
        done(len(chunk))


def _count_pairs(circle_id: int, referrals: list[tuple], business: list[tuple]) -> None:
    """Add the live new rows to the balance's pair totals and to the members' months, in
    the same transaction (the rows bypass the services, which keep them otherwise)."""
    r = [REFERRAL_COLUMNS.index(n) for n in ("giver_id", "receiver_id", "given_on", "voided_at")]
    b = [
        BUSINESS_COLUMNS.index(n)
        for n in ("thanked_id", "reporter_id", "closed_on", "amount_minor", "voided_at")
    ]
    pair_totals.add_slips(
        [
            (circle_id, pair_totals.REFERRAL, row[r[0]], row[r[1]], row[r[2]], 0)
            for row in referrals
            if row[r[3]] is None
        ]
        + [
            (circle_id, pair_totals.BUSINESS, row[b[0]], row[b[1]], row[b[2]], row[b[3]])
            for row in business
            if row[b[4]] is None
        ]
    )


def write(
    circle: Circle,
    actor: User | None,
    import_id: int,
    plan: Plan,
    externals: dict[str, int],
    progress: Progress | None,
) -> None:
    """Insert the new rows: referrals first (closed business may link to them)."""
    now = utcnow()
    actor_id = actor.id if actor else None
    members = plan.members
    total = len(plan.new)
    written = 0

    def done(count: int) -> None:
        nonlocal written
        written += count
        if progress:
            progress("write", written, total)

    by_entry: dict[str, list[tuple[SlipRow, str]]] = {REFERRAL: [], CLOSED_BUSINESS: [], OTHER: []}
    for row, key in plan.new:
        by_entry[row.entry].append((row, key))
    cid = circle.id

    referrals = []
    for row, key in by_entry[REFERRAL]:
        giver_id, giver_ext = _party(row.giver_key, members, externals)
        receiver_id, receiver_ext = _party(row.receiver_key, members, externals)
        referrals.append(
            (
                cid,
                import_id,
                giver_id,
                giver_ext,
                receiver_id,
                receiver_ext,
                row.day,
                row.kind,
                row.hotness,
                row.sphere,
                row.prospect_name,
                row.prospect_phone,
                row.prospect_email,
                row.note,
                row.status,
                actor_id,
                now,
                now,
                row.voided_at,
                row.void_reason,
                key,
            )
        )
    _bulk_insert(Referral, REFERRAL_COLUMNS, referrals, done)

    links = _referral_links(circle, plan, by_entry[CLOSED_BUSINESS])
    business = []
    for row, key in by_entry[CLOSED_BUSINESS]:
        thanked_id, thanked_ext = _party(row.giver_key, members, externals)
        reporter_id, reporter_ext = _party(row.receiver_key, members, externals)
        business.append(
            (
                cid,
                import_id,
                thanked_id,
                thanked_ext,
                reporter_id,
                reporter_ext,
                links.get(row.number),
                row.amount_minor,
                circle.currency,
                row.day,
                row.kind,
                row.note,
                actor_id,
                now,
                now,
                row.voided_at,
                row.void_reason,
                key,
            )
        )
    _bulk_insert(ClosedBusiness, BUSINESS_COLUMNS, business, done)
    _count_pairs(cid, referrals, business)

    others = [
        (
            cid,
            import_id,
            row.slip_type,
            row.day,
            row.giver,
            row.receiver,
            row.quantity,
            row.note,
            key,
        )
        for row, key in by_entry[OTHER]
    ]
    _bulk_insert(OtherSlip, OTHER_COLUMNS, others, done)


def _referral_links(
    circle: Circle, plan: Plan, business: list[tuple[SlipRow, str]]
) -> dict[int, int]:
    """Closed business rows of our CSV that name a referral of the same file: row → id.

    A link is kept only when the referral went from the thanked member to the reporter.
    """
    wanted: dict[int, str] = {}
    links: dict[int, int] = {}
    for row, _key in business:
        target = plan.referral_refs.get(row.referral_ref) if row.referral_ref else None
        if target is None:
            continue
        key, native_id, referral = target
        if (referral.giver_key, referral.receiver_key) != (row.giver_key, row.receiver_key):
            continue
        if native_id is not None:
            links[row.number] = native_id
        elif key is not None:
            wanted[row.number] = key
    ids: dict[str, int] = {}
    for chunk in chunks(sorted(set(wanted.values()))):
        ids.update(
            db.session.execute(
                select(Referral.source_key, Referral.id).where(
                    Referral.circle_id == circle.id, Referral.source_key.in_(chunk)
                )
            ).all()
        )
    links.update({number: ids[key] for number, key in wanted.items() if key in ids})
    return links
