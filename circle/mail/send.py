"""Outgoing mail: SMTP in production, an outbox directory of .eml files in dev/test."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, url_for
from sqlalchemy import event
from sqlalchemy.orm import Session

from circle.core.clock import utcnow
from circle.extensions import db

log = logging.getLogger("circle.mail")


#: Where a session keeps the mails of its open transaction until it commits.
PENDING = "circle.pending_mail"
#: Set once the open transaction has written something (a mail may be about it).
WROTE = "circle.wrote"
#: Characters that may not stand in a header value as they are (C0, DEL, C1, separators).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def send_mail(to: str, subject: str, body: str, *, after_commit: bool = True) -> EmailMessage:
    """Send a plain-text mail; returns the message that was sent or stored.

    Once the open transaction has written something, the mail waits for its commit: a
    mail about an entry goes out only once the entry is saved, and never when the request
    rolls back. A transaction that only read (a password reset link) sends at once, as does
    ``after_commit=False`` (a sender that must see the failure itself).
    """
    message = EmailMessage()  # policy.default: RFC 2047 encoding, folding
    message["From"] = header_value(current_app.config["MAIL_FROM"])
    message["To"] = header_value(to)
    message["Subject"] = header_value(subject)
    message["Message-ID"] = make_msgid(domain="circle.local")
    message.set_content(body)
    session = db.session()
    if after_commit and session.in_transaction() and session.info.get(WROTE):
        session.info.setdefault(PENDING, []).append(message)
    else:
        deliver(message)
    return message


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


@event.listens_for(Session, "after_flush")
def _note_write(session: Session, _flush_context) -> None:
    """Remember that the open transaction wrote: its mails wait for the commit."""
    session.info[WROTE] = True


@event.listens_for(Session, "after_commit")
def _deliver_pending(session: Session) -> None:
    """Send the mails of the transaction that just committed; a failure is logged, the
    saved data stays saved."""
    session.info.pop(WROTE, None)
    for message in session.info.pop(PENDING, []):
        try:
            deliver(message)
        except Exception:  # the commit happened; the mail is lost, not the entry
            log.exception("mail to %s (%s) could not be sent", message["To"], message["Subject"])


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    """A rolled-back transaction sends nothing."""
    session.info.pop(WROTE, None)
    session.info.pop(PENDING, None)


def _write_outbox(outbox: Path, message: EmailMessage) -> None:
    """Store the message as an .eml file and log where it went."""
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
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
