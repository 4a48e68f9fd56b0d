"""Every mail has a plain-text and an HTML part (issue 16, item 3): the same paragraphs,
the app's own links clickable and no other, everything a member typed escaped, the
circle's name on top, and a line on why the reader gets it, in the reader's language."""

from __future__ import annotations

from flask_babel import force_locale

from circle.extensions import db
from circle.mail.send import send_mail


def test_the_html_part_says_the_same_safely_with_the_circle_and_its_links(app, make, outbox):
    circle = make.circle(name="Kreis Köln-Süd")
    body = (
        "Fritz <script>alert(1)</script> gave you a referral.\n"
        "Note: see https://evil.example/phish\n\n"
        "Open it: http://circle.test/circles/1/week"
    )
    with app.test_request_context(), force_locale("de"):
        send_mail("paula@example.org", "Neue Empfehlung", body, circle_id=circle.id)
        db.session.commit()
    [mail] = outbox()
    assert mail.get_content_type() == "multipart/alternative"
    assert mail.get_body(("plain",)).get_content().strip() == body
    html = mail.get_body(("html",)).get_content()
    assert '<html lang="de">' in html and "Kreis Köln-Süd" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert '<a href="http://circle.test/circles/1/week"' in html
    assert "evil.example/phish" in html and 'href="https://evil.example' not in html
    assert "als Mitglied von Kreis Köln-Süd" in html  # why, in the reader's language
    assert html.count("<p") == 4  # heading, two paragraphs, footer


def test_a_mail_about_no_circle_is_signed_by_circle(app, outbox):
    with app.test_request_context():
        send_mail("nora@example.org", "Confirm your address", "Hello Nora")
        db.session.commit()
    html = outbox()[0].get_body(("html",)).get_content()
    assert "Hello Nora" in html and "You get this mail from Circle." in html
