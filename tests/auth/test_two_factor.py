"""Two-factor login (issue 12, item 16): TOTP codes and recovery codes, asked at login, at the
API token exchange and before sensitive changes; a circle may require it of everyone who
sees money or prospects' details there."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select, text

from circle.auth import twofactor
from circle.auth.services import make_reset_token
from circle.core.errors import Conflict, ValidationFailed
from circle.core.security import verify_password
from circle.extensions import db
from circle.models import Circle, RecoveryCode, User
from tests.apps import make_test_app
from tests.factories import PASSWORD
from tests.pages import page_forms, submit
from tests.pages import text as page_text


class Clock:
    """The time two-factor login sees; ``code`` is what the app shows at that moment."""

    def __init__(self, start: float) -> None:
        self.now = start

    def tick(self, steps: int = 1) -> None:
        """Move on by whole 30-second steps."""
        self.now += steps * twofactor.STEP

    def code(self, secret: str) -> str:
        """The six digits an authenticator app shows now for ``secret``."""
        return pyotp.TOTP(secret).at(self.now)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """A clock at a fixed moment, used by the service and the pending-login check."""
    fixed = Clock(1_800_000_000.0)
    monkeypatch.setattr(twofactor, "clock", lambda: fixed.now)
    return fixed


def enrol(app, clock: Clock, user: User) -> tuple[str, list[str]]:
    """Switch two-factor login on for ``user`` through the service; the step moves on after."""
    with app.test_request_context():
        account = db.session.get(User, user.id)
        secret = twofactor.new_secret()
        codes = twofactor.enable(account, secret, clock.code(secret))
        db.session.commit()
        db.session.remove()
    clock.tick()
    return secret, codes


def load(user_id: int) -> User:
    """The user as stored now."""
    db.session.expire_all()
    return db.session.get(User, user_id)


def log_in_with_password(forms, user, **data):
    """The login form's first step."""
    return forms.submit("/login", {"email": user.email, "password": PASSWORD, **data})


def logged_in(client) -> bool:
    """Whether the client's session is a logged-in one (the account page answers)."""
    return client.get("/account").status_code == 200


# --- the service -------------------------------------------------------------------


def test_secret_is_stored_encrypted_and_enrolment_needs_a_valid_code(app, make, ctx, clock):
    user = load(make.user(locale="en").id)
    secret = twofactor.new_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert twofactor.unseal(twofactor.seal(secret)) == secret
    assert secret not in twofactor.seal(secret)  # the browser keeps it encrypted
    wrong = "000000" if clock.code(secret) != "000000" else "111111"
    with pytest.raises(ValidationFailed):
        twofactor.enable(user, secret, wrong)
    with pytest.raises(ValidationFailed):  # an enrolment without its secret starts again
        twofactor.enable(user, None, clock.code(secret))
    assert not twofactor.is_enabled(user)

    codes = twofactor.enable(user, secret, clock.code(secret))
    assert twofactor.is_enabled(user) and len(codes) == 10 and len(set(codes)) == 10
    assert secret not in user.two_factor_secret  # encrypted at rest
    with pytest.raises(Conflict):  # a second enrolment is refused once on
        twofactor.enable(user, twofactor.new_secret(), clock.code(secret))


def test_a_code_works_once_and_only_near_now(app, make, ctx, clock):
    user = load(make.user(locale="en").id)
    secret = twofactor.new_secret()
    twofactor.enable(user, secret, clock.code(secret))
    assert not twofactor.verify(user, clock.code(secret))  # replay of the enrolment code
    clock.tick()
    code = clock.code(secret)
    assert twofactor.verify(user, code)
    assert not twofactor.verify(user, code)  # the same code again
    clock.tick(3)
    assert not twofactor.verify(user, pyotp.TOTP(secret).at(clock.now - 2 * twofactor.STEP))
    assert twofactor.verify(user, pyotp.TOTP(secret).at(clock.now - twofactor.STEP))  # drift
    assert twofactor.verify(user, clock.code(secret))


def test_recovery_codes_are_stored_hashed_and_each_works_once(app, make, ctx, clock):
    user = load(make.user(locale="en").id)
    secret = twofactor.new_secret()
    codes = twofactor.enable(user, secret, clock.code(secret))
    stored = db.session.execute(
        select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
    ).scalars()
    stored = set(stored)
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h or code in h for h in stored for code in codes)

    assert twofactor.verify(user, f" {codes[0].upper()} ")  # case and spaces do not matter
    assert not twofactor.verify(user, codes[0])  # used up
    assert twofactor.recovery_codes_left(user) == 9
    assert not twofactor.verify(user, codes[1], recovery=False)  # enrolment takes app codes only

    new = twofactor.regenerate_recovery_codes(user, PASSWORD, codes[1])
    assert not twofactor.verify(user, codes[2])  # the old set is gone
    assert twofactor.verify(user, new[0])


def test_switching_off_needs_password_and_code(app, make, ctx, clock):
    user = load(make.user(locale="en").id)
    secret = twofactor.new_secret()
    twofactor.enable(user, secret, clock.code(secret))
    clock.tick()
    with pytest.raises(ValidationFailed):
        twofactor.disable(user, "wrong password", clock.code(secret))
    with pytest.raises(ValidationFailed):
        twofactor.disable(user, PASSWORD, "")
    assert twofactor.is_enabled(user)
    twofactor.disable(user, PASSWORD, clock.code(secret))
    assert not twofactor.is_enabled(user) and user.two_factor_secret is None
    assert twofactor.recovery_codes_left(user) == 0


# --- login -------------------------------------------------------------------------


def test_login_asks_for_the_code_before_logging_in(app, client, forms, make, clock):
    user = make.user(locale="en")
    secret, _codes = enrol(app, clock, user)

    response = log_in_with_password(forms, user, next="/account")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login/code?next=/account")
    assert not logged_in(client)  # the password alone is not a login

    wrong = "000000" if clock.code(secret) != "000000" else "111111"
    refused = forms.submit("/login/code", {"code": wrong})
    assert refused.status_code == 200
    assert "This code is not valid" in page_text(refused)
    assert not logged_in(client)

    done = forms.submit("/login/code", {"code": clock.code(secret), "next": "/account"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/account")
    assert logged_in(client)


def test_login_with_a_recovery_code_works_once(app, client, forms, make, clock, auth):
    user = make.user(locale="en")
    _secret, codes = enrol(app, clock, user)
    log_in_with_password(forms, user)
    done = forms.submit("/login/code", {"code": codes[0]})
    assert done.status_code == 302
    assert "9 are left" in page_text(client.get("/circles"))
    assert logged_in(client)

    auth.logout()
    log_in_with_password(forms, user)
    again = forms.submit("/login/code", {"code": codes[0]})
    assert "This code is not valid" in page_text(again) and not logged_in(client)


def test_the_code_page_needs_a_fresh_password_step(app, client, forms, make, clock):
    user = make.user(locale="en")
    enrol(app, clock, user)
    assert client.get("/login/code").headers["Location"].endswith("/login")

    log_in_with_password(forms, user)
    clock.now += 301  # the pending login lasts five minutes
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert not logged_in(client)


def test_wrong_codes_are_limited_per_account(app, client, forms, make, clock):
    app.config["RATELIMIT_TWO_FACTOR"] = "3 per 15 minutes"
    user = make.user(locale="en")
    secret, _codes = enrol(app, clock, user)
    log_in_with_password(forms, user)
    wrong = "000000" if clock.code(secret) != "000000" else "111111"
    for _n in range(3):
        assert forms.submit("/login/code", {"code": wrong}).status_code == 200
    blocked = forms.submit("/login/code", {"code": clock.code(secret)})
    assert blocked.status_code == 429
    assert "Too many attempts. Please try again in 15 minutes." in page_text(blocked)
    assert int(blocked.headers["Retry-After"]) > 0
    assert not logged_in(client)


def test_a_password_reset_link_does_not_skip_the_code(app, client, make, clock):
    user = make.user(locale="en")
    enrol(app, clock, user)
    with app.test_request_context():
        token = make_reset_token(load(user.id))
    page = f"/password/reset/{token}"
    response = submit(
        client, page, page, {"password": "a new long pass", "password_repeat": "a new long pass"}
    )
    assert response.status_code == 302 and "/login/code" in response.headers["Location"]
    assert not logged_in(client)


def test_the_api_token_exchange_needs_a_code(app, client, make, clock):
    user = make.user(locale="en")
    secret, _codes = enrol(app, clock, user)
    credentials = {"email": user.email, "password": PASSWORD}
    refused = client.post("/api/v1/tokens", json=credentials)
    assert refused.status_code == 401 and "token" not in refused.get_json()
    created = client.post("/api/v1/tokens", json={**credentials, "code": clock.code(secret)})
    assert created.status_code == 201 and created.get_json()["token"]


# --- before sensitive changes ---------------------------------------------------------


def _logged_in_with_code(app, forms, user, clock) -> str:
    """Enrol ``user``, log in with password and code; returns the secret."""
    secret, _codes = enrol(app, clock, user)
    log_in_with_password(forms, user)
    forms.submit("/login/code", {"code": clock.code(secret)})
    clock.tick()
    return secret


def test_password_change_asks_a_two_factor_user_for_a_code(app, client, forms, make, clock):
    user = make.user(locale="en")
    secret = _logged_in_with_code(app, forms, user, clock)
    change = {
        "current_password": PASSWORD,
        "password": "brand new secret",
        "password_repeat": "brand new secret",
    }
    refused = submit(client, "/account", "/account/password", change)
    assert refused.status_code == 422 and "Please enter the code" in page_text(refused)
    with app.app_context():
        assert verify_password(load(user.id).password_hash, PASSWORD)

    done = submit(client, "/account", "/account/password", {**change, "code": clock.code(secret)})
    assert done.status_code == 302
    with app.app_context():
        assert verify_password(load(user.id).password_hash, "brand new secret")


def test_account_deletion_asks_a_two_factor_user_for_a_code(app, client, forms, make, clock):
    user = make.user(locale="en")
    _logged_in_with_code(app, forms, user, clock)
    data = {"password": PASSWORD, "confirmation": user.email, "code": "123456"}
    refused = submit(client, "/account/privacy", "/account/delete", data)
    assert refused.status_code == 422 and "This code is not valid" in page_text(refused)
    with app.app_context():
        assert load(user.id).erased_at is None


def test_enrolment_and_switching_off_through_the_pages(app, client, forms, make, clock, auth):
    user = make.user(locale="en")
    auth.login(user)
    page = client.get("/account/two-factor")
    body = page_text(page)
    secret = re.search(r"secret=([A-Z2-7]+)", page.get_data(as_text=True)).group(1)
    assert "otpauth://totp/" in page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page.get_data(as_text=True)
    assert "Cannot scan?" in body
    again = client.get("/account/two-factor").get_data(as_text=True)
    assert f"secret={secret}" in again  # the same QR code on every visit until confirmed

    done = submit(
        client, "/account/two-factor", "/account/two-factor/enable", {"code": clock.code(secret)}
    )
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert secret not in page_text(client.get("/account/two-factor"))  # never shown again

    clock.tick()
    off = submit(
        client,
        "/account/two-factor",
        "/account/two-factor/disable",
        {"off-current_password": PASSWORD, "off-code": clock.code(secret)},
    )
    assert off.status_code == 302
    with app.app_context():
        assert not twofactor.is_enabled(load(user.id))


# --- the circle setting -------------------------------------------------------------


def _settings(client, circle_id: int, **changes):
    """Send the circle's settings form (as the page fills it in) with ``changes``."""
    page = f"/circles/{circle_id}/settings"
    response = client.get(page)
    assert response.status_code == 200
    form = page_forms(response.get_data(as_text=True))[-1]
    assert "require_two_factor" in form["fields"]
    payload = {k: v for k, v in form["fields"].items() if v is not None}
    selects = {"meeting_weekday": "2", "timezone": "Europe/Berlin", "currency": "EUR"}
    return client.post(page, data={**payload, **selects, **changes})


def test_a_circle_can_require_two_factor_of_whoever_sees_money_or_prospects(
    app, client, forms, make, clock, auth
):
    admin = make.user(locale="en")
    circle = make.circle(admin=admin)
    treasurer = make.officer(make.member(circle, make.user(locale="en")), "secretary_treasurer")
    plain = make.member(circle)

    auth.login(admin)
    refused = _settings(client, circle.id, require_two_factor="y")
    assert refused.status_code == 422
    assert "Switch on two-factor login for your own account first" in page_text(refused)
    auth.logout()

    _logged_in_with_code(app, forms, admin, clock)
    assert _settings(client, circle.id, require_two_factor="y").status_code == 302
    with app.app_context():
        assert db.session.get(Circle, circle.id).require_two_factor
    auth.logout()

    auth.login(treasurer.user)  # manage_dues: sees everyone's payments
    sent = client.get(f"/circles/{circle.id}")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/account/two-factor")
    assert "requires two-factor login for your role" in page_text(client.get("/account/two-factor"))
    assert client.get(f"/circles/{circle.id}/dues/admin").status_code == 302
    assert client.get("/circles").status_code == 200  # other pages stay open
    auth.logout()

    auth.login(plain.user)  # a plain member sees neither money of others nor prospects
    assert client.get(f"/circles/{circle.id}").status_code == 200
    auth.logout()

    _logged_in_with_code(app, forms, treasurer.user, clock)
    assert client.get(f"/circles/{circle.id}").status_code == 200


def test_two_factor_stays_on_while_a_circle_requires_it(app, make, ctx, clock):
    admin = make.user(locale="en")
    circle = make.circle(admin=admin)
    user = load(admin.id)
    secret = twofactor.new_secret()
    twofactor.enable(user, secret, clock.code(secret))
    db.session.get(Circle, circle.id).require_two_factor = True
    db.session.flush()
    clock.tick()
    with pytest.raises(Conflict):
        twofactor.disable(user, PASSWORD, clock.code(secret))
    assert twofactor.is_enabled(user)


# --- the migration -------------------------------------------------------------------


def test_revision_0010_adds_and_removes_the_two_factor_schema(tmp_path):
    from flask_migrate import downgrade, upgrade

    app = make_test_app(f"sqlite:///{tmp_path / 'mig.sqlite3'}", tmp_path)
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO circles (id, name, city, timezone, currency, meeting_weekday, "
                    "meeting_time, seat_limit, created_at) VALUES "
                    "(1, 'K', 'Köln', 'Europe/Berlin', 'EUR', 2, '07:00:00', 40, '2026-01-01')"
                )
            )
        upgrade(revision="0010")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT require_two_factor FROM circles")).scalar_one() in (
                0,
                False,
            )
            assert conn.execute(text("SELECT count(*) FROM recovery_codes")).scalar_one() == 0
        downgrade(revision="0009")
        with db.engine.connect() as conn:
            columns = [row[1] for row in conn.execute(text("PRAGMA table_info(circles)"))]
            assert "require_two_factor" not in columns
            assert conn.execute(text("SELECT count(*) FROM circles")).scalar_one() == 1
        db.engine.dispose()


def test_the_api_refuses_a_circle_that_requires_two_factor_of_a_seat_without_it(
    app, make, api, clock
):
    circle = make.circle()
    treasurer = make.officer(make.member(circle, make.user(locale="en")), "secretary_treasurer")
    with app.test_request_context():
        db.session.get(Circle, circle.id).require_two_factor = True
        db.session.commit()
    api.as_user(treasurer.user)
    refused = api.get(f"/api/v1/circles/{circle.id}")
    assert refused.status_code == 403
    assert "requires two-factor login for your role" in refused.get_json()["detail"]
    assert api.get("/api/v1/me").status_code == 200  # the account itself stays reachable

    enrol(app, clock, treasurer.user)
    assert api.get(f"/api/v1/circles/{circle.id}").status_code == 200


@pytest.mark.parametrize(
    "code",
    [
        "\u0661\u0662\u0663\u0664\u0665\u0666",
        "\uff11\uff12\uff13\uff14\uff15\uff16",
        "12345\x00",
        "x" * 32,
        "ä" * 10,
        "-----",
        "   ",
    ],
)
def test_odd_codes_are_refused_without_an_error(app, client, forms, make, clock, code):
    user = make.user(locale="en")
    enrol(app, clock, user)
    log_in_with_password(forms, user)
    response = forms.submit("/login/code", {"code": code})
    assert response.status_code in (200, 422)
    assert not logged_in(client)
