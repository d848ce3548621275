"""Rows per clinic and entity, kept exact in the transaction of every insert and delete.

The exact total of an unfiltered list (REST `pagination.total`, GraphQL
`totalCount`) was a count(*) of the clinic's rows, whose cost grows with the
clinic (issue 16 measured 1.0-1.3 ms of database CPU per REST list).
`clinic_counts` holds it instead, summed over a handful of rows per clinic and
entity.

Kept here alone, for every write through the ORM: each flush adds the counted
rows it inserted and deleted, in the flush's transaction, so a rollback takes
the change back with the rows. Bulk writers that bypass the ORM
(`app.demo_data`) add theirs with `count_inserted`.

An addition never waits for another writer. On PostgreSQL a clinic's count of
an entity is split over shards: an addition takes any shard no other
transaction holds (`SKIP LOCKED`), or starts a new one, and keeps its row lock
until commit without anyone queueing behind it. A single counter row would be
one more queue per clinic, and the flush comes before the invoice number
(`app.invoice_numbers`), whose queue must stay the only one. Shards number at
most the writers of a clinic's entity that were ever in flight at once. SQLite
needs none: its writers already queue at BEGIN IMMEDIATE.
"""

import secrets
from collections import Counter
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Select,
    String,
    bindparam,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.models import ClinicCount, Invoice, MedicalRecord, Owner, Pet
from app.tenancy import clinic_conditions, clinic_of

# The entities whose lists answer a total; an entity is its table's name.
ENTITIES: dict[type[Any], str] = {
    model: model.__tablename__ for model in (Owner, Pet, MedicalRecord, Invoice)
}
_ENTITY_NAMES = frozenset(ENTITIES.values())

# One statement: add to a shard no one holds, else to a new one (a random id,
# so two new ones do not collide; should they, they add up all the same).
_ADD_POSTGRESQL = text("""
    WITH free AS (
        SELECT shard FROM clinic_counts
        WHERE clinic_id = :clinic_id AND entity = :entity
        LIMIT 1 FOR UPDATE SKIP LOCKED
    ), added AS (
        UPDATE clinic_counts SET count = count + :delta
        WHERE clinic_id = :clinic_id AND entity = :entity AND shard = (SELECT shard FROM free)
        RETURNING shard
    )
    INSERT INTO clinic_counts (clinic_id, entity, shard, count)
    SELECT :clinic_id, :entity, :new_shard, :delta WHERE NOT EXISTS (SELECT FROM added)
    ON CONFLICT (clinic_id, entity, shard) DO UPDATE SET count = clinic_counts.count + :delta
""").bindparams(
    bindparam("clinic_id", type_=String),
    bindparam("entity", type_=String),
    bindparam("delta", type_=BigInteger),
    bindparam("new_shard", type_=Integer),
)
_upsert = sqlite.insert(ClinicCount).values(
    clinic_id=bindparam("clinic_id"), entity=bindparam("entity"), shard=0,
    count=bindparam("delta"),
)  # fmt: skip
_ADD_SQLITE = _upsert.on_conflict_do_update(
    index_elements=[ClinicCount.clinic_id, ClinicCount.entity, ClinicCount.shard],
    set_={"count": ClinicCount.count + _upsert.excluded["count"]},
)


def kept_total(session: AsyncSession, model: type[Any]) -> Select[Any] | None:
    """The statement of all of the session's clinic's rows of `model`; None if not counted here."""
    entity = ENTITIES.get(model)
    if entity is None or clinic_of(session) is None:
        return None
    kept = _KEPT.get(model)
    if kept is None:  # made once: its clinic is a parameter (app.tenancy)
        # The counters are no clinic's rows to the ORM's filter; the clinic is named here.
        kept = _KEPT[model] = select(func.sum(ClinicCount.count)).where(
            *clinic_conditions(session, ClinicCount), ClinicCount.entity == entity
        )
    return kept


_KEPT: dict[type[Any], Select[Any]] = {}


async def count_inserted(session: AsyncSession, table: str, clinic_id: str, rows: int) -> None:
    """Rows a Core INSERT wrote into `table` for one clinic, added as a flush adds its own."""
    if table in _ENTITY_NAMES:
        connection = await session.connection()
        await connection.run_sync(_add, Counter({(clinic_id, table): rows}))


@event.listens_for(Session, "after_flush")
def _count_flushed(session: Session, _context: Any) -> None:
    # After a flush, `new` and `deleted` still hold what it wrote.
    changes: Counter[tuple[str, str]] = Counter()
    for rows, sign in ((session.new, 1), (session.deleted, -1)):
        for row in rows:
            entity = ENTITIES.get(type(row))
            if entity is not None:
                changes[(row.clinic_id, entity)] += sign
    if changes:
        _add(session.connection(), changes)


def _add(connection: Connection, changes: Counter[tuple[str, str]]) -> None:
    postgresql = connection.dialect.name == "postgresql"
    for (clinic_id, entity), delta in sorted(changes.items()):
        if delta:
            values = {"clinic_id": clinic_id, "entity": entity, "delta": delta}
            if postgresql:
                connection.execute(_ADD_POSTGRESQL, {**values, "new_shard": secrets.randbits(31)})
            else:
                connection.execute(_ADD_SQLITE, values)
