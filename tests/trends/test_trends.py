"""The circle over time (issue 14, item 6): referrals and closed business per circle week
and attendance per held meeting, summed right (void entries, other circles and other
currencies left out), drawn as charts with a title, a text alternative and the numbers
behind a disclosure; the period is 13, 26 or 52 weeks and anything else falls back to
26; the page costs a few statements at any size of circle."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from circle.core.weeks import today_for, week_start
from circle.extensions import db as _db
from circle.models import Circle, ClosedBusiness, Membership
from circle.referrals.services import void_business, void_referral
from circle.trends.services import attendance_per_meeting, weekly_activity
from tests.pages import element, plain, text


def url(circle, **query) -> str:
    """The trends page of ``circle`` with an optional query string."""
    args = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/circles/{circle.id}/trends" + (f"?{args}" if args else "")


def today(app, circle) -> date:
    """Today where ``circle`` meets."""
    with app.test_request_context():
        return today_for(_db.session.get(Circle, circle.id))


def void(app, kind, circle, actor: Membership, entry_id: int) -> None:
    """Void a referral or a closed business as ``actor`` (with a reason)."""
    with app.test_request_context():
        fresh = _db.session.get(Circle, circle.id)
        kind(fresh, _db.session.get(Membership, actor.id), entry_id, "Doppelt erfasst")
        _db.session.commit()
        _db.session.remove()


def foreign_currency_business(app, circle, thanked: Membership, reporter: Membership, day):
    """Closed business in US dollars in a euro circle (an imported row, say)."""
    with app.test_request_context():
        _db.session.add(
            ClosedBusiness(
                circle_id=circle.id,
                thanked_id=thanked.id,
                reporter_id=reporter.id,
                amount_minor=777_00,
                currency="USD",
                closed_on=day,
            )
        )
        _db.session.commit()
        _db.session.remove()


def cells(table: str, day: date) -> list[str]:
    """The data cells of the table row of the period starting on ``day``."""
    row = table.split(f'data-period="{day.isoformat()}"')[1].split("</tr>")[0]
    return [plain(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]


def weeks_of(app, circle, count=26):
    """The service's weeks for ``circle`` up to today."""
    with app.test_request_context():
        fresh = _db.session.get(Circle, circle.id)
        return weekly_activity(fresh, today_for(fresh), count)


@pytest.fixture
def world(app, make):
    """A circle meeting three days before today's weekday, Fritz and Paula in it (English),
    and a second circle with its own slips."""
    weekday = (today(app, make.circle()) - timedelta(days=3)).weekday()
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin, meeting_weekday=weekday)
    fritz = make.member(circle, make.user(name="Fritz Foto", locale="en"), profession="Fotograf")
    paula = make.member(circle, make.user(name="Paula Pharma", locale="de"), profession="Apotheke")
    other = make.circle(name="Kreis Bonn")
    olga = make.member(other, make.user(name="Olga Anders"), profession="Optik")
    otto = make.member(other, make.user(name="Otto Anders"), profession="Orthopädie")
    return {
        "circle": circle,
        "admin": make.admin_seat(circle),
        "fritz": fritz,
        "paula": paula,
        "other": other,
        "olga": olga,
        "otto": otto,
    }


def test_the_weekly_sums_count_this_circles_valid_entries_in_its_currency(app, make, world):
    circle, fritz, paula = world["circle"], world["fritz"], world["paula"]
    day = today(app, circle)
    this_week = day - timedelta(days=3)  # the meeting day that began this week
    last_week = this_week - timedelta(days=7)
    make.slip(fritz, paula, this_week)
    make.slip(paula, fritz, day)
    make.slip(fritz, paula, last_week)
    void(app, void_referral, circle, fritz, make.slip(fritz, paula, day))
    make.slip(paula, fritz, this_week, amount=123_450)  # Paula earned 1,234.50 via Fritz
    make.slip(fritz, paula, last_week + timedelta(days=6), amount=10_000)
    void(app, void_business, circle, paula, make.slip(paula, fritz, day, amount=50_000))
    foreign_currency_business(app, circle, fritz, paula, day)
    make.slip(world["olga"], world["otto"], day)  # another circle's
    make.slip(world["olga"], world["otto"], day, amount=99_900)

    weeks = weeks_of(app, circle)
    assert len(weeks) == 26
    assert (weeks[-1].start, weeks[-1].end) == (this_week, this_week + timedelta(days=6))
    assert (weeks[-2].start, weeks[-2].end) == (last_week, this_week - timedelta(days=1))
    assert [(w.referrals, w.business_minor) for w in weeks[-2:]] == [(1, 10_000), (2, 123_450)]
    assert all(w.referrals == 0 and w.business_minor == 0 for w in weeks[:-2])
    assert weeks[0].start == this_week - timedelta(weeks=25)


def test_the_weeks_begin_on_the_circles_meeting_day(app, make, world):
    circle, fritz, paula = world["circle"], world["fritz"], world["paula"]
    day = today(app, circle)
    meeting_day = day - timedelta(days=3)
    make.slip(fritz, paula, meeting_day)  # the first day of this week
    make.slip(fritz, paula, meeting_day - timedelta(days=1))  # the last day of last week
    make.slip(fritz, paula, meeting_day - timedelta(days=7))  # the first day of last week
    make.slip(fritz, paula, meeting_day - timedelta(days=8))  # the week before
    weeks = weeks_of(app, circle, 13)
    assert {w.start.weekday() for w in weeks} == {circle.meeting_weekday}
    assert [w.referrals for w in weeks[-3:]] == [1, 2, 1]
    # The same slips in a circle meeting a day later fall into other weeks.
    with app.test_request_context():
        fresh = _db.session.get(Circle, circle.id)
        fresh.meeting_weekday = (circle.meeting_weekday + 1) % 7
        weeks = weekly_activity(fresh, day, 13)
        _db.session.rollback()
    assert weeks[-1].start == meeting_day + timedelta(days=1)
    assert [w.referrals for w in weeks[-3:]] == [2, 2, 0]


def test_attendance_counts_present_late_substitutes_and_absences_per_held_meeting(
    app, client, auth, make, world
):
    circle, fritz, paula, admin = world["circle"], world["fritz"], world["paula"], world["admin"]
    day = today(app, circle)
    four = make.member(circle, make.user(name="Vera Vier"), profession="Versicherung")
    held = make.meeting(circle, day - timedelta(days=10))
    for member, code in ((fritz, "P"), (paula, "L"), (admin, "S"), (four, "A")):
        make.attendance(held, member, code)
    sick = make.meeting(circle, day - timedelta(days=3))
    for member, code in ((fritz, "P"), (paula, "M")):
        make.attendance(sick, member, code)
    make.meeting(circle, day - timedelta(days=17), status="cancelled", reason="Ostern")
    make.meeting(circle, day - timedelta(days=24))  # held, nobody recorded
    make.meeting(circle, day + timedelta(days=4))  # not held yet
    make.attendance(make.meeting(world["other"], day - timedelta(days=10)), world["olga"], "P")
    with app.test_request_context():
        rows = attendance_per_meeting(
            _db.session.get(Circle, circle.id), day - timedelta(weeks=26), day
        )
    assert [(r.held_on, r.present, r.substitutes, r.absent, r.recorded) for r in rows] == [
        (day - timedelta(days=24), 0, 0, 0, 0),
        (day - timedelta(days=10), 2, 1, 1, 4),
        (day - timedelta(days=3), 1, 0, 1, 2),
    ]
    assert [r.share for r in rows] == [None, 0.5, 0.5]

    auth.login(fritz.user)
    page = text(client.get(url(circle)))
    table = element(page, "trend-attendance-table")
    assert cells(table, day - timedelta(days=10)) == ["2", "1", "1", "4", "50%"]
    assert cells(table, day - timedelta(days=3)) == ["1", "0", "1", "2", "50%"]
    assert f'data-period="{(day - timedelta(days=24)).isoformat()}"' not in table
    assert "Present counts P (present) and L (late)" in page


def test_a_member_sees_each_chart_with_title_text_alternative_and_table(
    app, client, auth, make, world
):
    circle, fritz, paula = world["circle"], world["fritz"], world["paula"]
    day = today(app, circle)
    this_week = day - timedelta(days=3)
    for _n in range(3):
        make.slip(fritz, paula, this_week)
    make.slip(paula, fritz, this_week - timedelta(days=7))
    make.slip(paula, fritz, day, amount=123_450)
    make.attendance(make.meeting(circle, this_week), fritz, "P")
    auth.login(fritz.user)
    page = text(client.get(url(circle)))
    assert 'id="trend-nothing"' not in page

    chart = element(page, "trend-referrals-chart")
    assert 'role="img"' in chart
    assert 'aria-labelledby="trend-referrals-chart-title trend-referrals-chart-desc"' in chart
    assert '<title id="trend-referrals-chart-title">Referrals given per week</title>' in chart
    desc = element(chart, "trend-referrals-chart-desc")
    assert "4 referrals given in 26 weeks" in desc and "Trend rising: from" in desc
    assert 'class="chart-line trend--average"' in chart
    assert 'class="chart-line trend--fit"' in chart
    legend = page.split('id="trend-referrals-chart"')[1].split("</figure>")[0]
    assert "Average of 4 weeks" in legend and "Trend (straight line)" in legend

    disclosure = element(page, "trend-referrals-data")
    assert disclosure.startswith('<details class="chart-data" id="trend-referrals-data">')
    assert "<summary>Show the numbers as a table</summary>" in disclosure
    table = element(page, "trend-referrals-table")
    assert '<th scope="col">Week</th>' in table and table.count('<th scope="row">') == 26
    assert cells(table, this_week) == ["3", "1"]  # 3 this week; average of 0, 0, 1, 3
    assert cells(table, this_week - timedelta(days=7)) == ["1", "0.2"]

    business = element(page, "trend-business-table")
    assert cells(business, this_week) == ["€1,234.50", "€308.62"]  # 1,234.50 / 4, rounded
    assert "Closed business of €1,234.50 in 26 weeks" in element(page, "trend-business-chart-desc")
    assert "1 meeting from" in element(page, "trend-attendance-chart-desc")
    assert "present 1 of 1 recorded (100%), substitutes 0." in page
    assert "Too few periods for a trend." in element(page, "trend-attendance-chart-desc")


def test_amounts_and_numbers_read_in_german_for_a_german_member(app, client, auth, make, world):
    circle, fritz, paula = world["circle"], world["fritz"], world["paula"]
    day = today(app, circle)
    make.slip(fritz, paula, day, amount=123_450)
    auth.login(paula.user)
    page = text(client.get(url(circle)))
    business = element(page, "trend-business-table")
    assert cells(business, day - timedelta(days=3)) == ["1.234,50\xa0€", "308,62\xa0€"]
    assert ">1.234,50\xa0€</text>" in element(page, "trend-business-chart")  # top of the scale


@pytest.mark.parametrize(
    ("query", "rows", "chosen"),
    [
        ({}, 26, "26"),
        ({"weeks": "13"}, 13, "13"),
        ({"weeks": "52"}, 52, "52"),
        ({"weeks": "1000"}, 26, "26"),
        ({"weeks": "-1"}, 26, "26"),
        ({"weeks": "zwölf"}, 26, "26"),
        ({"weeks": ""}, 26, "26"),
    ],
)
def test_the_period_is_13_26_or_52_weeks_and_anything_else_shows_26(
    app, client, auth, make, world, query, rows, chosen
):
    circle, fritz, paula = world["circle"], world["fritz"], world["paula"]
    day = today(app, circle)
    make.slip(fritz, paula, day)
    make.slip(fritz, paula, day - timedelta(weeks=40))  # only in a year
    auth.login(fritz.user)
    response = client.get(url(circle, **query))
    assert response.status_code == 200
    page = text(response)
    table = element(page, "trend-referrals-table")
    assert table.count('<th scope="row">') == rows
    assert f'<option selected value="{chosen}">' in page
    given = "2 referrals" if rows == 52 else "1 referral"
    assert f"{given} given in {rows} weeks" in page
    first = week_start(circle, day) - timedelta(weeks=rows - 1)
    assert f'data-period="{first.isoformat()}"' in table


def test_an_empty_circle_gets_a_friendly_word_instead_of_charts(app, client, auth, make):
    circle = make.circle(admin=make.user(name="Anna Admin", locale="en"))
    auth.login(make.admin_seat(circle).user)
    page = text(client.get(url(circle)))
    assert "Nothing to draw yet" in element(page, "trend-nothing")
    assert "<svg" not in page.split("<main")[1] and "<details" not in page
    assert "No referrals were given in these weeks." in page
    assert "No attendance was recorded in these weeks." in page


def test_only_active_members_of_the_circle_see_it(app, client, auth, make, world):
    circle = world["circle"]
    make.slip(world["fritz"], world["paula"], today(app, circle), amount=98_765_43)
    auth.login(world["olga"].user)  # a member of another circle
    response = client.get(url(circle))
    assert response.status_code == 404 and "98,765.43" not in text(response)
    auth.logout()
    former = make.member(circle, make.user(name="Fiona Fort"), status="left")
    auth.login(former.user)
    assert client.get(url(circle)).status_code == 404
    auth.logout()
    response = client.get(url(circle))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_keeps_to_a_few_statements_at_any_size(
    app, client, auth, make, world, count_queries
):
    circle, fritz, paula = world["circle"], world["fritz"], world["paula"]
    day = today(app, circle)
    meeting = make.meeting(circle, day - timedelta(days=3))
    make.slip(fritz, paula, day)
    make.slip(paula, fritz, day, amount=10_000)
    make.attendance(meeting, fritz, "P")
    auth.login(fritz.user)
    with count_queries() as small:
        assert client.get(url(circle)).status_code == 200
    members = [make.member(circle, make.user(name=f"Mitglied {n}")) for n in range(36)]
    for n, member in enumerate(members):
        make.slip(member, paula, day - timedelta(days=n * 4))
        make.slip(paula, member, day - timedelta(days=n * 3), amount=1_000 + n)
        make.attendance(meeting, member, "PLSAM"[n % 5])
    with count_queries() as large:
        assert client.get(url(circle, weeks=52)).status_code == 200
    assert small.count <= 6, small.statements
    assert large.count == small.count, large.statements


def test_the_kept_weekly_numbers_follow_every_slip_and_void(app, make, world):
    """The weekly numbers are kept in memory under the circle's slips stamp: a slip or a
    void after they were computed is in the next answer, and equal answers come from the
    same numbers."""
    circle, fritz, paula = world["circle"], world["fritz"], world["paula"]
    day = today(app, circle)
    make.slip(fritz, paula, day)

    def this_week():
        weeks = weeks_of(app, circle, 13)
        return weeks[-1].referrals, weeks[-1].business_minor

    assert this_week() == this_week() == (1, 0)
    slip = make.slip(paula, fritz, day, amount=5_000)
    assert this_week() == (1, 5_000)
    void(app, void_business, circle, paula, slip)
    assert this_week() == (1, 0)
    make.slip(paula, fritz, day - timedelta(days=1))
    assert this_week() == (2, 0)


def test_the_kept_pictures_follow_new_attendance_and_each_language(app, client, auth, make, world):
    # The charts are kept in memory by the numbers they show: attendance recorded after a
    # view (no stamp changes with it) shows on the next one, and each language its own.
    circle, fritz, paula = world["circle"], world["fritz"], world["paula"]
    this_week = today(app, circle) - timedelta(days=3)
    meeting = make.meeting(circle, this_week)
    make.attendance(meeting, fritz, "P")
    auth.login(fritz.user)
    assert "present 1 of 1 recorded (100%)" in text(client.get(url(circle)))
    make.attendance(meeting, paula, "A")
    page = text(client.get(url(circle)))
    assert "present 1 of 2 recorded (50%)" in page
    assert cells(element(page, "trend-attendance-table"), this_week) == [
        "1",
        "0",
        "1",
        "2",
        "50%",
    ]
    with app.app_context():
        _db.session.get(Membership, fritz.id).user.locale = "de"
        _db.session.commit()
    german = text(client.get(url(circle)))
    assert "anwesend 1 von 2 erfassten (50\N{NO-BREAK SPACE}%)" in german
