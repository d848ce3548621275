import pytest
from sqlalchemy import delete, func, select, update

from app.database import Database, write_transaction
from app.models import Owner, Pet
from app.tenancy import CLINIC_PARAMETER, clinic_conditions
from tests.factories import clinic_session, make_clinic, make_owner, make_pet


async def test_a_query_with_no_clinic_filter_sees_only_its_clinic(db: Database) -> None:
    mine, theirs = await make_clinic(db), await make_clinic(db)
    my_owner = await make_owner(db, mine.clinic_id, last_name="Mine")
    their_owner = await make_owner(db, theirs.clinic_id, last_name="Theirs")
    await make_pet(db, theirs.clinic_id, their_owner.id)

    async with clinic_session(db, mine.clinic_id) as session:
        owners = (await session.scalars(select(Owner))).all()
        joined = (await session.scalars(select(Pet).join(Owner, Pet.owner_id == Owner.id))).all()
        counted = await session.scalar(select(func.count()).select_from(Owner))
        fetched = await session.get(Owner, their_owner.id)

    assert [o.id for o in owners] == [my_owner.id]
    assert joined == []
    assert counted == 1
    assert fetched is None


async def test_updates_and_deletes_cannot_reach_another_clinic(db: Database) -> None:
    mine, theirs = await make_clinic(db), await make_clinic(db)
    their_owner = await make_owner(db, theirs.clinic_id, last_name="Theirs")

    async with clinic_session(db, mine.clinic_id) as session, write_transaction(session):
        await session.execute(update(Owner).values(last_name="Changed"))
        await session.execute(delete(Owner).where(Owner.id == their_owner.id))

    async with clinic_session(db, theirs.clinic_id) as session:
        survivor = await session.get(Owner, their_owner.id)
    assert survivor is not None and survivor.last_name == "Theirs"


async def test_inserts_take_the_clinic_of_the_session(db: Database) -> None:
    mine, theirs = await make_clinic(db), await make_clinic(db)
    owner = await make_owner(db, mine.clinic_id)
    assert owner.clinic_id == mine.clinic_id

    async with clinic_session(db, mine.clinic_id) as session:
        session.add(Owner(first_name="A", last_name="B", clinic_id=theirs.clinic_id))
        with pytest.raises(RuntimeError, match="another clinic"):
            await session.flush()


async def test_a_session_without_a_clinic_refuses_clinic_data(db: Database) -> None:
    async with db.sessionmaker() as session:
        with pytest.raises(RuntimeError, match="no clinic"):
            await session.scalars(select(Owner))


async def test_a_statement_with_tenancys_predicate_reads_its_sessions_clinic(db: Database) -> None:
    # Wherever it runs through the ORM (a scalar, rows, a subquery), its clinic
    # parameter is the session's: not missing, and not another clinic's when passed.
    mine, theirs = await make_clinic(db), await make_clinic(db)
    await make_owner(db, mine.clinic_id, last_name="Mine")
    await make_owner(db, theirs.clinic_id, last_name="Theirs")
    async with clinic_session(db, mine.clinic_id) as session:
        owned = clinic_conditions(session, Owner)
        names = select(Owner.last_name).where(*owned)
        assert (await session.scalars(names)).all() == ["Mine"]
        forged = {CLINIC_PARAMETER: theirs.clinic_id}
        assert (await session.scalars(names, forged)).all() == ["Mine"]
        counted = select(func.count()).select_from(Owner).where(*owned)
        assert await session.scalar(select(counted.scalar_subquery())) == 1
