"""Owner search stays an index lookup at clinic-group scale on PostgreSQL.

SQLite has no trigram index: there a search scans the clinic's owners through
the clinic index, which is fine at single-clinic sizes.
"""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql

from app.database import Database
from app.domain.owners import _matches
from app.models import Owner
from tests.factories import clinic_session, make_clinic

OWNERS = 100_000


@pytest.mark.parametrize("term", ["smith", "jane.doe@ex", "555-0142"])
async def test_search_uses_the_trigram_indexes_on_100k_owners(db: Database, term: str) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's; SQLite scans the clinic's owners")
    clinic = await make_clinic(db)
    # Bulk set-up needs more than the request-sized statement timeout.
    bulk = Database(db.settings.model_copy(update={"db_command_timeout": 120}))
    try:
        plan = await _plan(bulk, clinic.clinic_id, term)
    finally:
        await bulk.dispose()

    # The clinic's own trigram index (migration 0006): other clinics' owners are
    # never visited, not even to be filtered out.
    assert "ix_owners_clinic_" in plan, plan
    assert "Filter" not in plan, plan
    assert "Seq Scan" not in plan, plan


async def _plan(db: Database, clinic_id: str, term: str) -> str:
    async with clinic_session(db, clinic_id) as session:
        if not await session.scalar(text("SELECT count(*) >= 100000 FROM owners")):
            await session.execute(
                text(f"""
                INSERT INTO owners (id, clinic_id, first_name, last_name, email, phone,
                                    phone_digits, created_at, updated_at)
                SELECT 'c' || lpad(to_hex(n), 24, '0'), :clinic, 'First' || n, 'Last' || n,
                       'owner' || n || '@example.com', '+1-555-' || lpad(n::text, 7, '0'),
                       '1555' || lpad(n::text, 7, '0'), now(), now()
                FROM generate_series(1, {OWNERS}) AS n"""),
                {"clinic": clinic_id},
            )
            await session.execute(text("ANALYZE owners"))
            await session.commit()
        # The clinic the 100k owners went to (the first parameter's).
        crowded = await session.scalar(
            text("SELECT clinic_id FROM owners GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        )
        query = (
            select(func.count())
            .select_from(Owner)
            .where(Owner.clinic_id == crowded, _matches(term))
        )
        sql = str(
            query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        )
        return "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars())
