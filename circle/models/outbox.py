"""The mail outbox: every mail is a row written in the transaction of the change it is
about, and delivered afterwards by the worker (``circle.mail.outbox``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime

#: pending: waits for (another) attempt; sent: handed to the mail server; failed: every
#: attempt failed (an admin sees it with its reason).
OUTBOX_STATUSES = ("pending", "sent", "failed")


class OutboxMail(Base):
    """One mail on its way: the whole message until it is delivered, then only its
    envelope (recipient, subject, Message-ID) for the record.

    The message is kept only while it waits: a mail may carry a one-time link (password
    reset, invitation), and such a token is stored in plain text nowhere else. Once sent
    or given up, ``message`` is emptied.
    """

    __tablename__ = "outbox_mails"
    __table_args__ = (
        CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in OUTBOX_STATUSES)),
            name="status",
        ),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("status = 'pending' OR message IS NULL", name="message_only_pending"),
        # The worker's question: which pending mails are due? (a partial index: the sent
        # ones, nearly all rows, are not in it)
        Index(
            "ix_outbox_mails_due",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # An admin's list of the circle's failed deliveries.
        Index(
            "ix_outbox_mails_circle_failed",
            "circle_id",
            "id",
            postgresql_where=text("status = 'failed'"),
            sqlite_where=text("status = 'failed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The circle the mail is about, when it is about one (no foreign key: the outbox
    #: stays a plain table when the circle tables are distributed by circle).
    circle_id: Mapped[int | None] = mapped_column(Integer())
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(998))
    message: Mapped[bytes | None] = mapped_column(LargeBinary())
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer(), default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
