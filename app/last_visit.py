"""`Owner.last_visit`: the latest medical record date of the owner's pets.

Kept denormalised so lists and filters read it as a plain column; every write
that can move it (record created, redated or deleted; pet moved or deleted)
calls `refresh_last_visit` for the owners it touched, in its own transaction.
An owner whose last visit moves is changed as GraphQL shows it: the change log
gets its owner.updated event; one whose last visit stays is not written at all.
"""

from collections.abc import Collection

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.change_log.recording import note_updated
from app.models import MedicalRecord, Owner, Pet


async def refresh_last_visit(session: AsyncSession, owner_ids: Collection[str]) -> None:
    if not owner_ids:
        return
    # "Records whose pet is one of the owner's" (not a join): SQLite without
    # statistics would otherwise scan the clinic's records once per owner.
    latest = (
        select(func.max(MedicalRecord.date))
        .where(
            MedicalRecord.pet_id.in_(
                select(Pet.id).where(Pet.owner_id == Owner.id).correlate(Owner)
            )
        )
        .scalar_subquery()
    )
    changed = await session.execute(
        update(Owner)
        .where(Owner.id.in_(list(owner_ids)), Owner.last_visit.is_distinct_from(latest))
        .values(last_visit=latest)
        .returning(Owner.id)
        .execution_options(synchronize_session="fetch")
    )
    note_updated(session, Owner, changed.scalars().all())
