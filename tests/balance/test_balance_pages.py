"""The balance pages (overview, pair table, matrix) and the CSV, through real requests.

A hand-computed circle of four members (Fotograf A, Apotheker B, Maler C, Bäcker D) with
a dozen referrals and revenue both ways in June 2026, one voided entry of each kind,
and slips just outside the month; then the demo circle, period boundaries, who sees
what, the settings that open revenue and move the threshold, query counts at 5 and
40 members, and 404 / login for everyone else.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext

from circle.balance.periods import period_for
from circle.core.money import format_money
from circle.extensions import db
from circle.models import Circle, Membership
from circle.referrals import services as rs
from tests.pages import plain, section, text

JUNE = "from=2026-06-01&to=2026-06-30"
NBSP = "\N{NO-BREAK SPACE}"


def euro(cents: int, locale: str = "de") -> str:
    """An amount as the pages show it to a German (or English) user."""
    return format_money(cents, "EUR", locale)


def german(app, message: str, **values) -> str:
    """A message as a German user reads it (the English text until it is translated)."""
    with app.test_request_context(), force_locale("de"):
        return gettext(message, **values)


# --- reading the pages ---------------------------------------------------------------


def row(html: str, attr: str, value) -> str:
    """The ``<tr>`` or ``<li>`` whose ``attr`` is ``value`` (first match)."""
    match = re.search(
        rf'<(tr|li)\b[^>]*\b{attr}="{re.escape(str(value))}"[^>]*>(.*?)</\1>', html, re.S
    )
    assert match, f"no row with {attr}={value}"
    return match.group(2)


def cols(fragment: str) -> dict[str, str]:
    """The ``data-col`` cells of a row: column name -> visible text."""
    return {
        name: plain(content)
        for name, content in re.findall(r'data-col="(\w+)"[^>]*>(.*?)</td>', fragment, re.S)
    }


def pair_key(x: Membership, y: Membership) -> str:
    """The ``data-pair`` of two members (smaller id first)."""
    return f"{min(x.id, y.id)}-{max(x.id, y.id)}"


def matrix_cell(html: str, giver: Membership, receiver: Membership) -> re.Match:
    """The matrix cell giver → receiver: its classes, its other attributes and its text.

    Cells carry no ids (1,600 of them at 40 members): the receiver is the column whose
    heading has ``data-member``, the giver the row with ``data-giver``.
    """
    columns = re.findall(r'<th scope="col" class="bal-col" data-member="(\d+)"', html)
    tr = re.search(rf'<tr data-giver="{giver.id}">(.*?)</tr>', html, re.S).group(1)
    cells = list(re.finditer(r'<td class="([^"]*)"([^>]*)>(.*?)</td>', tr))
    assert len(cells) == len(columns), (giver.id, len(cells), len(columns))
    return cells[columns.index(str(receiver.id))]


# --- the hand-computed circle -----------------------------------------------------------


@pytest.fixture
def four(app, make):
    """A, B, C, D and an admin (no seat) with June 2026 computed by hand.

    Referrals in June: A→B 2, B→A 1, A→C 1, C→D 1, D→C 1 (A→D voided).
    Revenue in June: B earned 1.000,00 € thanks to A, A 10,00 € thanks to B,
    D 500,00 € thanks to C, C 450,00 € thanks to D (99,00 € voided).
    Outside June: A→B on 1 July, B→A on 31 May, B earned 800,00 € thanks to A in May.
    """
    admin = make.user(name="Anna Admin")
    circle = make.circle(admin=admin, admin_profession=None)
    people = [
        make.member(circle, make.user(name=n), profession=p)
        for n, p in (("A", "Fotograf"), ("B", "Apotheker"), ("C", "Maler"), ("D", "Bäcker"))
    ]
    with app.test_request_context():
        here = db.session.get(Circle, circle.id)
        a, b, c, d = (db.session.get(Membership, m.id) for m in people)

        def give(giver, receiver, day):
            return rs.give_referral(
                here, giver, rs.ReferralInput(receiver_id=receiver.id, given_on=day)
            )

        def thank(reporter, thanked, cents, day):
            return rs.report_closed_business(
                here, reporter, rs.BusinessInput(thanked.id, cents, day), notify=False
            )

        june = date(2026, 6, 10)
        give(a, b, june), give(a, b, june), give(b, a, june), give(a, c, june)
        give(c, d, june), give(d, c, june)
        rs.void_referral(here, a, give(a, d, june).id, "Doppelt")
        give(a, b, date(2026, 7, 1))
        give(b, a, date(2026, 5, 31))
        thank(b, a, 100_000, june)
        thank(a, b, 1_000, june)
        thank(d, c, 50_000, june)
        thank(c, d, 45_000, june)
        rs.void_business(here, b, thank(b, a, 9_900, june).id, "Falscher Betrag")
        thank(b, a, 80_000, date(2026, 5, 20))
        db.session.commit()
        db.session.remove()
    a, b, c, d = people
    return circle, admin, a, b, c, d


# --- the overview -----------------------------------------------------------------------


def test_overview_puts_the_lopsided_pair_first_with_exact_amounts(client, auth, four):
    circle, admin, a, b, _c, _d = four
    auth.login(admin)
    response = client.get(f"/circles/{circle.id}/balance?{JUNE}")
    assert response.status_code == 200
    html = text(response)
    lopsided = section(html, "lopsided-pairs")
    lines = re.findall(r'<li class="bal-line" data-pair="([\d-]+)" data-winner="(\d+)"', lopsided)
    assert lines == [(pair_key(a, b), str(b.id))]  # only A/B; C/D is balanced, A/C has no revenue
    line = plain(row(html, "data-pair", pair_key(a, b)))
    # B earned 1.000,00 € thanks to A; A earned 10,00 € thanks to B: the Apotheker profits.
    winner, loser = re.escape(euro(100_000)), re.escape(euro(1_000))
    assert re.search(rf"^Apotheker \(B\) \w+ {winner}, Fotograf \(A\) {loser}", line), line
    assert re.search(r"Apotheker 1, Fotograf 2", line)  # counts both ways: A gave twice
    assert f"98{NBSP}%" in line  # 99.000 / 101.000 = 0,980…


def test_overview_scales_roles_and_flags_for_the_admin(client, auth, four):
    circle, admin, a, b, c, d = four
    auth.login(admin)
    html = text(client.get(f"/circles/{circle.id}/balance?{JUNE}"))
    scales = section(html, "scales-table")
    expected = {
        a: ("3", "1", euro(100_000), euro(1_000)),
        b: ("1", "2", euro(1_000), euro(100_000)),
        c: ("1", "2", euro(50_000), euro(45_000)),
        d: ("1", "1", euro(45_000), euro(50_000)),
    }
    for member, (given, received, generated, earned) in expected.items():
        assert cols(row(scales, "data-member", member.id)) == {
            "given_count": given,
            "received_count": received,
            "revenue_generated": generated,
            "revenue_received": earned,
        }
    # The scales of A and B tipped in June and in the 30 days before: flagged for admins.
    flagged = {
        m.id for m in (a, b, c, d) if 'data-flag="tipped"' in row(scales, "data-member", m.id)
    }
    assert flagged == {a.id, b.id}
    # Bars are SVG rectangles scaled to the largest value: A's revenue bar is the full half.
    a_row = row(scales, "data-member", a.id)
    assert 'class="bal-bar--generated" x="0.0" y="14" width="100.0"' in a_row
    assert "style=" not in html  # the CSP forbids inline styles

    connectors = re.findall(
        r'<li data-member="(\d+)" data-connections="(\d+)">', section(html, "connectors")
    )
    assert connectors[0] == (str(a.id), "2")  # A gives to B and C
    concentration = section(html, "concentration")
    assert 'data-share="195/196"' in concentration  # (100.000 + 50.000 + 45.000) / 196.000
    assert f"99,5{NBSP}%" in plain(concentration)
    tops = re.findall(r'<li data-member="(\d+)">', concentration)
    assert tops == [str(a.id), str(c.id), str(d.id)]
    repeat = re.findall(
        r'data-giver="(\d+)" data-receiver="(\d+)" data-count="(\d+)"',
        section(html, "repeat-referrers"),
    )
    assert repeat == [(str(a.id), str(b.id), "2")]


def test_the_circle_page_links_to_the_balance(client, auth, four):
    circle, _admin, a, *_ = four
    auth.login(a.user)
    html = text(client.get(f"/circles/{circle.id}"))
    assert f'href="/circles/{circle.id}/balance"' in html


# --- the pair table and the matrix ----------------------------------------------------------


def test_pair_table_counts_revenue_and_lopsidedness_both_ways(app, client, auth, four):
    circle, admin, a, b, c, d = four
    auth.login(admin)
    html = text(client.get(f"/circles/{circle.id}/balance/pairs?{JUNE}"))
    table = section(html, "pairs-table")
    keys = re.findall(r'<tr data-pair="([\d-]+)"', table)
    assert keys[0] == pair_key(a, b)  # the lopsided pair leads
    assert set(keys) == {pair_key(a, b), pair_key(a, c), pair_key(c, d)}  # A/D: only voided

    def oriented(x, y, xy, yx):
        return (xy, yx) if x.id < y.id else (yx, xy)

    ab_row = row(table, "data-pair", pair_key(a, b))
    ab = cols(ab_row)
    assert (ab["count_a_to_b"], ab["count_b_to_a"]) == oriented(a, b, "2", "1")
    assert (ab["revenue_a_to_b"], ab["revenue_b_to_a"]) == oriented(
        a, b, euro(100_000), euro(1_000)
    )
    assert ab["lopsidedness"].startswith(f"98{NBSP}%") and 'data-flag="lopsided"' in ab_row
    cd = cols(row(table, "data-pair", pair_key(c, d)))
    assert (cd["revenue_a_to_b"], cd["revenue_b_to_a"]) == oriented(
        c, d, euro(50_000), euro(45_000)
    )
    assert cd["lopsidedness"] == f"5,3{NBSP}%"  # 5.000 / 95.000
    ac_row = row(table, "data-pair", pair_key(a, c))
    ac = cols(ac_row)
    assert 'data-undefined="true"' in ac_row  # no revenue either way: L is not defined
    assert ac["lopsidedness"] == german(app, "not defined")
    assert (ac["revenue_a_to_b"], ac["revenue_b_to_a"]) == (euro(0), euro(0))


def test_matrix_by_count_and_by_revenue(client, auth, four):
    circle, admin, a, b, c, _d = four
    auth.login(admin)
    html = text(client.get(f"/circles/{circle.id}/balance/matrix?{JUNE}"))
    assert "<caption" in html and 'scope="col"' in html and 'scope="row"' in html
    # Givers in rows, receivers in columns; the largest count is the darkest bucket.
    ab = matrix_cell(html, a, b)
    assert ab.group(1) == "heat-9" and ab.group(3) == "2" and "title" not in ab.group(2)
    assert matrix_cell(html, b, a).group(1) == "heat-5"  # 1 of 2
    assert matrix_cell(html, b, c).group(1) == "heat-0"  # nothing
    assert matrix_cell(html, b, c).group(3) == "0"
    assert matrix_cell(html, a, a).group(1) == "bal-self"
    assert 'title="Fotograf (A)"' in html and 'aria-label="Fotograf (A)"' in html
    assert f'href="/circles/{circle.id}/balance/matrix?period=custom&amp;from=2026-06-01' in html

    html = text(client.get(f"/circles/{circle.id}/balance/matrix?by=revenue&{JUNE}"))
    ab = matrix_cell(html, a, b)  # what B earned thanks to A
    assert ab.group(1) == "heat-9" and ab.group(3) == "1.000"  # rounded to whole euros
    assert f'title="{euro(100_000)}"' in ab.group(2)  # the exact amount in the title
    ba = matrix_cell(html, b, a)
    assert ba.group(3) == "10" and f'title="{euro(1_000)}"' in ba.group(2)
    bc = matrix_cell(html, b, c)
    assert bc.group(3) == "0" and "title" not in bc.group(2)
    assert 'data-by="revenue"' in html and "style=" not in html
    # The period links keep the revenue view; the custom form sends it along too.
    assert f'href="/circles/{circle.id}/balance/matrix?period=twelve_months&amp;by=revenue"' in html
    assert '<input type="hidden" name="by" value="revenue">' in html


# --- periods ------------------------------------------------------------------------------


def test_the_last_day_of_the_period_counts_and_the_day_after_does_not(app, client, auth, make):
    admin = make.user(name="Anna Admin")
    circle = make.circle(admin=admin)
    x = make.member(circle, make.user(name="X"), profession="Fotograf")
    y = make.member(circle, make.user(name="Y"), profession="Apotheker")
    with app.test_request_context():
        here = db.session.get(Circle, circle.id)
        period = period_for(here)  # the default: the last six completed months
        giver = db.session.get(Membership, x.id)
        for day in (period.start - timedelta(days=1), period.start, period.end):
            rs.give_referral(here, giver, rs.ReferralInput(receiver_id=y.id, given_on=day))
        rs.give_referral(
            here, giver, rs.ReferralInput(receiver_id=y.id, given_on=period.end + timedelta(1))
        )
        reporter = db.session.get(Membership, y.id)
        rs.report_closed_business(
            here, reporter, rs.BusinessInput(x.id, 70_000, period.end), notify=False
        )
        rs.report_closed_business(
            here,
            reporter,
            rs.BusinessInput(x.id, 3_000, period.end + timedelta(days=1)),
            notify=False,
        )
        db.session.commit()
        db.session.remove()
    auth.login(admin)
    html = text(client.get(f"/circles/{circle.id}/balance"))  # default period
    assert cols(row(section(html, "scales-table"), "data-member", x.id)) == {
        "given_count": "2",  # the first and the last day; the days before and after do not
        "received_count": "0",
        "revenue_generated": euro(70_000),
        "revenue_received": euro(0),
    }
    custom = f"from={period.end + timedelta(days=1)}&to={period.end + timedelta(days=1)}"
    html = text(client.get(f"/circles/{circle.id}/balance?{custom}"))
    assert cols(row(section(html, "scales-table"), "data-member", x.id))["given_count"] == "1"
    html = text(client.get(f"/circles/{circle.id}/balance?period=all"))
    assert cols(row(section(html, "scales-table"), "data-member", x.id))["given_count"] == "4"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-06-30&to=2026-06-01", "The start must not be after the end."),
        ("period=custom&from=2026-06-01", "Please give a start and an end date."),
        ("period=decade", "Unknown period."),
        ("from=1999-12-31&to=2000-01-31", "The start cannot be before 2000."),
        ("from=30.06.2026&to=2026-07-01", "Please enter a date like 2025-03-26."),
    ],
)
def test_an_invalid_period_is_refused_on_its_field(app, client, auth, four, query, message):
    circle, admin, *_ = four
    auth.login(admin)
    for path in ("balance", "balance/pairs", "balance/matrix", "balance.csv"):
        response = client.get(f"/circles/{circle.id}/{path}?{query}")
        assert response.status_code == 422, path
        html = text(response)
        assert german(app, message) in html
        assert 'id="period-form"' in html and 'class="error"' in html
        assert "scales-table" not in html and "pairs-table" not in html


# --- who sees what --------------------------------------------------------------------------


def test_a_member_sees_counts_but_only_the_revenue_of_their_own_pairs(client, auth, four):
    circle, _admin, a, b, c, d = four
    auth.login(c.user)
    html = text(client.get(f"/circles/{circle.id}/balance?{JUNE}"))
    assert 'id="no-lopsided"' in html  # A/B is not C's business
    assert 'id="own-pairs-only"' in html
    assert 'data-flag="tipped"' not in html  # the flag is for admins
    scales = section(html, "scales-table")
    assert cols(row(scales, "data-member", a.id)) == {
        "given_count": "3",
        "received_count": "1",
        "revenue_generated": "\N{EM DASH}",
        "revenue_received": "\N{EM DASH}",
    }
    assert cols(row(scales, "data-member", c.id))["revenue_generated"] == euro(50_000)
    assert 'id="concentration-hidden"' in section(html, "concentration")

    pairs = section(text(client.get(f"/circles/{circle.id}/balance/pairs?{JUNE}")), "pairs-table")
    ab = cols(row(pairs, "data-pair", pair_key(a, b)))
    assert ab["count_a_to_b"] in ("1", "2") and ab["revenue_a_to_b"] == "\N{EM DASH}"
    assert ab["lopsidedness"] == "\N{EM DASH}"
    cd = cols(row(pairs, "data-pair", pair_key(c, d)))
    assert euro(50_000) in (cd["revenue_a_to_b"], cd["revenue_b_to_a"])

    matrix = text(client.get(f"/circles/{circle.id}/balance/matrix?by=revenue&{JUNE}"))
    assert "bal-hidden" in matrix_cell(matrix, a, b).group(1)
    assert matrix_cell(matrix, a, b).group(3) == "\N{EM DASH}"
    cd = matrix_cell(matrix, c, d)  # D earned it thanks to C
    assert cd.group(3) == "500" and f'title="{euro(50_000)}"' in cd.group(2)

    # B is part of the lopsided pair and sees it.
    auth.logout()
    auth.login(b.user)
    html = text(client.get(f"/circles/{circle.id}/balance?{JUNE}"))
    assert pair_key(a, b) in section(html, "lopsided-pairs")
    assert 'data-flag="tipped"' not in html


def test_the_circle_setting_opens_all_revenue_to_members(client, auth, forms, four):
    circle, admin, a, b, c, _d = four
    auth.login(admin)
    settings = f"/circles/{circle.id}/settings"
    page = text(client.get(settings))
    assert 'name="revenue_open_to_members"' in page and 'name="lopsided_threshold_pct"' in page
    data = _settings_data(page)
    data["revenue_open_to_members"] = "y"
    assert forms.submit(settings, data).status_code == 302
    auth.logout()
    auth.login(c.user)
    html = text(client.get(f"/circles/{circle.id}/balance?{JUNE}"))
    assert pair_key(a, b) in section(html, "lopsided-pairs")
    scales = section(html, "scales-table")
    assert cols(row(scales, "data-member", a.id))["revenue_generated"] == euro(100_000)
    assert 'data-flag="tipped"' not in html  # still for admins only
    assert 'data-share="195/196"' in html


def test_the_threshold_setting_moves_what_counts_as_lopsided(client, auth, forms, four, app):
    circle, admin, *_ = four
    auth.login(admin)
    settings = f"/circles/{circle.id}/settings"
    data = _settings_data(text(client.get(settings)))
    for wrong in ("0", "101"):
        response = forms.submit(settings, {**data, "lopsided_threshold_pct": wrong})
        assert response.status_code == 422
        assert german(app, "The threshold is a percentage between 1 and 100.") in text(response)
    with app.app_context():
        assert db.session.get(Circle, circle.id).lopsided_threshold_pct == 80
    assert forms.submit(settings, {**data, "lopsided_threshold_pct": "99"}).status_code == 302
    html = text(client.get(f"/circles/{circle.id}/balance?{JUNE}"))
    assert 'id="no-lopsided"' in html  # 98 % < 99 %
    # Left empty, the threshold stays as it is.
    assert forms.submit(settings, {**data, "lopsided_threshold_pct": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(Circle, circle.id).lopsided_threshold_pct == 99


def _settings_data(page: str) -> dict:
    """The settings form's current values as a browser sends them (unticked boxes left out)."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", page):
        field = re.search(r'name="(\w+)"[^>]*value="([^"]*)"', tag)
        if field and ('type="checkbox"' not in tag or "checked" in tag):
            data[field.group(1)] = field.group(2)
    for name in re.findall(r'<select[^>]*name="(\w+)"', page):
        chosen = re.search(
            rf'<select[^>]*name="{name}".*?<option[^>]*selected[^>]*value="([^"]*)"|'
            rf'<select[^>]*name="{name}".*?<option[^>]*value="([^"]*)"[^>]*selected',
            page,
            re.S,
        )
        data[name] = chosen.group(1) or chosen.group(2)
    data.pop("csrf_token", None)
    for box in ("show_thank_amount", "revenue_open_to_members"):
        data.pop(box, None)
    data["show_thank_amount"] = "y"
    return data


# --- the CSV --------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    """The CSV rows as dicts (UTF-8, a header row)."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8"))))


def test_csv_holds_the_numbers_of_the_pages(client, auth, four):
    circle, admin, a, b, c, d = four
    auth.login(admin)
    response = client.get(f"/circles/{circle.id}/balance.csv?period=custom&{JUNE}")
    assert "balance-" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    members = {r["member_id"]: r for r in rows if r["record"] == "member"}
    pairs = {f"{r['a']}-{r['b']}": r for r in rows if r["record"] == "pair"}
    html = text(client.get(f"/circles/{circle.id}/balance?{JUNE}"))
    scales = section(html, "scales-table")
    for member in (a, b, c, d):
        shown = cols(row(scales, "data-member", member.id))
        saved = members[str(member.id)]
        assert saved["given_count"] == shown["given_count"]
        assert saved["received_count"] == shown["received_count"]
        for key in ("revenue_generated", "revenue_received"):
            assert euro(int(saved[key].replace(".", ""))) == shown[key]
    assert members[str(a.id)]["revenue_generated"] == "1000.00"
    assert members[str(a.id)]["profession"] == "Fotograf"

    table = section(text(client.get(f"/circles/{circle.id}/balance/pairs?{JUNE}")), "pairs-table")
    assert set(pairs) == set(re.findall(r'<tr data-pair="([\d-]+)"', table))
    for key, saved in pairs.items():
        shown = cols(row(table, "data-pair", key))
        for col in ("count_a_to_b", "count_b_to_a"):
            assert saved[col] == shown[col]
        for col in ("revenue_a_to_b", "revenue_b_to_a"):
            assert euro(int(saved[col].replace(".", ""))) == shown[col]
    ab = pairs[pair_key(a, b)]
    assert ab["lopsidedness"] == "0.9802" and ab["lopsided"] == "true"
    assert {ab["revenue_a_to_b"], ab["revenue_b_to_a"]} == {"1000.00", "10.00"}
    cd = pairs[pair_key(c, d)]
    assert cd["lopsidedness"] == "0.0526" and cd["lopsided"] == "false"
    assert pairs[pair_key(a, c)]["lopsidedness"] == ""  # not defined


def test_csv_hides_what_the_member_may_not_see(client, auth, four):
    circle, _admin, a, b, c, d = four
    auth.login(c.user)
    rows = read_csv(client.get(f"/circles/{circle.id}/balance.csv?{JUNE}"))
    members = {r["member_id"]: r for r in rows if r["record"] == "member"}
    pairs = {f"{r['a']}-{r['b']}": r for r in rows if r["record"] == "pair"}
    assert members[str(a.id)]["given_count"] == "3"
    assert members[str(a.id)]["revenue_generated"] == ""
    assert members[str(c.id)]["revenue_generated"] == "500.00"
    ab = pairs[pair_key(a, b)]
    assert (
        ab["revenue_a_to_b"] == ab["revenue_b_to_a"] == ab["lopsidedness"] == ab["lopsided"] == ""
    )
    assert {pairs[pair_key(c, d)]["revenue_a_to_b"], pairs[pair_key(c, d)]["revenue_b_to_a"]} == {
        "500.00",
        "450.00",
    }


# --- fixed query counts -----------------------------------------------------------------------


def _history(app, circle, members, weeks):
    """Every member gives to the next two each week and thanks one giver: a busy circle."""
    with app.test_request_context():
        here = db.session.get(Circle, circle.id)
        seats = [db.session.get(Membership, m.id) for m in members]
        first = date(2026, 5, 4)
        for week in range(weeks):
            day = first + timedelta(weeks=week)
            for i, giver in enumerate(seats):
                inputs = [
                    rs.ReferralInput(receiver_id=seats[(i + k) % len(seats)].id, given_on=day)
                    for k in (1, 2)
                ]
                rs.give_referrals(here, giver, inputs, notify=False)
                thanked = seats[(i - 1) % len(seats)]
                rs.report_closed_business(
                    here,
                    giver,
                    rs.BusinessInput(thanked.id, 10_000 + 100 * i + week, day),
                    notify=False,
                )
        db.session.commit()
        db.session.remove()


PAGES = ("balance", "balance/pairs", "balance/matrix", "balance/matrix?by=revenue", "balance.csv")


def _counts(client, count_queries, circle) -> list[int]:
    counts = []
    for page in PAGES:
        joiner = "&" if "?" in page else "?"
        with count_queries() as queries:
            response = client.get(f"/circles/{circle.id}/{page}{joiner}period=all")
        assert response.status_code == 200, page
        counts.append(queries.count)
    return counts


def test_every_page_takes_the_same_few_queries_at_5_and_at_40_members(
    app, client, auth, make, count_queries
):
    small_admin, large_admin = make.user(name="Small Admin"), make.user(name="Large Admin")
    small = make.circle(admin=small_admin)
    large = make.circle(admin=large_admin)
    _history(app, small, [make.member(small) for _ in range(4)], weeks=2)
    _history(app, large, [make.member(large) for _ in range(39)], weeks=8)
    auth.login(small_admin)
    at_five = _counts(client, count_queries, small)
    auth.logout()
    auth.login(large_admin)
    at_forty = _counts(client, count_queries, large)
    assert at_five == at_forty
    assert max(at_forty) <= 6, at_forty
    html = text(client.get(f"/circles/{large.id}/balance/matrix?period=all"))
    assert html.count('<th scope="col" class="bal-col"') == 40
    assert html.count('<td class="heat-') == 40 * 39


# --- everyone else ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_another_circles_member_gets_404_and_strangers_must_log_in(client, auth, make, four, page):
    circle, *_ = four
    outsider = make.user(name="Other")
    make.circle(admin=outsider)
    response = client.get(f"/circles/{circle.id}/{page}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login(outsider)
    assert client.get(f"/circles/{circle.id}/{page}").status_code == 404
    assert client.get(f"/circles/999999/{page}").status_code == 404


@pytest.mark.parametrize("viewer", ["admin", "member"])
def test_csv_equals_the_api_numbers(client, auth, api, four, viewer):
    circle, admin, _a, _b, c, _d = four
    user = admin if viewer == "admin" else c.user
    auth.login(user)
    rows = read_csv(client.get(f"/circles/{circle.id}/balance.csv?{JUNE}"))
    document = api.as_user(user).get(f"/api/v1/circles/{circle.id}/balance?{JUNE}").get_json()

    def as_text(key: str, value) -> str:
        """An API value as the CSV writes it (null: empty; ratios with four decimals)."""
        if value is None:
            return ""
        if key == "lopsidedness":
            return f"{Decimal(str(value)):.4f}"
        return str(value).lower()

    for record, items in (("member", document["members"]), ("pair", document["pairs"])):
        from_api = [{k: as_text(k, v) for k, v in item.items()} for item in items]
        from_csv = [{k: r[k] for k in from_api[0]} for r in rows if r["record"] == record]
        assert from_api == from_csv, record


def test_matrix_columns_never_label_two_members_alike(app, client, auth, make):
    """Markus Hoffmann and Melanie Hofmann are both "MH": their columns read MH1 and MH2,
    the full name on hover and for screen readers; a unique label stays as it is."""
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin, admin_profession=None)
    markus = make.member(circle, make.user(name="Markus Hoffmann"), profession="Steuerberater")
    melanie = make.member(circle, make.user(name="Melanie Hofmann"), profession="Eventplanung")
    jens = make.member(circle, make.user(name="Jens Becker"), profession="Fotograf")
    day = date(2026, 6, 3)
    make.slip(markus, melanie, day)
    make.slip(jens, markus, day)
    auth.login(admin)
    html = text(client.get(f"/circles/{circle.id}/balance/matrix?{JUNE}"))
    heads = re.findall(r'<th scope="col"[^>]*aria-label="([^"]+)"><abbr[^>]*>([^<]+)</abbr>', html)
    assert heads == [
        ("Eventplanung (Melanie Hofmann)", "MH1"),
        ("Fotograf (Jens Becker)", "JB"),
        ("Steuerberater (Markus Hoffmann)", "MH2"),
        ("Anna Admin", "AA"),  # the organiser without a seat, last
    ]


def test_the_overview_lists_25_lopsided_pairs_and_links_to_the_rest(client, auth, make):
    """Over the whole history a big circle has hundreds of lopsided pairs: the overview
    words the first 25 (five open, twenty folded) and links to the pair balance, which
    lists every one of them first."""
    admin = make.user(name="Anna Admin")
    circle = make.circle(admin=admin, admin_profession=None)
    seats = [make.member(circle, profession=f"Beruf {i}") for i in range(8)]  # 28 pairs
    day = date(2026, 6, 3)
    for i, x in enumerate(seats):
        for y in seats[i + 1 :]:
            make.slip(x, y, day)
            make.slip(y, x, day)
            make.slip(x, y, day, amount=100_000 + 100 * x.id + y.id)  # y thanks x: one way
    auth.login(admin)
    html = text(client.get(f"/circles/{circle.id}/balance?{JUNE}"))
    lopsided = section(html, "lopsided")
    assert len(re.findall(r'<li class="bal-line"', lopsided)) == 25
    first = section(html, "lopsided-pairs").partition("</ol>")[0]
    assert len(re.findall(r'<li class="bal-line"', first)) == 5
    link = re.search(r'<p id="all-lopsided" class="links"><a href="([^"]+)">([^<]+)</a>', lopsided)
    assert link and link.group(1) == (
        f"/circles/{circle.id}/balance/pairs?period=custom&amp;from=2026-06-01&amp;to=2026-06-30"
    )
    assert "28" in link.group(2)
    pairs = section(text(client.get(f"/circles/{circle.id}/balance/pairs?{JUNE}")), "pairs-table")
    assert pairs.count('class="bal-row--lopsided"') == 28


def test_each_viewer_gets_their_own_matrix_cells(client, auth, four):
    """The matrix cells kept in memory are per viewer: the admin, then C, then B, then the
    admin again each see exactly their own revenue cells."""
    circle, admin, a, b, c, d = four
    url = f"/circles/{circle.id}/balance/matrix?by=revenue&{JUNE}"
    seen = {}
    for who, user in (("admin", admin), ("c", c.user), ("b", b.user), ("admin again", admin)):
        auth.login(user)
        matrix = text(client.get(url))
        seen[who] = (matrix_cell(matrix, a, b).group(3), matrix_cell(matrix, c, d).group(3))
        auth.logout()
    assert seen["admin"] == seen["admin again"] == ("1.000", "500")
    assert seen["c"] == ("\N{EM DASH}", "500")  # A/B is not C's pair
    assert seen["b"] == ("1.000", "\N{EM DASH}")


def test_the_kept_scales_follow_the_viewer_and_every_rename(app, client, auth, four):
    # The scales' rows are kept in memory: one member's view of the same numbers never
    # reaches another, a rename shows at once, and "you" is marked for each viewer.
    circle, _admin, a, _b, c, _d = four
    url = f"/circles/{circle.id}/balance?{JUNE}"

    def scales_as(member) -> str:
        auth.login(member.user)
        scales = section(text(client.get(url)), "scales-table")
        auth.logout()
        return scales

    def marked(scales: str) -> list[str]:
        return re.findall(r'<tr data-member="(\d+)" aria-current="true"', scales)

    scales = scales_as(c)
    assert cols(row(scales, "data-member", a.id))["revenue_generated"] == "\N{EM DASH}"
    assert cols(row(scales, "data-member", c.id))["revenue_generated"] == euro(50_000)
    assert marked(scales) == [str(c.id)]
    scales = scales_as(a)
    assert cols(row(scales, "data-member", a.id))["revenue_generated"] == euro(100_000)
    assert cols(row(scales, "data-member", c.id))["revenue_generated"] == "\N{EM DASH}"
    assert marked(scales) == [str(a.id)]
    with app.app_context():
        db.session.get(Membership, a.id).user.name = "A <neu>"
        db.session.commit()
    assert "A &lt;neu&gt;" in row(scales_as(a), "data-member", a.id)


def test_the_kept_matrix_headings_escape_names_and_follow_a_rename(app, client, auth, four):
    circle, admin, a, _b, _c, _d = four
    url = f"/circles/{circle.id}/balance/matrix?{JUNE}"
    auth.login(admin)
    assert 'title="Fotograf (A)"' in section(text(client.get(url)), "matrix")
    with app.app_context():
        db.session.get(Membership, a.id).user.name = "Änne <b> & Co"
        db.session.commit()
    matrix = section(text(client.get(url)), "matrix")
    assert 'title="Fotograf (Änne &lt;b&gt; &amp; Co)"' in matrix
    assert re.search(r'<abbr title="Fotograf \(Änne &lt;b&gt; &amp; Co\)">ÄC</abbr> Änne', matrix)
    assert "<b>" not in matrix
