"""Mail headers are always one encoded line (issue 12, item 14): a name or subject holding
CR/LF or other control characters can never add a header, and non-ASCII is encoded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from circle.extensions import db as _db
from circle.mail.send import header_value, send_mail
from circle.models import Circle
from tests.meetings.chapter import record_attendance

HOSTILE = "Löwen\r\nBcc: victim@evil.example\r\n\r\nfake body"


def test_a_circle_name_with_cr_lf_in_the_database_cannot_inject_headers(
    app, make, auth, forms, outbox
):
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin)
    fritz = make.member(circle, make.user(name="Fritz Foto", locale="en"), profession="Fotograf")
    for member_id in (fritz.id, make.admin_seat(circle).id):
        make.joined(make.reload_membership(member_id), datetime(2024, 1, 1, tzinfo=UTC))
    with app.app_context():  # as if written before the input check existed
        _db.session.execute(update(Circle).where(Circle.id == circle.id).values(name=HOSTILE))
        _db.session.commit()
    meeting = make.meeting(circle, datetime.now(ZoneInfo("Europe/Berlin")).date() - timedelta(7))
    auth.login(admin)
    response = record_attendance(forms, circle, meeting, {fritz.id: "A"})
    assert response.status_code == 302
    (mail,) = [m for m in outbox() if m["To"] == fritz.user.email]
    assert mail["Subject"] == "Absence noted in Löwen Bcc: victim@evil.example fake body"
    assert mail["Bcc"] is None
    head = mail.as_bytes().split(b"\n\n", 1)[0]  # the header block
    assert b"\nBcc:" not in head and b"\nfake body" not in head


def test_every_header_is_one_line_and_non_ascii_is_encoded(app, ctx, outbox):
    app.config["MAIL_FROM"] = "Circle Grüße\r\nX-Evil: 1 <no-reply@circle.test>"
    send_mail("anna@example.org\nCc: b@evil.example", "Grüße\taus\x00Köln\u2028!", "Hallo")
    (mail,) = outbox()
    raw = mail.as_bytes().split(b"\n\n", 1)[0]
    assert raw.isascii()  # RFC 2047 encoded words, no raw UTF-8 in the header block
    assert mail["X-Evil"] is None and mail["Cc"] is None
    assert mail["Subject"] == "Grüße aus Köln !"
    assert header_value(" a\r\n\r\n b\x85c ") == "a b c"
