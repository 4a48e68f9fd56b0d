"""Outgoing mail: SMTP in production, an outbox directory of .eml files in dev/test."""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from circle.core.clock import utcnow
from circle.extensions import db
from circle.mail import outbox
from circle.models import Circle

log = logging.getLogger("circle.mail")


#: How many messages this process made (see ``message_id``).
_MADE = itertools.count()
#: Characters that may not stand in a header value as they are (C0, DEL, C1, separators).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def send_mail(
    to: str,
    subject: str,
    body: str,
    *,
    circle_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Send a mail: put it in the outbox in the open transaction.

    It goes out once that transaction commits (the worker delivers it, with retries), and
    never when it rolls back: a mail about an entry leaves only once the entry is saved.
    ``circle_id`` names the circle the mail is about (its admins see a failed delivery;
    its name heads the mail). The mail has the text ``body`` and the same as HTML
    (``html_part``), in the language of the caller's ``force_locale``; ``headers`` are
    further header lines (a reminder's ``List-Unsubscribe``).
    """
    message = EmailMessage()  # policy.default: RFC 2047 encoding, folding
    message["From"] = header_value(current_app.config["MAIL_FROM"])
    message["To"] = header_value(to)
    message["Subject"] = header_value(subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id()
    for name, value in (headers or {}).items():
        message[name] = header_value(value)
    message.set_content(body)
    message.add_alternative(html_part(subject, body, circle_id), subtype="html")
    outbox.keep(message, circle_id)
    return message


@cache
def _own_link(base_url: str) -> re.Pattern:
    """A link into the site (``BASE_URL``): only these become clickable in the HTML part;
    any other address a member typed into a note stays text."""
    return re.compile(re.escape(base_url.rstrip("/")) + r"/[^\s<>\"']*")


def html_part(subject: str, body: str, circle_id: int | None) -> str:
    """The HTML form of a text mail: its paragraphs, the app's own links clickable, the
    circle's name on top and a line on why the reader gets it; every text escaped."""
    circle = db.session.get(Circle, circle_id) if circle_id is not None else None
    link = _own_link(current_app.config["BASE_URL"])
    paragraphs = [
        Markup("<br>\n").join(_linked(line, link) for line in block.split("\n"))
        for block in re.split(r"\n\s*\n", body.strip())
        if block.strip()
    ]
    if circle is not None:
        footer = _("You get this mail as a member of %(circle)s on Circle.", circle=circle.name)
    else:
        footer = _("You get this mail from Circle.")
    return render_template(
        "mail/message.html",
        lang=str(get_locale() or "en"),
        subject=subject,
        heading=circle.name if circle is not None else "Circle",
        paragraphs=paragraphs,
        footer=footer,
    )


def _linked(line: str, link: re.Pattern) -> Markup:
    """One line of text, escaped, with the app's own links as anchors."""
    out, last = Markup(""), 0
    for found in link.finditer(line):
        out += escape(line[last : found.start()])
        out += Markup('<a href="{0}" style="color:#0f766e;">{0}</a>').format(found.group(0))
        last = found.end()
    return out + escape(line[last:])


def message_id() -> str:
    """A new Message-ID that sorts by when it was made (the dev outbox's file order; the
    process's own count keeps the order when the clock stands still, as in tests)."""
    return f"<{utcnow():%Y%m%dT%H%M%S%f}.{next(_MADE):08d}.{secrets.token_hex(8)}@circle.local>"


def header_value(value: object) -> str:
    """``value`` as one header line: control characters (CR, LF, tab ...) become spaces.

    A name or subject can then never start a header of its own; the message's policy
    encodes what is not ASCII (RFC 2047) and folds long lines.
    """
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def deliver(message: EmailMessage) -> None:
    """Hand one message to SMTP (``MAIL_URL``) or write it to the outbox directory."""
    url = current_app.config.get("MAIL_URL")
    if url:
        _send_smtp(url, message)
    else:
        _write_outbox(Path(current_app.config["MAIL_OUTBOX"]), message)


def _write_outbox(folder: Path, message: EmailMessage) -> None:
    """Store the message as an .eml file named by its Message-ID (a second delivery of the
    same mail writes the same file) and log where it went."""
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^0-9A-Za-z.]", "", str(message["Message-ID"]).split("@")[0])
    path = folder / f"{name}.eml"
    path.write_bytes(message.as_bytes())
    log.info("mail to %s (%s) written to %s", message["To"], message["Subject"], path)


def _send_smtp(url: str, message: EmailMessage) -> None:
    """Deliver via ``smtp://user:pass@host:587`` (STARTTLS) or ``smtps://`` (TLS)."""
    parts = urlsplit(url)
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            parts.hostname or "localhost", parts.port or 465, context=context, timeout=20
        )
    else:
        server = smtplib.SMTP(parts.hostname or "localhost", parts.port or 587, timeout=20)
    with server:
        if parts.scheme == "smtp" and "starttls=false" not in parts.query:
            server.starttls(context=context)
        if parts.username:
            server.login(unquote(parts.username), unquote(parts.password or ""))
        server.send_message(message)


def external_url(endpoint: str, **values) -> str:
    """An absolute link (mails, Stripe's return pages, calendar links) on ``BASE_URL``.

    Only the configuration names the site: never the request's ``Host`` or
    ``X-Forwarded-Host``, which anyone can send.
    """
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def site_host() -> str:
    """The host name of ``BASE_URL`` (calendar event ids): never the request's host."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "circle"
