"""Password rules (ASVS 5.0 V6.2): length, the shipped list of common passwords, argon2id
parameters and the upgrade of outdated hashes at login."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from circle.auth.passwords import COMMON_PASSWORDS, is_common_password
from circle.auth.services import UNUSABLE_PASSWORD
from circle.core import security
from circle.core.clock import utcnow
from circle.core.security import hash_password, verify_password
from circle.extensions import db
from circle.models import User
from tests.factories import PASSWORD

ARGON2_PARAMS = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def html(response) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)


def stored_hash(app, email: str) -> str | None:
    """The password hash stored for an address, None when there is no such account."""
    with app.app_context():
        return db.session.execute(
            select(User.password_hash).where(User.email == email)
        ).scalar_one_or_none()


def register(forms, password: str, email: str = "petra@example.org"):
    """Submit the registration form with ``password`` twice."""
    return forms.submit(
        "/register",
        {
            "name": "Petra Pharma",
            "email": email,
            "password": password,
            "password_repeat": password,
            "locale": "en",
        },
    )


# --- the shipped list ----------------------------------------------------------------


def test_the_common_password_list_is_shipped_with_source_and_licence():
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    entries = [line for line in lines if line and not line.startswith("#")]
    assert "zxcvbn" in header
    assert "MIT" in header
    assert 9_000 <= len(entries) <= 11_000
    assert len(set(entries)) == len(entries)


def test_common_passwords_are_recognised_in_any_case():
    assert is_common_password("password1")
    assert is_common_password("PassWord1")
    assert is_common_password(" iloveyou ")
    assert is_common_password("passwort")  # the German one is on the list too
    assert not is_common_password(PASSWORD)
    assert not is_common_password("Apotheke am Dom 1996")


# --- rules on every way a password is chosen --------------------------------------------


def test_registration_refuses_a_common_password_and_creates_nothing(app, forms):
    response = register(forms, "Password1")
    assert response.status_code == 422
    assert "on the list of the most common passwords" in html(response)
    assert stored_hash(app, "petra@example.org") is None


def test_registration_refuses_seven_characters_and_accepts_sixty_four(app, client, forms):
    assert register(forms, "k7#Lq2z").status_code == 422
    long_password = "Unsere Apotheke am Dom hat seit 1996 jeden Samstag geöffnet! 42x"
    assert len(long_password) == 64
    assert register(forms, long_password).status_code == 302
    assert verify_password(stored_hash(app, "petra@example.org"), long_password)


def test_api_registration_refuses_a_common_password(app, client):
    response = client.post(
        "/api/v1/users",
        json={"email": "petra@example.org", "password": "qwertyuiop", "name": "Petra"},
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_error"
    assert "password" in body["errors"]
    assert stored_hash(app, "petra@example.org") is None


def test_password_change_refuses_a_common_password(app, make, auth, forms):
    user = make.user(locale="en")
    auth.login(user)
    response = forms.submit(
        "/account",
        {
            "current_password": PASSWORD,
            "password": "IloveYou",
            "password_repeat": "IloveYou",
        },
        action="/account/password",
    )
    assert response.status_code == 422
    assert "on the list of the most common passwords" in html(response)
    assert verify_password(stored_hash(app, user.email), PASSWORD)


# --- hashing -----------------------------------------------------------------------------


@pytest.mark.real_password_cost
def test_hashes_are_argon2id_with_at_least_the_asvs_parameters():
    match = ARGON2_PARAMS.match(hash_password("ein langes Geheimnis"))
    assert match, "not an argon2id hash"
    memory_kib, passes, _lanes = (int(n) for n in match.groups())
    assert memory_kib >= 19_456
    assert passes >= 2


@pytest.mark.real_password_cost
def test_login_upgrades_a_hash_made_with_weaker_parameters(app, client, make, auth):
    user = make.user()
    weak = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1).hash(PASSWORD)
    with app.app_context():
        db.session.get(User, user.id).password_hash = weak
        db.session.commit()
    assert auth.login(user).status_code == 302
    upgraded = stored_hash(app, user.email)
    assert upgraded != weak
    assert (
        ARGON2_PARAMS.match(upgraded).groups() == ARGON2_PARAMS.match(hash_password("x")).groups()
    )
    assert verify_password(upgraded, PASSWORD)


# --- the same work in every login branch (issue 12, item 11) -----------------------------


class CountingHasher(PasswordHasher):
    """argon2 with today's parameters that records every hash it verifies against."""

    def __init__(self, like: PasswordHasher):
        super().__init__(
            time_cost=like.time_cost,
            memory_cost=like.memory_cost,
            parallelism=like.parallelism,
        )
        self.verified: list[str] = []

    def verify(self, hash, password):
        """Record the hash, then verify for real."""
        self.verified.append(hash)
        return super().verify(hash, password)


@pytest.mark.real_password_cost
def test_every_login_branch_spends_one_full_argon2_check(app, make, forms, monkeypatch):
    real = security._hasher
    hasher = CountingHasher(real)
    monkeypatch.setattr(security, "_hasher", hasher)
    user = make.user()
    invited = make.user()
    erased = make.user()
    with app.app_context():
        db.session.get(User, invited.id).password_hash = UNUSABLE_PASSWORD
        gone = db.session.get(User, erased.id)
        gone.password_hash, gone.erased_at = UNUSABLE_PASSWORD, utcnow()
        db.session.commit()
    attempts = {
        "unknown account": ("nobody@example.org", PASSWORD),
        "account without a password yet": (invited.email, PASSWORD),
        "erased account": (erased.email, PASSWORD),
        "wrong password": (user.email, "wrong password"),
        "right password": (user.email, PASSWORD),
    }
    for branch, (email, password) in attempts.items():
        hasher.verified.clear()
        forms.submit("/login", {"email": email, "password": password})
        assert len(hasher.verified) == 1, branch
        params = extract_parameters(hasher.verified[0])
        assert (params.time_cost, params.memory_cost, params.parallelism) == (
            real.time_cost,
            real.memory_cost,
            real.parallelism,
        ), branch


def test_every_password_check_goes_through_the_one_throttled_function():
    """Only ``passwords.check_password`` calls ``verify_password`` (issue 12, item 12)."""
    package = Path(security.__file__).resolve().parent
    allowed = {package / "security.py", package / "auth" / "passwords.py"}
    callers = [
        str(path.relative_to(package.parent))
        for path in sorted(package.rglob("*.py"))
        if path not in allowed and "verify_password" in path.read_text(encoding="utf-8")
    ]
    assert callers == []
