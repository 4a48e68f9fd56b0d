"""Dues: a circle's plan, members' payments (Stripe or recorded by hand), Stripe state.

Money is integer minor units plus currency. A payment covers a period and is never
deleted; Stripe events are stored under their id so a duplicate delivery has no effect.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime
from circle.models.membership import Membership

DUES_INTERVALS = ("month", "year")
PAYMENT_SOURCES = ("stripe", "manual")


def _member_fk(table: str) -> ForeignKeyConstraint:
    """``(circle_id, membership_id) -> memberships(circle_id, id)``."""
    return ForeignKeyConstraint(
        ["circle_id", "membership_id"],
        ["memberships.circle_id", "memberships.id"],
        name=f"fk_{table}_membership_id_memberships",
    )


class DuesPlan(Base):
    """What a circle's members pay, how often, and how long a late payment is tolerated."""

    __tablename__ = "dues_plans"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("joining_fee_minor >= 0", name="joining_fee"),
        CheckConstraint("interval IN ('month', 'year')", name="interval"),
        CheckConstraint("grace_days BETWEEN 0 AND 90", name="grace_days"),
        CheckConstraint("length(currency) = 3", name="currency"),
        # Target of the payments' composite foreign key.
        UniqueConstraint("circle_id", "id", name="uq_dues_plans_circle_id_id"),
        # One plan in force per circle; old plans stay for the payments that used them.
        Index(
            "uq_dues_plans_current",
            "circle_id",
            unique=True,
            sqlite_where=text("archived_at IS NULL"),
            postgresql_where=text("archived_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    interval: Mapped[str] = mapped_column(String(8))
    joining_fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    grace_days: Mapped[int] = mapped_column(SmallInteger, default=14)
    stripe_product_id: Mapped[str | None] = mapped_column(String(64))
    stripe_price_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Payment(Base):
    """A payment of dues for a period: confirmed by Stripe's webhook or recorded by hand."""

    __tablename__ = "payments"
    __table_args__ = (
        _member_fk("payments"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("length(currency) = 3", name="currency"),
        CheckConstraint("source IN ('stripe', 'manual')", name="source"),
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint(
            "source <> 'stripe' OR stripe_invoice_id IS NOT NULL", name="stripe_reference"
        ),
        ForeignKeyConstraint(
            ["circle_id", "plan_id"],
            ["dues_plans.circle_id", "dues_plans.id"],
            name="fk_payments_plan_id_dues_plans",
        ),
        # A Stripe invoice pays once, however often its webhook arrives (it finds its
        # circle through the subscription; the webhook asks by the invoice id alone).
        UniqueConstraint(
            "stripe_invoice_id", "circle_id", name="uq_payments_stripe_invoice_id_circle_id"
        ),
        Index(
            "ix_payments_circle_id_membership_id_period_end",
            "circle_id",
            "membership_id",
            "period_end",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    membership_id: Mapped[int] = mapped_column()
    plan_id: Mapped[int | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(8))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    membership: Mapped[Membership] = relationship(
        foreign_keys=[circle_id, membership_id], viewonly=True, lazy="joined"
    )


class DuesSubscription(Base):
    """A member's Stripe customer and subscription, as the webhooks last described it."""

    __tablename__ = "dues_subscriptions"
    __table_args__ = (
        _member_fk("dues_subscriptions"),
        UniqueConstraint("circle_id", "membership_id", name="uq_dues_subscriptions_member"),
        # Stripe's webhooks name the subscription alone: its id leads.
        UniqueConstraint(
            "stripe_subscription_id",
            "circle_id",
            name="uq_dues_subscriptions_stripe_subscription_id_circle_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    membership_id: Mapped[int] = mapped_column()
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64))
    checkout_session_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(32), default="incomplete")
    current_period_end: Mapped[date | None] = mapped_column(Date)
    #: Stripe's ``created`` of the newest event applied, so an older one never overwrites it.
    last_event_created: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class StripeEvent(Base):
    """A webhook event, stored under Stripe's id: inserting it twice fails, so it acts once."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    created: Mapped[int] = mapped_column(Integer)
    livemode: Mapped[bool] = mapped_column(default=False)
    handled: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DuesReminderSent(Base):
    """One overdue-dues reminder per member and due day: a run that finds it sends none
    (the member pays and falls due again later: a new due day, a new reminder)."""

    __tablename__ = "dues_reminders_sent"
    __table_args__ = (
        ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_dues_reminders_sent_membership_id_memberships",
        ),
    )

    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"), primary_key=True)
    membership_id: Mapped[int] = mapped_column(primary_key=True)
    due_since: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
