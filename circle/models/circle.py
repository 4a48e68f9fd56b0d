"""A circle (chapter): a closed group with a seat limit of at most 40."""

from __future__ import annotations

import secrets
from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    SmallInteger,
    String,
    Time,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime

MAX_SEATS = 40


def new_stamp() -> int:
    """A fresh random value for ``Circle.slips_stamp`` (63 bits: a positive BIGINT)."""
    return secrets.randbits(63)


class Circle(Base):
    """A circle with its meeting rhythm, currency, time zone and seat limit."""

    __tablename__ = "circles"
    __table_args__ = (
        CheckConstraint(f"seat_limit BETWEEN 1 AND {MAX_SEATS}", name="seat_limit"),
        CheckConstraint("meeting_weekday BETWEEN 0 AND 6", name="meeting_weekday"),
        CheckConstraint("length(currency) = 3", name="currency"),
        CheckConstraint("lopsided_threshold_pct BETWEEN 1 AND 100", name="lopsided_threshold"),
        CheckConstraint("absence_limit BETWEEN 0 AND 52", name="absence_limit"),
        CheckConstraint("absence_window_months BETWEEN 1 AND 24", name="absence_window"),
        CheckConstraint("visitor_max_visits BETWEEN 1 AND 10", name="visitor_max_visits"),
        CheckConstraint("meeting_minutes BETWEEN 15 AND 480", name="meeting_minutes"),
        CheckConstraint("prospect_retention_months BETWEEN 1 AND 120", name="prospect_retention"),
        CheckConstraint(
            "score_red_min <= score_yellow_min AND score_yellow_min <= score_green_min "
            "AND score_red_min >= 0 AND score_green_min <= 100",
            name="score_thresholds",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(120), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    meeting_weekday: Mapped[int] = mapped_column(SmallInteger, default=2)
    meeting_time: Mapped[time] = mapped_column(Time, default=time(7, 0))
    seat_limit: Mapped[int] = mapped_column(SmallInteger, default=MAX_SEATS)
    #: Whether a thanked giver is told the amount (BNI hides it).
    show_thank_amount: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: A pair counts as lopsided from this lopsidedness on, in percent (0.8 = 80).
    lopsided_threshold_pct: Mapped[int] = mapped_column(
        SmallInteger, default=80, server_default=text("80")
    )
    #: Whether plain members see the revenue of pairs they are not part of.
    revenue_open_to_members: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    #: Where the weekly meeting takes place, and/or a video link.
    meeting_place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    meeting_link: Mapped[str] = mapped_column(String(500), default="", server_default="")
    meeting_minutes: Mapped[int] = mapped_column(
        SmallInteger, default=90, server_default=text("90")
    )
    #: A seat is at risk with more than this many absences within the rolling window.
    absence_limit: Mapped[int] = mapped_column(SmallInteger, default=3, server_default=text("3"))
    absence_window_months: Mapped[int] = mapped_column(
        SmallInteger, default=6, server_default=text("6")
    )
    #: Whether a late arrival counts as half an absence.
    late_counts_half: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: How often a visitor may attend before applying.
    visitor_max_visits: Mapped[int] = mapped_column(
        SmallInteger, default=2, server_default=text("2")
    )
    #: The member score's point table (None: BNI's "Power of One" default).
    score_table: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Traffic-light thresholds of the member score (points out of 100).
    score_green_min: Mapped[int] = mapped_column(
        SmallInteger, default=70, server_default=text("70")
    )
    score_yellow_min: Mapped[int] = mapped_column(
        SmallInteger, default=50, server_default=text("50")
    )
    score_red_min: Mapped[int] = mapped_column(SmallInteger, default=30, server_default=text("30"))
    #: Prospect details on referrals (third parties) are erased after this many months.
    prospect_retention_months: Mapped[int] = mapped_column(
        SmallInteger, default=24, server_default=text("24")
    )
    #: Whether everyone who sees money or prospects' details here must use two-factor login.
    require_two_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Changes (to a new random number) with every slip written, corrected or voided
    #: (``circle.balance.totals.add_slips``): a balance computed under one stamp holds
    #: until the stamp changes (``circle.balance.services.compute``).
    slips_stamp: Mapped[int] = mapped_column(
        BigInteger, default=new_stamp, server_default=text("0")
    )
    #: Changes (to a new random number) with every write to the circle's data: its own
    #: row (``slips_stamp`` too), members, roles, meetings, attendance, one-to-ones,
    #: education, visitors, dues, the audit trail, its members' names and profiles. Kept
    #: by database triggers (migration 0031), never by the app: a result computed from
    #: the circle's data under one stamp holds until the stamp changes.
    data_stamp: Mapped[int] = mapped_column(BigInteger, default=new_stamp, server_default=text("0"))

    def __repr__(self) -> str:
        return f"<Circle {self.id} {self.name}>"
