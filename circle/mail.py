"""Outgoing mail: SMTP in production, an outbox directory of .eml files in dev/test."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, url_for

from circle.db import utcnow

log = logging.getLogger(__name__)


def send_mail(to: str, subject: str, body: str) -> EmailMessage:
    """Send a plain-text mail; returns the message that was sent or stored."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="circle.local")
    message.set_content(body)
    url = current_app.config.get("MAIL_URL")
    if url:
        _send_smtp(url, message)
    else:
        _write_outbox(Path(current_app.config["MAIL_OUTBOX"]), message)
    return message


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
    """An absolute link for mails, using ``BASE_URL`` when configured."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
