"""The admins' page of a circle's mail deliveries: the waiting count and the mails given
up, with the reason; only this circle's mails, only for who may edit the settings."""

from __future__ import annotations

from tests.mail.support import failed_mail
from tests.pages import plain


def test_an_admin_sees_the_circles_undelivered_mail_and_its_reason(app, client, auth, make):
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin)
    other = make.circle(name="Kreis Anderswo")
    failed_mail(app, circle.id, "tippfehler@example.org")
    failed_mail(app, other.id, "fremd@example.org")
    auth.login(admin)
    html = client.get(f"/circles/{circle.id}/mail").get_data(as_text=True)
    assert "tippfehler@example.org" in html and "fremd@example.org" not in html
    assert "ConnectionRefusedError" in html and "7 attempts" in plain(html)
    assert "0 mails are waiting to go out." in plain(html)


def test_a_plain_member_may_not_and_another_circles_admin_does_not_find_it(app, client, auth, make):
    circle = make.circle()
    member = make.user(name="Mia Mitglied")
    make.member(circle, member, "Bäckerei")
    outsider = make.user(name="Otto Anders")
    make.circle(admin=outsider, name="Kreis Anders")
    auth.login(member)
    assert client.get(f"/circles/{circle.id}/mail").status_code == 403
    auth.logout()
    auth.login(outsider)
    assert client.get(f"/circles/{circle.id}/mail").status_code == 404
