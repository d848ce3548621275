"""Events are kept `CLINOVA_EVENTS_RETENTION_DAYS`; whoever delivers webhooks removes
older ones (their deliveries go with them) and notes, per clinic, the last event
removed, which is what expires a cursor (app.change_log.feed)."""

from datetime import datetime, timedelta

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.change_log.models import ChangeCounter, ChangeEvent
from app.database import write_transaction
from app.tenancy import mark_unscoped

# Rows a transaction removes: short transactions, so writers never wait long.
BATCH = 5_000


async def purge_expired(
    sessionmaker: async_sessionmaker[AsyncSession], *, retention_days: int, now: datetime
) -> int:
    cutoff = now - timedelta(days=retention_days)
    removed = 0
    while True:
        async with sessionmaker() as session:
            mark_unscoped(session)
            async with write_transaction(session):
                doomed = (
                    select(ChangeEvent.clinic_id, ChangeEvent.seq)
                    .where(ChangeEvent.occurred_at < cutoff)
                    .limit(BATCH)
                )
                gone = (
                    await session.execute(
                        delete(ChangeEvent)
                        .where(tuple_(ChangeEvent.clinic_id, ChangeEvent.seq).in_(doomed))
                        .returning(ChangeEvent.clinic_id, ChangeEvent.seq)
                        .execution_options(synchronize_session=False)
                    )
                ).all()
                last: dict[str, int] = {}
                for clinic_id, seq in gone:
                    last[clinic_id] = max(seq, last.get(clinic_id, 0))
                for clinic_id, seq in sorted(last.items()):
                    await session.execute(
                        update(ChangeCounter)
                        .where(ChangeCounter.clinic_id == clinic_id)
                        .where(ChangeCounter.purged_through < seq)
                        .values(purged_through=seq)
                    )
        removed += len(gone)
        if len(gone) < BATCH:
            return removed
