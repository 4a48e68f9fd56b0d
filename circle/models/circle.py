"""A circle (chapter): a closed group with a seat limit of at most 40."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, CheckConstraint, SmallInteger, String, Time, false, text, true
from sqlalchemy.orm import Mapped, mapped_column

from circle.db import Base, UTCDateTime, utcnow

MAX_SEATS = 40


class Circle(Base):
    """A circle with its meeting rhythm, currency, time zone and seat limit."""

    __tablename__ = "circles"
    __table_args__ = (
        CheckConstraint(f"seat_limit BETWEEN 1 AND {MAX_SEATS}", name="seat_limit"),
        CheckConstraint("meeting_weekday BETWEEN 0 AND 6", name="meeting_weekday"),
        CheckConstraint("length(currency) = 3", name="currency"),
        CheckConstraint("lopsided_threshold_pct BETWEEN 1 AND 100", name="lopsided_threshold"),
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Circle {self.id} {self.name}>"
