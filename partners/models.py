"""SQLAlchemy models of the partner store.

One row per fact the program records about a partner: its people, their
certifications and course completions, the competencies it earned, its revenue and
client-satisfaction scores, its vouchers, the chat identities linked to it, and the
handoff tickets its people opened. Course credits are not stored: they follow from
the completions and the catalogue (``partners.snapshot``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

VOUCHER_STATUSES = ("available", "used")
TICKET_STATUSES = ("open", "assigned", "closed")


class Base(DeclarativeBase):
    """Declarative base of every partner-store table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Partner(Base):
    """A member company of the program."""

    __tablename__ = "partners"
    __table_args__ = (CheckConstraint("source IN ('sample', 'office')", name="source_values"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), index=True)
    # None means the partner cannot sign in with a passcode (no default passcode).
    passcode_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The tier as last recorded by the program office; the tier engine recomputes it.
    tier: Mapped[str] = mapped_column(String(16))
    # "office" once the program office's import wrote it; anything else (the sample
    # seed, hand-made rows) is "sample", so nothing unproven passes for real data.
    source: Mapped[str] = mapped_column(String(16), server_default="sample")

    people: Mapped[list[Person]] = relationship(
        back_populates="partner", cascade="all, delete-orphan"
    )


class Person(Base):
    """Someone working for a partner."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(50))
    # The office's own id for the person (its CRM contact id); None for sample people.
    external_id: Mapped[str | None] = mapped_column(
        String(64), nullable=True, unique=True, index=True
    )

    partner: Mapped[Partner] = relationship(back_populates="people")


class Certification(Base):
    """A certification one person holds.

    ``name`` is either a legacy product certification (the catalogue's
    ``credit_transfer`` names) or a course-based one, in which case ``course_id``
    names the course whose exam it is.
    """

    __tablename__ = "certifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    course_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    earned_on: Mapped[dt.date] = mapped_column(Date)
    # When it lapses; None: it does not expire, or the office did not say (reminders).
    expires_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class CourseCompletion(Base):
    """A University course one person completed."""

    __tablename__ = "course_completions"
    __table_args__ = (UniqueConstraint("person_id", "course_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(40))
    completed_on: Mapped[dt.date] = mapped_column(Date)


class EarnedCompetency(Base):
    """A competency the partner earned."""

    __tablename__ = "earned_competencies"

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    competency_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    earned_on: Mapped[dt.date] = mapped_column(Date)


class Revenue(Base):
    """The partner's revenue with the vendor in one year, in its country's currency."""

    __tablename__ = "revenues"

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))


class SatisfactionScore(Base):
    """The partner's client-satisfaction score (0-10) in one quarter."""

    __tablename__ = "satisfaction_scores"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 10", name="score_range"),
        CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter_range"),
    )

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(Integer, primary_key=True)
    score: Mapped[float] = mapped_column(Float)


class Voucher(Base):
    """A free-class voucher; one is earned per certification passed."""

    __tablename__ = "vouchers"
    __table_args__ = (CheckConstraint("status IN ('available', 'used')", name="status_values"),)

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    expires_on: Mapped[dt.date] = mapped_column(Date)


class ChatLink(Base):
    """A chat identity (for example a Slack user) linked to a partner."""

    __tablename__ = "chat_links"
    __table_args__ = (UniqueConstraint("channel", "external_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    external_user_id: Mapped[str] = mapped_column(String(100))
    team_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    linked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class HandoffTicket(Base):
    """A conversation handed over to a person of the program office."""

    __tablename__ = "handoff_tickets"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'assigned', 'closed')", name="status_values"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), nullable=True, index=True
    )
    sender_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(40))
    transcript: Mapped[str] = mapped_column(Text, doc="The conversation as JSON text.")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Live handoff (partners.handoff): who holds the conversation, since when.
    claimed_by: Mapped[str | None] = mapped_column(
        String(254), nullable=True, doc="The operator's e-mail while one holds it."
    )
    claimed_by_name: Mapped[str | None] = mapped_column(
        String(200), nullable=True, doc="That operator's name, as the partner sees it."
    )
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, index=True, doc="The last change of any kind."
    )
    # Where a Slack conversation's replies go (its channel and thread).
    slack_channel: Mapped[str | None] = mapped_column(String(40), nullable=True)
    slack_thread_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)


class CatalogueRelease(Base):
    """One published version of the program catalogue (``partners.releases``).

    Every app process serves the newest row; older rows stay as history. The
    vectors are the search index's embeddings, so no process embeds again.
    """

    __tablename__ = "catalogue_releases"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(Text, doc="Who or what published it.")
    content_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text, doc="Competencies, courses, rules, facts as JSON.")
    vectors: Mapped[bytes] = mapped_column(LargeBinary, doc="float32 rows, one per text hash.")
    text_hashes: Mapped[str] = mapped_column(Text, doc="JSON list: the text hash of each row.")
    summary: Mapped[str] = mapped_column(Text, doc="JSON counts of what the release holds.")


OPERATOR_ROLES = ("operator", "program_manager")
SYNC_STATUSES = ("running", "ok", "failed", "no_change")
SYNC_TRIGGERS = ("scheduled", "manual", "upload")


class Operator(Base):
    """A named account of the program office (``partners.operators``).

    ``operator`` reads any partner and the handoff queue; ``program_manager`` may
    also import data and run the sync. Disabled accounts cannot sign in, and their
    tokens stop working at once.
    """

    __tablename__ = "operators"
    __table_args__ = (
        CheckConstraint("role IN ('operator', 'program_manager')", name="role_values"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, doc="Lower case.")
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    passcode_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class GuardedRun(Base):
    """The columns every guarded run table shares (``partners.guarded_runs``).

    At most one row is ``running`` at a time (a partial unique index, from
    ``one_runner_table_args``: the database-level guard that several processes race
    on), and a scheduled run's ``slot`` (the schedule's fire time) is unique, so a slot
    runs once however many processes fire it. The columns a table adds go between
    ``actor`` and ``report`` (``sort_order``), where the migrations have them.
    """

    __abstract__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-10)
    started_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), index=True, sort_order=-9
    )
    finished_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, sort_order=-8
    )
    status: Mapped[str] = mapped_column(String(16), sort_order=-7)
    trigger: Mapped[str] = mapped_column(String(16), sort_order=-6)
    slot: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True, sort_order=-5)
    actor: Mapped[str] = mapped_column(
        String(254), doc="'scheduler' or the operator's email.", sort_order=-3
    )
    report: Mapped[str] = mapped_column(
        Text, default="{}", doc="The run's report as JSON.", sort_order=10
    )


def one_runner_table_args(
    table: str, statuses: tuple[str, ...], triggers: tuple[str, ...]
) -> tuple[CheckConstraint | Index, ...]:
    """Return a guarded run table's constraints: its values and the one ``running`` row."""

    def listed(values: tuple[str, ...]) -> str:
        return ", ".join(f"'{value}'" for value in values)

    return (
        CheckConstraint(f"status IN ({listed(statuses)})", name="status_values"),
        CheckConstraint(f"trigger IN ({listed(triggers)})", name="trigger_values"),
        Index(
            f"uq_{table}_one_running",
            "status",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )


class SyncRun(GuardedRun):
    """One run of the sync of the office's export (``partners.sync``), guarded."""

    __tablename__ = "sync_runs"
    __table_args__ = one_runner_table_args(
        "sync_runs", ("running", "ok", "failed", "no_change"), ("scheduled", "manual", "upload")
    )

    source: Mapped[str] = mapped_column(Text, sort_order=-4)


REMINDER_CHANNELS = ("slack", "web")
REMINDER_DELIVERY_STATUSES = ("sending", "sent", "failed", "unknown", "seen")
REMINDER_RUN_STATUSES = ("running", "ok", "failed")


class ReminderPreference(Base):
    """One reminder recipient's choices (``partners.reminders.preferences``).

    A recipient is a linked Slack user (``channel`` ``slack``, ``recipient`` the Slack
    user id) or a partner's web sign-in (``web``, the partner id). Without a row the
    defaults hold: reminders on, 09:00-17:00 in the partner country's main time zone.
    """

    __tablename__ = "reminder_preferences"
    __table_args__ = (
        UniqueConstraint("channel", "recipient"),
        CheckConstraint("channel IN ('slack', 'web')", name="channel_values"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    time_zone: Mapped[str | None] = mapped_column(
        String(64), nullable=True, doc="IANA name; None: the partner country's main zone."
    )
    window_start: Mapped[str] = mapped_column(String(5), doc="HH:MM, local time.")
    window_end: Mapped[str] = mapped_column(String(5), doc="HH:MM, local time (exclusive).")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ReminderDelivery(Base):
    """The send record of one reminder to one recipient (``partners.reminders.outbox``).

    The unique key (channel, recipient, kind, subject, threshold) makes each reminder
    go out once: the row is committed as ``sending`` before Slack is called, so a
    second runner cannot claim it. ``sent`` after Slack took it, ``failed`` when Slack
    surely did not (retried), ``unknown`` when the outcome cannot be known (the
    process stopped mid-send, a timeout): never sent again. Web notices are stored
    ``sent`` and become ``seen`` when the widget shows them.
    """

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "channel",
            "recipient",
            "kind",
            "subject",
            "threshold",
            name="uq_reminder_deliveries_key",
        ),
        CheckConstraint("channel IN ('slack', 'web')", name="channel_values"),
        CheckConstraint(
            "status IN ('sending', 'sent', 'failed', 'unknown', 'seen')", name="status_values"
        ),
        Index("ix_reminder_deliveries_inbox", "channel", "recipient", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(100))
    threshold: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, doc="The notice, markdown.")
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ReminderRun(GuardedRun):
    """One run of the reminders (``partners.reminders.runs``), guarded as ``SyncRun``."""

    __tablename__ = "reminder_runs"
    __table_args__ = one_runner_table_args(
        "reminder_runs", REMINDER_RUN_STATUSES, ("scheduled", "manual")
    )

    now: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True),
        doc="The clock the run used (a sample-mode run may set it).",
        sort_order=-2,
    )


class AuditEntry(Base):
    """One operator read of a conversation, or one operator action on it (``partners.audit``)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(254), doc="The operator's e-mail.")
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(200), doc="What was read or changed.")
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
