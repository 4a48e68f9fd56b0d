"""The weekly report: provisional totals, the lock, corrections after it, and slips that
arrive for a locked week going into the next open one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from circle.core.errors import Conflict, Forbidden
from circle.extensions import db
from circle.meetings import report
from circle.meetings.locks import first_open_day, is_locked
from circle.models import AuditEntry, Circle, ClosedBusiness, Membership, Referral, WeeklyReport
from circle.referrals import services as referrals
from tests.keyset import nav_link, walk
from tests.meetings.chapter import LAST_WEEK, Chapter, make_chapter, rows, this_week_start, url
from tests.pages import csrf_token, plain


@pytest.fixture
def chapter(app, make) -> Chapter:
    """A circle with officers, two plain members and this week's meeting."""
    return make_chapter(app, make)


def report_url(ch: Chapter, day=None) -> str:
    return url(ch, f"/weeks/{(day or LAST_WEEK).isoformat()}/report")


def lock(client, ch: Chapter, day=None):
    token = csrf_token(client.get(url(ch, "/calendar")).get_data(as_text=True))
    return client.post(
        url(ch, f"/weeks/{(day or LAST_WEEK).isoformat()}/lock"), data={"csrf_token": token}
    )


def test_the_vice_president_sees_provisional_totals_and_locks_the_week(
    app, client, auth, make, chapter
):
    make.slip(chapter.fritz, chapter.paula, LAST_WEEK + timedelta(days=1))
    make.slip(chapter.paula, chapter.fritz, LAST_WEEK + timedelta(days=2), amount=123450)
    meeting = make.meeting(chapter.circle, LAST_WEEK)
    make.attendance(meeting, chapter.fritz, "A")
    make.attendance(meeting, chapter.paula, "S", "Sven Stellvertreter")
    auth.login(chapter.vp.user)

    page = client.get(report_url(chapter, LAST_WEEK + timedelta(days=3)))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="report-provisional"' in html and "Provisional" in html
    assert 'data-total="referrals">1<' in html
    assert 'data-total="business">€1,234.50<' in html
    assert 'data-total="attendance-A">1<' in html
    assert 'data-total="attendance-S">1<' in html
    assert "Sven Stellvertreter" in html

    response = lock(client, chapter)
    assert response.status_code == 302
    html = client.get(report_url(chapter)).get_data(as_text=True)
    assert 'id="report-locked"' in html and "Viktor Vize" in html
    assert "provisional" not in html.lower().split('id="report-totals"')[1].split("</h2>")[0]
    [locked] = rows(app, WeeklyReport, circle_id=chapter.circle.id)
    assert locked.week_start == LAST_WEEK and locked.locked_by_id == chapter.vp.id
    [entry] = rows(app, AuditEntry, entity="weekly_report")
    assert entry.action == "lock"

    # Locking twice is refused; there is still one lock.
    again = lock(client, chapter)
    assert "already locked" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(rows(app, WeeklyReport, circle_id=chapter.circle.id)) == 1


def test_only_the_report_holders_see_or_lock_it(app, client, auth, make, chapter):
    for member in (chapter.fritz, chapter.secretary, chapter.committee):
        auth.login(member.user)
        assert client.get(report_url(chapter)).status_code == 403
        assert lock(client, chapter).status_code == 403
        auth.logout()
    assert rows(app, WeeklyReport, circle_id=chapter.circle.id) == []
    other = make.circle(admin=chapter.admin)
    auth.login(chapter.admin)
    assert client.get(f"/circles/{other.id}/weeks/{LAST_WEEK}/report").status_code == 200
    auth.logout()
    auth.login(chapter.vp.user)
    assert client.get(f"/circles/{other.id}/weeks/{LAST_WEEK}/report").status_code == 404
    assert client.get(url(chapter, "/weeks/2025-02-30/report")).status_code == 404
    future = this_week_start() + timedelta(weeks=1)
    assert client.get(report_url(chapter, future)).status_code == 422
    assert lock(client, chapter, future).status_code == 302
    assert rows(app, WeeklyReport, circle_id=chapter.circle.id) == []


def test_after_the_lock_admin_changes_are_corrections_and_members_are_refused(
    app, client, auth, chapter, make
):
    referral_id = make.slip(chapter.fritz, chapter.paula, LAST_WEEK + timedelta(days=1))
    business_id = make.slip(
        chapter.paula, chapter.fritz, LAST_WEEK + timedelta(days=1), amount=5000
    )
    auth.login(chapter.vp.user)
    lock(client, chapter)
    with app.test_request_context():
        circle = db.session.get(Circle, chapter.circle.id)
        admin = db.session.execute(
            select(Membership).where(Membership.circle_id == circle.id, Membership.role == "admin")
        ).scalar_one()
        fritz = db.session.get(Membership, chapter.fritz.id)
        assert is_locked(circle, LAST_WEEK + timedelta(days=6))
        assert not is_locked(circle, LAST_WEEK + timedelta(days=7))
        data = referrals.ReferralInput(
            receiver_id=chapter.paula.id, given_on=LAST_WEEK + timedelta(days=1), hotness=5
        )
        # The giver may no longer change the slip of a locked week.
        with pytest.raises(Conflict, match="locked"):
            referrals.correct_referral(circle, fritz, referral_id, data)
        with pytest.raises(Conflict):
            referrals.void_referral(circle, fritz, referral_id, "Doppelt")
        db.session.rollback()
        # An admin corrects it: audited as a correction.
        referrals.correct_referral(circle, admin, referral_id, data)
        referrals.void_business(circle, admin, business_id, "Falscher Betrag")
        db.session.commit()
        db.session.remove()
    actions = {
        (a.entity, a.action)
        for a in rows(app, AuditEntry, circle_id=chapter.circle.id)
        if a.entity in ("referral", "closed_business")
    }
    assert ("referral", "correct") in actions and ("closed_business", "correct") in actions
    assert ("referral", "edit") not in actions and ("closed_business", "void") not in actions
    [referral] = rows(app, Referral, id=referral_id)
    assert referral.hotness == 5
    [business] = rows(app, ClosedBusiness, id=business_id)
    assert business.void_reason == "Falscher Betrag"


def test_a_slip_entered_for_a_locked_week_counts_in_the_next_open_week(
    app, client, auth, forms, chapter
):
    auth.login(chapter.vp.user)
    lock(client, chapter)
    auth.logout()
    auth.login(chapter.fritz.user)
    token = csrf_token(client.get(url(chapter, "/calendar")).get_data(as_text=True))
    day = (LAST_WEEK + timedelta(days=2)).isoformat()
    response = client.post(
        url(chapter, "/referrals"),
        data={
            "give-csrf_token": token,
            "give-rows-0-receiver_id": str(chapter.paula.id),
            "give-rows-0-given_on": day,
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "That week&#39;s report is already locked" in page
    [referral] = rows(app, Referral, circle_id=chapter.circle.id)
    assert referral.given_on == this_week_start()

    response = client.post(
        url(chapter, "/closed-business"),
        data={
            "thank-csrf_token": token,
            "thank-giver_id": str(chapter.paula.id),
            "thank-amount": "100",
            "thank-closed_on": day,
        },
    )
    assert response.status_code == 302
    [business] = rows(app, ClosedBusiness, circle_id=chapter.circle.id)
    assert business.closed_on == this_week_start()


def test_the_next_open_week_skips_several_locked_weeks(app, make, chapter):
    with app.test_request_context():
        circle = db.session.get(Circle, chapter.circle.id)
        for weeks in (3, 2):
            db.session.add(
                WeeklyReport(
                    circle_id=circle.id, week_start=this_week_start() - timedelta(weeks=weeks)
                )
            )
        db.session.flush()
        day = this_week_start() - timedelta(weeks=3) + timedelta(days=4)
        assert first_open_day(circle, day) == this_week_start() - timedelta(weeks=1)
        open_day = this_week_start() - timedelta(weeks=1) + timedelta(days=2)
        assert first_open_day(circle, open_day) == open_day
        db.session.rollback()
        db.session.remove()


def test_attendance_changed_after_the_lock_is_a_correction(app, client, auth, forms, make, chapter):
    meeting = make.meeting(chapter.circle, LAST_WEEK)
    page = url(chapter, f"/meetings/{meeting.id}/attendance")
    auth.login(chapter.vp.user)
    assert forms.submit(page, {f"code_{chapter.fritz.id}": "A"}).status_code == 302
    lock(client, chapter)
    html = client.get(page).get_data(as_text=True)
    assert "changes are recorded as corrections" in html
    assert forms.submit(page, {f"code_{chapter.fritz.id}": "M"}).status_code == 302
    audits = rows(app, AuditEntry, entity="attendance")
    changed = [a for a in audits if a.action == "correct"]
    assert len(changed) == 1 and changed[0].before == {"code": "A"}
    assert changed[0].after == {"code": "M"}
    assert {a.action for a in audits} - {"correct"} == {"record"}


def test_forbidden_is_what_a_plain_member_gets_for_the_lock_service(app, chapter):
    from circle.meetings.report import lock_week

    with app.test_request_context():
        circle = db.session.get(Circle, chapter.circle.id)
        with pytest.raises(Forbidden):
            lock_week(circle, db.session.get(Membership, chapter.fritz.id), LAST_WEEK)
        db.session.remove()


def euros(minor: int) -> str:
    """An amount as the English pages show it: €1,234.50."""
    return f"€{minor // 100:,}.{minor % 100:02d}"


def _referral_ids(html: str) -> list[str]:
    return re.findall(r'data-referral="(\d+)"', html)


def _business_ids(html: str) -> list[str]:
    return re.findall(r'data-business="(\d+)"', html)


def _member_row(html: str, member: Membership) -> tuple[str, str, str]:
    """(given, received, revenue generated for others) of the member's per-member row."""
    row = re.search(rf'<tr data-member="{member.id}">(.*?)</tr>', html, re.S).group(1)
    cells = dict(re.findall(r'data-col="(\w+)">(.*?)</td>', row, re.S))
    return cells["given"], cells["received"], plain(cells["business"])


def test_a_busy_week_sums_per_member_and_pages_every_slip_once(app, client, auth, make, chapter):
    """A week of more slips than a page: the totals and the per-member rows count every
    live entry (a voided one nowhere), and the two lists page through every entry once,
    newest first, each keeping its place while the other moves."""
    people = [chapter.fritz, chapter.paula, chapter.vp, chapter.secretary]
    made, business = [], []
    pairs = [(giver, receiver) for giver in people for receiver in people if giver != receiver]
    for n in range(report.PER_PAGE + 7):
        giver, receiver = pairs[n % len(pairs)]
        day = LAST_WEEK + timedelta(days=n % 7)
        made.append((make.slip(giver, receiver, day), giver, receiver, day))
    for n in range(report.PER_PAGE + 2):
        reporter, thanked = people[n % 2], people[2 + n % 2]
        day = LAST_WEEK + timedelta(days=n % 7)
        business.append((make.slip(reporter, thanked, day, amount=100 * (n + 1)), thanked, day))
    voided_id, voided_giver, _receiver, _day = made[3]
    with app.test_request_context():
        circle = db.session.get(Circle, chapter.circle.id)
        referrals.void_referral(
            circle, db.session.get(Membership, voided_giver.id), voided_id, "Doppelt"
        )
        db.session.commit()
    auth.login(chapter.admin)  # an admin sees every member's amounts

    html = client.get(report_url(chapter)).get_data(as_text=True)
    live = [m for m in made if m[0] != voided_id]
    assert f'data-total="referrals">{len(live)}<' in html
    total_minor = sum(100 * (n + 1) for n in range(len(business)))
    assert f'data-total="business">{euros(total_minor)}<' in html
    for member in people:
        given = sum(1 for _id, g, _r, _d in live if g.id == member.id)
        received = sum(1 for _id, _g, r, _d in live if r.id == member.id)
        thanked = sum(100 * (n + 1) for n, (_i, t, _d) in enumerate(business) if t.id == member.id)
        assert _member_row(html, member) == (
            str(given),
            str(received),
            euros(thanked) if thanked else "\N{EN DASH}",
        ), member.user.name

    pages = walk(client, report_url(chapter), _referral_ids, "referral-pages")
    assert [len(page) for page in pages] == [report.PER_PAGE, 7]
    newest_first = sorted(made, key=lambda m: (m[3], m[0]), reverse=True)
    assert [int(i) for page in pages for i in page] == [m[0] for m in newest_first]
    # Back from the last page by the "newer" links: the same pages, the other way round.
    second = nav_link(html, "referral-pages", "next")
    assert walk(client, second, _referral_ids, "referral-pages", "prev") == pages[::-1]
    # The closed business pages on its own, and the referrals keep their page meanwhile.
    moved = client.get(second).get_data(as_text=True)
    older_business = nav_link(moved, "business-pages", "next")
    both = client.get(older_business).get_data(as_text=True)
    assert _referral_ids(both) == _referral_ids(moved)
    assert len(_business_ids(both)) == 2
    shown = _business_ids(html) + _business_ids(both)
    assert sorted(map(int, shown)) == sorted(b[0] for b in business)


def test_the_per_member_amounts_follow_who_may_see_them(app, client, auth, make, chapter):
    """The vice president sees the week's total, but another member's thanked-for sum
    only when allowed to see amounts; their own row always."""
    make.slip(chapter.fritz, chapter.vp, LAST_WEEK + timedelta(days=1), amount=50_000)
    make.slip(chapter.paula, chapter.fritz, LAST_WEEK + timedelta(days=1), amount=7_000)
    auth.login(chapter.vp.user)
    html = client.get(report_url(chapter)).get_data(as_text=True)
    assert _member_row(html, chapter.vp)[2] == euros(50_000)
    assert _member_row(html, chapter.fritz)[2] == "hidden"


def _section(html: str, section_id: str) -> str:
    return re.search(rf'<section id="{section_id}".*?</section>', html, re.S).group(0)


def test_the_weeks_slips_name_a_member_who_has_left_in_six_statements(
    app, client, auth, make, chapter, count_queries
):
    """The lists name every party of the week's slips, a member who has left since too,
    from the members read with the sheet: the page stays at six statements, and the
    former member is on neither the sheet nor the per-member table."""
    gone = make.member(chapter.circle, make.user(name="Gerda Gegangen"), profession="Gartenbau")
    make.slip(gone, chapter.fritz, LAST_WEEK + timedelta(days=1))
    make.slip(chapter.paula, gone, LAST_WEEK + timedelta(days=2), amount=12_000)
    make.slip(chapter.vp, chapter.paula, LAST_WEEK + timedelta(days=3))
    with app.test_request_context():
        seat = db.session.get(Membership, gone.id)
        seat.status, seat.ended_at = "left", seat.joined_at + timedelta(days=9)
        db.session.commit()
    auth.login(chapter.admin)
    with count_queries() as queries:
        html = client.get(report_url(chapter)).get_data(as_text=True)
    assert queries.count <= 6, queries.statements
    referrals_html = _section(html, "report-referrals")
    assert "Gerda Gegangen" in referrals_html and "Fritz Foto" in referrals_html
    assert "Viktor Vize" in referrals_html and "Paula Pharma" in referrals_html
    assert "Gerda Gegangen" in _section(html, "report-business")
    assert "Gerda Gegangen" not in _section(html, "report-members")
    assert "Gerda Gegangen" not in _section(html, "report-attendance")
    assert 'id="others-given"' in html  # her referral counts among the former members'
