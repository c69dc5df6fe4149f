"""Write a partner-records plan in bulk, inside the caller's transaction.

Removals first (children before parents, each by key), then updates (one
``executemany`` per batch) and inserts (batched ``executemany``; ``COPY`` on
PostgreSQL), parents before children. The caller commits or rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from partners.conversations import ConversationBinding
from partners.importing.partner_rows import (
    CERTIFICATIONS,
    COMPETENCIES,
    COMPLETIONS,
    PARTNERS,
    PEOPLE,
    REVENUE,
    SATISFACTION,
    VOUCHERS,
)
from partners.importing.report import Progress
from partners.models import (
    Certification,
    ChatLink,
    CourseCompletion,
    EarnedCompetency,
    HandoffTicket,
    Partner,
    Person,
    Revenue,
    SatisfactionScore,
    Voucher,
)

BATCH = 5_000
# Keys in one ``IN (...)``: well under SQLite's limit of bound parameters.
IN_BATCH = 900


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


# Per record kind: its table and the columns that identify one row for an update
# or a delete (the primary key).
TABLES: dict[str, tuple[Table, tuple[str, ...]]] = {
    PARTNERS: (_table(Partner), ("id",)),
    PEOPLE: (_table(Person), ("id",)),
    CERTIFICATIONS: (_table(Certification), ("id",)),
    COMPLETIONS: (_table(CourseCompletion), ("id",)),
    COMPETENCIES: (_table(EarnedCompetency), ("partner_id", "competency_id")),
    REVENUE: (_table(Revenue), ("partner_id", "year")),
    SATISFACTION: (_table(SatisfactionScore), ("partner_id", "year", "quarter")),
    VOUCHERS: (_table(Voucher), ("code",)),
}
# Children first: what a removal takes with it goes before it.
DELETE_ORDER = (
    CERTIFICATIONS,
    COMPLETIONS,
    COMPETENCIES,
    REVENUE,
    SATISFACTION,
    VOUCHERS,
    PEOPLE,
    PARTNERS,
)
WRITE_ORDER = tuple(reversed(DELETE_ORDER))


@dataclass
class Changes:
    """What one record kind's import adds, changes and removes, as rows to write.

    ``added`` rows hold every column to insert; ``changed`` rows the key columns and
    the columns to set; ``removed`` rows the key columns. The ``*_ids`` lists name
    the same records for people (``person C-1001``).
    """

    kind: str
    added: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    added_ids: list[str] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    unchanged: int = 0


@dataclass(frozen=True)
class Attached:
    """What the store keeps for partners besides their records, counted before a removal."""

    chat_links: int
    chat_sessions: int
    handoff_tickets: int


def attached_to(session: Session, partner_ids: Sequence[str]) -> Attached:
    """Count the chat links, bound chat sessions and tickets of ``partner_ids``."""
    totals = [0, 0, 0]
    for chunk in _chunks(partner_ids, IN_BATCH):
        for index, column in enumerate(
            (ChatLink.partner_id, ConversationBinding.partner_id, HandoffTicket.partner_id)
        ):
            count = session.scalar(select(func.count()).where(column.in_(chunk)))
            totals[index] += int(count or 0)
    return Attached(*totals)


def apply_changes(
    session: Session,
    changes: dict[str, Changes],
    detached: Sequence[str],
    replaced: Sequence[str],
    progress: Progress | None = None,
) -> None:
    """Write ``changes`` in the caller's transaction: removals, then updates and inserts.

    Args:
        session: The open session (its transaction is not committed here).
        changes: Per record kind, what to write.
        detached: Partners removed or replaced: their chat links and bound chat
            sessions are deleted, their handoff tickets kept without a partner.
        replaced: Sample partners the office's records take over: their sample
            passcode goes (office partners sign in through the portal, never with it).
        progress: Told how many rows of each kind are written.

    """
    connection = session.connection()
    for chunk in _chunks(detached, IN_BATCH):
        connection.execute(delete(_table(ChatLink)).where(ChatLink.partner_id.in_(chunk)))
        connection.execute(
            delete(_table(ConversationBinding)).where(ConversationBinding.partner_id.in_(chunk))
        )
        connection.execute(
            update(_table(HandoffTicket))
            .where(HandoffTicket.partner_id.in_(chunk))
            .values(partner_id=None)
        )
    for kind in DELETE_ORDER:
        table, key = TABLES[kind]
        _delete(session, table, key, changes[kind].removed)
    for kind in WRITE_ORDER:
        table, key = TABLES[kind]
        change = changes[kind]
        total = len(change.changed) + len(change.added)
        done = 0
        step = f"writing {kind}"
        if progress and total:
            progress(step, 0, total)
        for batch in _chunks(change.changed, BATCH):
            _update(session, table, key, list(batch))
            done += len(batch)
            if progress:
                progress(step, done, total)
        for batch in _chunks(change.added, BATCH):
            if connection.dialect.name == "postgresql":
                _copy(session, table, batch)
            else:
                connection.execute(insert(table), batch)
            done += len(batch)
            if progress:
                progress(step, done, total)
        if kind == PARTNERS:
            for chunk in _chunks(replaced, IN_BATCH):
                connection.execute(
                    update(table).where(table.c.id.in_(chunk)).values(passcode_hash=None)
                )
        if kind == PEOPLE and change.added and connection.dialect.name == "postgresql":
            # The import gives out people ids itself; the sequence must follow.
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('people', 'id'), "
                    "(SELECT max(id) FROM people))"
                )
            )


def _update(
    session: Session, table: Table, key: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    """Set the non-key columns of each row, found by its key (one executemany)."""
    if not rows:
        return
    columns = [name for name in rows[0] if name not in key]
    statement = (
        update(table)
        .where(and_(*(table.c[name] == bindparam(f"k_{name}") for name in key)))
        .values({name: bindparam(f"v_{name}") for name in columns})
    )
    params = [
        {**{f"k_{name}": row[name] for name in key}, **{f"v_{name}": row[name] for name in columns}}
        for row in rows
    ]
    session.connection().execute(statement, params)


def _copy(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows with PostgreSQL's COPY (several times faster than batched INSERTs)."""
    columns = list(rows[0])
    raw: Any = session.connection().connection.dbapi_connection  # psycopg, this transaction
    names = ", ".join(columns)
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _delete(
    session: Session, table: Table, key: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    connection = session.connection()
    if len(key) == 1:
        column = table.c[key[0]]
        for chunk in _chunks([row[key[0]] for row in rows], IN_BATCH):
            connection.execute(delete(table).where(column.in_(chunk)))
        return
    statement = delete(table).where(
        and_(*(table.c[name] == bindparam(f"k_{name}") for name in key))
    )
    for chunk in _chunks(rows, BATCH):
        connection.execute(statement, [{f"k_{name}": row[name] for name in key} for row in chunk])


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
