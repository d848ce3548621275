"""Compiled level reads: one statement per level on the raw driver, tenancy included."""

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from app import compiled_reads, models, pagination
from app.bounded import Bounded
from app.compiled_reads import fetch_level, fetch_rows, level_read, load_level
from app.database import Database, write_transaction
from app.domain.owners import ORDER
from app.pagination import PageRequest, paginate
from app.relationships import relation_of
from tests.conftest import Backend
from tests.factories import ClinicKey, clinic_session, make_clinic, make_owner, make_pet
from tests.graphql_client import count_statements, gql
from tests.test_planned_execution import _assert_clinic_bound

PETS = relation_of(models.Owner.pets)


async def test_a_level_reads_only_the_clinic_of_the_session(db: Database) -> None:
    # Given a pet in each of two clinics
    mine, theirs = await make_clinic(db), await make_clinic(db)
    my_owner = await make_owner(db, mine.clinic_id)
    their_owner = await make_owner(db, theirs.clinic_id)
    await make_pet(db, mine.clinic_id, my_owner.id, name="Mine")
    await make_pet(db, theirs.clinic_id, their_owner.id, name="Theirs")
    read = level_read(models.Pet, models.Pet.owner_id, PETS.order_by, frozenset({"name"}))
    # when my session reads the pets of both owners in one statement
    with count_statements(db.engine) as counter:
        async with clinic_session(db, mine.clinic_id) as session:
            rows = await fetch_level(session, read, [my_owner.id, their_owner.id])
    # then only my clinic's pet comes back, with the columns asked for, and the
    # statement is heard by SQLAlchemy's cursor events like any other
    assert [(row.name, row.owner_id) for row in rows] == [("Mine", my_owner.id)]
    assert len(counter.statements) == 1


async def test_a_level_groups_children_and_keeps_null_and_unknown_keys(db: Database) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    await make_pet(db, clinic.clinic_id, owner.id, name="B")
    await make_pet(db, clinic.clinic_id, owner.id, name="A")
    async with clinic_session(db, clinic.clinic_id) as session:
        owners = list(await session.scalars(select(models.Owner)))
        seen: dict[object, dict[str, object]] = {}
        pets = await load_level(session, PETS, [*owners, *owners], frozenset({"name"}), seen)
        by_id = relation_of(models.Pet.owner)
        parents = [*pets[0], type("NoOwner", (), {"owner_id": None})()]
        named = await load_level(session, by_id, parents, frozenset({"last_name"}), seen)
    # Ordered as the relationship declares (by name), once per parent asked for.
    assert [[pet.name for pet in group] for group in pets] == [["A", "B"], ["A", "B"]]
    assert [None if row is None else row.id for row in named] == [owner.id, owner.id, None]


# A read of owners by id, and one owner to find: what the connection tests read.
OWNERS_BY_ID = level_read(models.Owner, models.Owner.id, (), frozenset({"last_name"}))


async def _one_owner(db: Database) -> tuple[ClinicKey, models.Owner]:
    clinic = await make_clinic(db)
    return clinic, await make_owner(db, clinic.clinic_id)


def _in_use(db: Database) -> int:
    """The pool's connections checked out right now."""
    checked_out: int = db.engine.pool.checkedout()  # type: ignore[attr-defined]
    return checked_out


async def test_reads_before_the_session_begins_share_a_connection_given_back_before_it_begins(
    db: Database,
) -> None:
    clinic, owner = await _one_owner(db)
    before = _in_use(db)
    async with clinic_session(db, clinic.clinic_id) as session:
        for _ in range(2):
            assert [row.id for row in await fetch_level(session, OWNERS_BY_ID, [owner.id])] == [
                owner.id
            ]
        # SQLite: a request's reads share the session's transaction (one snapshot);
        # PostgreSQL reads in autocommit: no transaction, one connection for both reads
        assert session.in_transaction() == db.settings.is_sqlite
        assert _in_use(db) == before + 1
        async with write_transaction(session):
            added = models.Owner(first_name="New", last_name="Owner")
            session.add(added)
            await session.flush()
            # inside a write, the transaction's connection, the only one the session
            # holds: its own rows not yet committed
            rows = await fetch_level(session, OWNERS_BY_ID, [owner.id, added.id])
            assert sorted(row.id for row in rows) == sorted([owner.id, added.id])
            assert _in_use(db) == before + 1
    assert _in_use(db) == before


async def test_a_session_begun_without_a_wrapped_call_still_holds_one_connection(
    db: Database,
) -> None:
    clinic, owner = await _one_owner(db)
    before = _in_use(db)
    async with clinic_session(db, clinic.clinic_id) as session:
        await fetch_level(session, OWNERS_BY_ID, [owner.id])
        session.add(models.Owner(first_name="Not", last_name="Flushed"))  # begins the session
        await fetch_level(session, OWNERS_BY_ID, [owner.id])
        assert session.in_transaction()
        assert _in_use(db) == before + 1
        await session.rollback()
    assert _in_use(db) == before


async def test_a_read_after_the_session_closed_keeps_no_connection_of_its_own(
    db: Database,
) -> None:
    # What graphql-core leaves running after an error may read after the request
    # closed its session: it reads as the session's ORM reads would.
    clinic, owner = await _one_owner(db)
    async with clinic_session(db, clinic.clinic_id) as session:
        await fetch_level(session, OWNERS_BY_ID, [owner.id])
    assert [row.id for row in await fetch_level(session, OWNERS_BY_ID, [owner.id])] == [owner.id]
    assert session.in_transaction()  # on the session's own connection
    await session.close()


async def test_reads_then_writes_of_as_many_requests_as_the_pool_holds_do_not_starve(
    backend: Backend,
) -> None:
    # Each session reads (compiled), waits for all the others, then begins: no
    # session may hold a connection for its read while it waits for the pool.
    clinic, owner = await _one_owner(backend.db)
    settings = backend.settings.model_copy(update={"db_pool_size": 2, "db_pool_timeout": 2.0})
    small = Database(settings)
    pool: Any = small.engine.pool
    capacity = pool.size() + pool._max_overflow
    everyone = asyncio.Barrier(capacity)

    async def request() -> int:
        async with clinic_session(small, clinic.clinic_id) as session:
            assert len(await fetch_level(session, OWNERS_BY_ID, [owner.id])) == 1
            await everyone.wait()
            return len((await session.scalars(select(models.Owner.id))).all())

    try:
        assert await asyncio.gather(*(request() for _ in range(capacity))) == [1] * capacity
    finally:
        await small.dispose()


async def test_a_request_that_reads_then_writes_holds_one_connection_at_a_time(
    db: Database, client: httpx.AsyncClient
) -> None:
    # Through the app: the first mutation's answer reads its pets (compiled, apart
    # on PostgreSQL), then the second mutation writes.
    clinic, _owner = await _one_owner(db)
    engine = db.engine.sync_engine
    held, peak = 0, 0

    def out(*_args: object) -> None:
        nonlocal held, peak
        held += 1
        peak = max(peak, held)

    def back(*_args: object) -> None:
        nonlocal held
        held -= 1

    document = """mutation {
      a: createOwner(input: {firstName: "A", lastName: "One"}) { id pets { name } }
      b: createOwner(input: {firstName: "B", lastName: "Two"}) { id }
    }"""
    event.listen(engine, "checkout", out)
    event.listen(engine, "checkin", back)
    try:
        answer = await gql(client, clinic, document)
    finally:
        event.remove(engine, "checkout", out)
        event.remove(engine, "checkin", back)
    assert "errors" not in answer and answer["data"]["a"]["pets"] == []
    assert peak == 1


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_tenancy_check_finds_a_missing_clinic_predicate(dialect: str) -> None:
    read = level_read(models.Pet, models.Pet.owner_id, PETS.order_by, None)
    _assert_clinic_bound(read.statement(dialect))
    with pytest.raises(AssertionError, match="no clinic predicate"):
        _assert_clinic_bound(select(models.Pet.id).where(models.Pet.name == "x"))


async def test_a_page_the_raw_driver_cannot_run_keeps_to_the_clinic(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An IN list is rendered per execution (SQLAlchemy's own path runs it): the
    # page and its count go through the ORM, given tenancy's clinic parameter.
    mine, theirs = await make_clinic(db), await make_clinic(db)
    ids = [(await make_owner(db, clinic.clinic_id)).id for clinic in (mine, mine, theirs)]
    async with clinic_session(db, mine.clinic_id) as session:
        where = [models.Owner.id.in_(ids)]
        page = await paginate(
            session, models.Owner, where=where, key=ORDER, page=PageRequest(first=1)
        )
        assert [row.id for row in page.items] == ids[:1] and page.has_next
        assert await page.total() == 2
        assert await fetch_rows(session, select(models.Owner.id).where(*where)) is None
        # and, once known, such a shape is not compiled again to be declined again
        monkeypatch.setattr(compiled_reads, "_shape", _never)
        again = await paginate(
            session, models.Owner, where=where, key=ORDER, page=PageRequest(first=1)
        )
        assert [row.id for row in again.items] == ids[:1]


def _never(*_args: object) -> None:
    raise AssertionError("made again")


async def test_an_unfiltered_first_page_is_made_once_and_keeps_to_each_clinic(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, theirs = await make_clinic(db), await make_clinic(db)
    owners = {
        clinic.clinic_id: [(await make_owner(db, clinic.clinic_id)).id for _ in range(n)]
        for clinic, n in ((mine, 3), (theirs, 2))
    }
    asked = PageRequest(first=2, with_total=True)
    pages = {}
    for clinic in (mine, theirs):
        async with clinic_session(db, clinic.clinic_id) as session:
            page = await paginate(session, models.Owner, where=[], key=ORDER, page=asked)
            pages[clinic.clinic_id] = ([row.id for row in page.items], await page.total())
        # made by the first clinic's request, the statement serves the second's
        monkeypatch.setattr(pagination, "_page_statement", _never)
    assert pages == {
        mine.clinic_id: (owners[mine.clinic_id][:2], 3),
        theirs.clinic_id: (owners[theirs.clinic_id], 2),
    }


async def test_plans_asking_for_the_same_objects_share_their_shapes(
    db: Database, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.settings.is_sqlite:
        pytest.skip("objects are written by PostgreSQL only")
    # Only this test's shapes: others' (v1 lists, other documents) hold theirs.
    monkeypatch.setattr(compiled_reads, "_SHAPES", Bounded(compiled_reads._SHAPES.limit))
    monkeypatch.setattr(compiled_reads, "_SHARED", Bounded(compiled_reads._SHARED.limit))
    clinic = await make_clinic(db)
    await make_owner(db, clinic.clinic_id)
    documents = [
        f"query Shared{n} {{ owners(first: {n + 1}) {{ nodes {{ phone }} }} }}" for n in range(3)
    ]
    for document in documents * 2:
        assert "errors" not in await gql(client, clinic, document)
    written = {also for (_dialect, _key, also) in compiled_reads._SHAPES if also}
    assert len(written) == 1, written
