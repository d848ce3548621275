"""Rows per clinic and entity, kept exact in the transaction of every insert and delete.

The exact total of an unfiltered list (REST `pagination.total`, GraphQL
`totalCount`) was a count(*) of the clinic's rows, whose cost grows with the
clinic (issue 16 measured 1.0-1.3 ms of database CPU per REST list).
`clinic_counts` holds it instead, one row per clinic and counted entity, read
in one lookup.

Kept here alone, for every write through the ORM: each flush notes the counted
rows it inserted and deleted, and just before commit one upsert adds them to
the counters: the transaction's last statement, so the counter rows stay
locked (PostgreSQL's row lock; SQLite's writers already queue at BEGIN
IMMEDIATE) for the commit alone, and concurrent creators add up instead of
overwriting each other. A rollback discards what was noted. Writes use no
savepoints; rows of a rolled-back savepoint would stay noted. Bulk writers that
bypass the ORM (`app.demo_data`) note their rows with `count_inserted`.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from app.models import ClinicCount, Invoice, MedicalRecord, Owner, Pet
from app.tenancy import clinic_of

# The entities whose lists answer a total; an entity is its table's name.
ENTITIES: dict[type[Any], str] = {
    model: model.__tablename__ for model in (Owner, Pet, MedicalRecord, Invoice)
}
_NOTED = "clinic_count_changes"


def _noted(session: Session | AsyncSession) -> Counter[tuple[str, str]]:
    noted: Counter[tuple[str, str]] = session.info.setdefault(_NOTED, Counter())
    return noted


async def clinic_total(session: AsyncSession, model: type[Any]) -> int | None:
    """All of the session's clinic's rows of `model`; None if they are not counted here."""
    entity = ENTITIES.get(model)
    clinic_id = clinic_of(session)
    if entity is None or clinic_id is None:
        return None
    count = await session.scalar(
        select(ClinicCount.count).where(
            ClinicCount.clinic_id == clinic_id, ClinicCount.entity == entity
        )
    )
    return int(count or 0)


def count_inserted(session: AsyncSession, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows a Core INSERT wrote, noted as a flush notes its own."""
    if table.name in ENTITIES.values():
        _noted(session).update((row["clinic_id"], table.name) for row in rows)


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context: Any) -> None:
    # After a flush, `new` and `deleted` still hold what it wrote.
    noted = _noted(session)
    for rows, sign in ((session.new, 1), (session.deleted, -1)):
        for row in rows:
            entity = ENTITIES.get(type(row))
            if entity is not None:
                noted[(row.clinic_id, entity)] += sign


@event.listens_for(Session, "before_commit")
def _add_noted(session: Session) -> None:
    # The commit flushes what is pending only after this hook: flush it first.
    session.flush()
    noted = session.info.pop(_NOTED, None)
    # Sorted: concurrent writers lock the rows they share in the same order.
    changes = [
        {"clinic_id": clinic_id, "entity": entity, "count": delta}
        for (clinic_id, entity), delta in sorted((noted or {}).items())
        if delta
    ]
    if changes:
        connection = session.connection()
        connection.execute(_ADD[connection.dialect.name], changes)


def _add(insert: Any) -> Any:
    added = insert(ClinicCount)
    return added.on_conflict_do_update(
        index_elements=[ClinicCount.clinic_id, ClinicCount.entity],
        set_={"count": ClinicCount.count + added.excluded["count"]},
    )


# Built once: it runs in every write's commit, with the counter rows locked.
_ADD = {"postgresql": _add(postgresql.insert), "sqlite": _add(sqlite.insert)}


@event.listens_for(Session, "after_transaction_end")
def _discard_noted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_NOTED, None)
