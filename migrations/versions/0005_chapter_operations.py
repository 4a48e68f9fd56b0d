"""Running a chapter: officer roles, meetings and attendance, weekly report locks,
visitors and applications, one-to-ones, education credits, reminders.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

Reviewed by hand. What the database guarantees:
- every row of a circle carries circle_id, and every reference to a membership, meeting or
  visitor is a composite foreign key with circle_id: attendance, visits, roles, one-to-ones
  and credits can never join two circles;
- one attendance per member and meeting; codes P/A/L/M/S, a substitute's name exactly
  when the code is S;
- one meeting per circle and day; a cancelled meeting carries its cancellation time;
- one lock per circle and week; one reminder per member and week (idempotent sending);
- one-to-ones stored once per pair and day (lower membership id first, CHECK);
- an officer role at most once per membership; a visitor at most once per meeting;
- circle settings within sane bounds (absence rule, visits, score thresholds in order);
- the audit trail's action list grows by the chapter actions (lock, correct, grant, ...).
"""

import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

AUDIT_ACTIONS = (
    "create",
    "edit",
    "status",
    "void",
    "import",
    "correct",
    "lock",
    "grant",
    "revoke",
    "cancel",
    "decide",
    "record",
)


@contextmanager
def _quiet_reflection():
    """SQLite's batch copy of memberships reflects users, whose e-mail index is an
    expression SQLAlchemy cannot reflect; the batch keeps that index untouched anyway."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        yield


def _in(values: tuple[str, ...]) -> str:
    """``action IN ('a', 'b')`` for the audit trail's CHECK constraint."""
    return "action IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("video_link", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("cancel_reason", sa.String(length=200), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)",
            name=op.f("ck_meetings_cancelled"),
        ),
        sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name=op.f("ck_meetings_status")),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_meetings_circle_id_circles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("circle_id", "held_on", name="uq_meetings_circle_id_held_on"),
        sa.UniqueConstraint("circle_id", "id", name="uq_meetings_circle_id_id"),
    )
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=1), nullable=False),
        sa.Column("substitute_name", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("absence_notice", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(code = 'S') = (substitute_name <> '')", name=op.f("ck_attendance_substitute")
        ),
        sa.CheckConstraint("code IN ('P', 'A', 'L', 'M', 'S')", name=op.f("ck_attendance_code")),
        sa.ForeignKeyConstraint(
            ["circle_id", "meeting_id"],
            ["meetings.circle_id", "meetings.id"],
            name="fk_attendance_meeting_id_meetings",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_attendance_membership_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_attendance_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_attendance_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("circle_id", "id", name="uq_attendance_circle_id_id"),
        sa.UniqueConstraint(
            "meeting_id", "membership_id", name="uq_attendance_meeting_id_membership_id"
        ),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attendance_circle_id_membership_id", ["circle_id", "membership_id"], unique=False
        )

    op.create_table(
        "education_credits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("source_key", sa.String(length=64), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(voided_at IS NULL) = (void_reason IS NULL)",
            name=op.f("ck_education_credits_void_reason"),
        ),
        sa.CheckConstraint("minutes BETWEEN 1 AND 1440", name=op.f("ck_education_credits_minutes")),
        sa.ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_education_credits_membership_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_education_credits_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_education_credits_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_education_credits_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_credits")),
        sa.UniqueConstraint("circle_id", "id", name="uq_education_credits_circle_id_id"),
        sa.UniqueConstraint(
            "circle_id", "source_key", name="uq_education_credits_circle_id_source_key"
        ),
    )
    with op.batch_alter_table("education_credits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_education_credits_circle_id_membership_id_completed_on",
            ["circle_id", "membership_id", "completed_on"],
            unique=False,
        )

    op.create_table(
        "membership_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('president', 'vice_president', 'secretary_treasurer', "
            "'membership_committee', 'visitor_host')",
            name=op.f("ck_membership_roles_role"),
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_membership_roles_membership_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_membership_roles_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["users.id"], name=op.f("fk_membership_roles_granted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_roles")),
        sa.UniqueConstraint("membership_id", "role", name="uq_membership_roles_membership_id_role"),
    )
    op.create_table(
        "one_to_ones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("member_a_id", sa.Integer(), nullable=False),
        sa.Column("member_b_id", sa.Integer(), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("source_key", sa.String(length=64), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(voided_at IS NULL) = (void_reason IS NULL)", name=op.f("ck_one_to_ones_void_reason")
        ),
        sa.CheckConstraint("member_a_id < member_b_id", name=op.f("ck_one_to_ones_ordered_pair")),
        sa.ForeignKeyConstraint(
            ["circle_id", "member_a_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_one_to_ones_member_a_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "member_b_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_one_to_ones_member_b_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_one_to_ones_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_one_to_ones_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_one_to_ones_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_to_ones")),
        sa.UniqueConstraint("circle_id", "id", name="uq_one_to_ones_circle_id_id"),
        sa.UniqueConstraint(
            "circle_id",
            "member_a_id",
            "member_b_id",
            "met_on",
            name="uq_one_to_ones_circle_id_member_a_id_member_b_id_met_on",
        ),
        sa.UniqueConstraint("circle_id", "source_key", name="uq_one_to_ones_circle_id_source_key"),
    )
    with op.batch_alter_table("one_to_ones", schema=None) as batch_op:
        batch_op.create_index(
            "ix_one_to_ones_circle_id_met_on", ["circle_id", "met_on"], unique=False
        )

    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_reminders_sent_membership_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_reminders_sent_circle_id_circles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
        sa.UniqueConstraint(
            "membership_id", "week_start", name="uq_reminders_sent_membership_id_week_start"
        ),
    )
    op.create_table(
        "visitors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("profession_name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("applicant_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id", "applicant_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_visitors_applicant_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "invited_by_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_visitors_invited_by_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_visitors_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_visitors_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitors")),
        sa.UniqueConstraint("circle_id", "id", name="uq_visitors_circle_id_id"),
    )
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visitors_circle_id_invited_by_id", ["circle_id", "invited_by_id"], unique=False
        )

    op.create_table(
        "weekly_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id", "locked_by_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_weekly_reports_locked_by_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_weekly_reports_circle_id_circles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_reports")),
        sa.UniqueConstraint(
            "circle_id", "week_start", name="uq_weekly_reports_circle_id_week_start"
        ),
    )
    op.create_table(
        "visitor_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id", "meeting_id"],
            ["meetings.circle_id", "meetings.id"],
            name="fk_visitor_visits_meeting_id_meetings",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "visitor_id"],
            ["visitors.circle_id", "visitors.id"],
            name="fk_visitor_visits_visitor_id_visitors",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_visitor_visits_circle_id_circles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitor_visits")),
        sa.UniqueConstraint(
            "visitor_id", "meeting_id", name="uq_visitor_visits_visitor_id_meeting_id"
        ),
    )
    with op.batch_alter_table("visitor_visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visitor_visits_circle_id_meeting_id", ["circle_id", "meeting_id"], unique=False
        )

    with _quiet_reflection(), op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("meeting_place", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("meeting_link", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "meeting_minutes", sa.SmallInteger(), server_default=sa.text("90"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "absence_limit", sa.SmallInteger(), server_default=sa.text("3"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "absence_window_months",
                sa.SmallInteger(),
                server_default=sa.text("6"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("late_counts_half", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "visitor_max_visits", sa.SmallInteger(), server_default=sa.text("2"), nullable=False
            )
        )
        batch_op.add_column(sa.Column("score_table", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "score_green_min", sa.SmallInteger(), server_default=sa.text("70"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "score_yellow_min", sa.SmallInteger(), server_default=sa.text("50"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "score_red_min", sa.SmallInteger(), server_default=sa.text("30"), nullable=False
            )
        )
        batch_op.create_check_constraint("absence_limit", "absence_limit BETWEEN 0 AND 52")
        batch_op.create_check_constraint("absence_window", "absence_window_months BETWEEN 1 AND 24")
        batch_op.create_check_constraint(
            "visitor_max_visits", "visitor_max_visits BETWEEN 1 AND 10"
        )
        batch_op.create_check_constraint(
            "score_thresholds",
            "score_red_min <= score_yellow_min AND score_yellow_min <= score_green_min "
            "AND score_red_min >= 0 AND score_green_min <= 100",
        )

    with _quiet_reflection(), op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_entries_action"), type_="check")
        batch_op.create_check_constraint("action", _in(AUDIT_ACTIONS))

    with _quiet_reflection(), op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sponsor_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("application_answers", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("decision_reason", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("calendar_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "uq_memberships_calendar_token_hash", ["calendar_token_hash"], unique=True
        )
        batch_op.create_foreign_key(
            "fk_memberships_sponsor_id_memberships",
            "memberships",
            ["circle_id", "sponsor_id"],
            ["circle_id", "id"],
        )
        batch_op.create_foreign_key(
            "fk_memberships_decided_by_id_memberships",
            "memberships",
            ["circle_id", "decided_by_id"],
            ["circle_id", "id"],
        )


def downgrade():
    with _quiet_reflection(), op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_constraint("fk_memberships_decided_by_id_memberships", type_="foreignkey")
        batch_op.drop_constraint("fk_memberships_sponsor_id_memberships", type_="foreignkey")
        batch_op.drop_index("uq_memberships_calendar_token_hash")
        batch_op.drop_column("calendar_token_hash")
        batch_op.drop_column("decision_reason")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("application_answers")
        batch_op.drop_column("sponsor_id")

    with _quiet_reflection(), op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_entries_action"), type_="check")
        batch_op.create_check_constraint("action", _in(AUDIT_ACTIONS[:5]))

    with _quiet_reflection(), op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_circles_score_thresholds"), type_="check")
        batch_op.drop_constraint(op.f("ck_circles_visitor_max_visits"), type_="check")
        batch_op.drop_constraint(op.f("ck_circles_absence_window"), type_="check")
        batch_op.drop_constraint(op.f("ck_circles_absence_limit"), type_="check")
        batch_op.drop_column("score_red_min")
        batch_op.drop_column("score_yellow_min")
        batch_op.drop_column("score_green_min")
        batch_op.drop_column("score_table")
        batch_op.drop_column("visitor_max_visits")
        batch_op.drop_column("late_counts_half")
        batch_op.drop_column("absence_window_months")
        batch_op.drop_column("absence_limit")
        batch_op.drop_column("meeting_minutes")
        batch_op.drop_column("meeting_link")
        batch_op.drop_column("meeting_place")

    with op.batch_alter_table("visitor_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visitor_visits_circle_id_meeting_id")

    op.drop_table("visitor_visits")
    op.drop_table("weekly_reports")
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.drop_index("ix_visitors_circle_id_invited_by_id")

    op.drop_table("visitors")
    op.drop_table("reminders_sent")
    with op.batch_alter_table("one_to_ones", schema=None) as batch_op:
        batch_op.drop_index("ix_one_to_ones_circle_id_met_on")

    op.drop_table("one_to_ones")
    op.drop_table("membership_roles")
    with op.batch_alter_table("education_credits", schema=None) as batch_op:
        batch_op.drop_index("ix_education_credits_circle_id_membership_id_completed_on")

    op.drop_table("education_credits")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_circle_id_membership_id")

    op.drop_table("attendance")
    op.drop_table("meetings")
