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
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
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

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), index=True)
    # None means the partner cannot sign in with a passcode (no default passcode).
    passcode_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The tier as last recorded by the program office; the tier engine recomputes it.
    tier: Mapped[str] = mapped_column(String(16))

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
