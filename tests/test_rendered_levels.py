"""Levels written as JSON text by PostgreSQL answer the standard path's bytes, or decline.

graphql_schema.rendered writes a relationship's objects in SQL on PostgreSQL;
these values are where its SQL and the standard executor's Python could part:
escapes, doubles (integral, signed zero, exponents), money as a float, dates
as midnight, enums, JSON panels, nulls, GraphQL's 32-bit Int and the answer's
byte bound. Each document goes twice to an instance with the short path and
twice to one without; the second sight must be the same bytes and headers,
answered by the short path where every value is representable, and by the
standard path (declined) where one is not.
"""

import random
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import BigInteger, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from app import compiled_reads, json_text
from app.bounded import Bounded
from app.compiled_reads import made_level_reads
from app.models import InvoiceStatus
from tests.conftest import Backend, app_client
from tests.factories import (
    make_clinic,
    make_invoice,
    make_owner,
    make_pet,
    make_record,
)
from tests.graphql_client import count_statements
from tests.test_compiled_route import _comparable, _compiled
from tests.test_planned_execution import UNLIMITED, _assert_clinic_bound

EVERY_FIELD = """query($id: ID!) { owner(id: $id) { id pets { __typename id name species breed
  weight neutered birthdate createdAt updatedAt owner { id email }
  medicalRecords { id date title description diagnosis bloodTest urineTest createdById
    createdAt updatedAt pet { name }
    invoices { id invoiceNumber status totalAmount createdAt
      items { name quantity price } owner { lastName } pet { id } medicalRecord { title } } }
  invoices { id status totalAmount } } } }"""

AWKWARD_TEXT = 'He said "hi" \\ \x01\x1f\x7f \u00e9 \U0001f600 \u2028 \ufeff'
# Doubles PostgreSQL writes as orjson does, and those it declines (exponents).
WRITTEN_WEIGHTS = (0.0, -0.0, 12.0, 4.76, 0.1 + 0.2, 123456.789, 1e-4, None)
DECLINED_WEIGHTS = (1e-5, 1e15, 2.5e300)
_NUMBERS = count()


PANEL = {"wbc": {"value": 7.1, "unit": "10^9/L", "flags": [None, True, "é"]}, "n": 1.0}


async def _pet_with_history(
    backend: Backend, clinic_id: str, weight: float | None, blood_test: Any = PANEL
) -> str:
    db = backend.db
    owner = await make_owner(db, clinic_id, first_name=AWKWARD_TEXT, email=None)
    pet = await make_pet(
        db, clinic_id, owner.id, name=AWKWARD_TEXT, breed=None, weight=weight,
        birthdate=date(2020, 2, 29) if weight else None,
    )  # fmt: skip
    record = await make_record(
        db, clinic_id, pet.id, description="line\nbreak\ttab",
        blood_test=blood_test, urine_test=[1, -0.0, 1e-7, "\u2028", {"z": 1, "a": None}],
        created_at=datetime(2026, 3, 4, 5, 6, 7, 999_999, tzinfo=UTC),
    )  # fmt: skip
    for cents, status in (
        (Decimal("0.00"), InvoiceStatus.PAID), (Decimal("12345.67"), InvoiceStatus.UNPAID)
    ):  # fmt: skip
        await make_invoice(
            db, clinic_id, owner.id, number=f"INV-2026-{next(_NUMBERS):06d}", total_amount=cents,
            status=status, pet_id=pet.id, medical_record_id=record.id,
        )  # fmt: skip
    return owner.id


async def _both(
    backend: Backend,
    owner_ids: list[str],
    headers: dict[str, str],
    query: str = EVERY_FIELD,
    variables: dict[str, Any] | None = None,
    **settings: Any,
) -> list[tuple[bool, bool]]:
    """For each owner: whether the short path answered, and wrote a level in SQL."""
    url = backend.settings.database_url
    answered = []
    async with (
        app_client(url, **UNLIMITED, **settings) as short,
        app_client(url, graphql_planner=False, compiled_routes=False, **UNLIMITED, **settings)
        as standard,
    ):  # fmt: skip
        for number, owner_id in enumerate(owner_ids):
            payload = {"query": query, "variables": {"id": owner_id, **(variables or {})}}
            headers = {**headers, "X-Request-Id": f"rendered-{number}"}
            for sight in ("first", "second"):
                before = _compiled()
                with count_statements(short._transport.app.state.db.engine) as statements:  # type: ignore[attr-defined]
                    fast = await short.post("/graphql", json=payload, headers=headers)
                slow = await standard.post("/graphql", json=payload, headers=headers)
                assert _comparable(fast) == _comparable(slow), (sight, owner_id, fast.text)
            rendered = any("AS segment0" in statement for statement in statements.statements)
            answered.append((_compiled() > before, rendered))
    return answered


async def test_written_values_are_the_standard_paths_bytes(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    owners = [await _pet_with_history(backend, clinic.clinic_id, w) for w in WRITTEN_WEIGHTS]
    answered = await _both(backend, owners, clinic.headers)
    postgresql = backend.settings.database_url.startswith("postgresql")
    # Every one answered on the short path; on PostgreSQL with its levels written in SQL.
    assert answered == [(True, postgresql)] * len(owners)
    # and every level written so keeps to the caller's clinic, as every level read does.
    written = [read for read in made_level_reads() if "TextBy" in read.name]
    assert written if postgresql else not written
    for read in written:
        _assert_clinic_bound(read.statement(backend.name))


async def test_a_value_sql_would_write_otherwise_is_declined(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    owners = [await _pet_with_history(backend, clinic.clinic_id, w) for w in DECLINED_WEIGHTS]
    # A panel's integer beyond 64 bits: orjson cannot write it, so the router writes
    # the whole answer with json instead.
    beyond = await _pet_with_history(backend, clinic.clinic_id, 4.5, blood_test={"n": 2**70})
    owners.append(beyond)
    answered = await _both(backend, owners, clinic.headers)
    if backend.settings.database_url.startswith("postgresql"):
        # Written by SQL, declined, answered by the standard path.
        assert [short for short, _rendered in answered] == [False] * len(owners)


@pytest.mark.parametrize("margin", [-40, -1, 0, 1, 40])
async def test_the_answers_byte_bound_decides_as_on_the_standard_path(
    backend: Backend, margin: int
) -> None:
    clinic = await make_clinic(backend.db)
    owner = await _pet_with_history(backend, clinic.clinic_id, 4.5)
    async with app_client(backend.settings.database_url, **UNLIMITED) as client:
        sized = await client.post(
            "/graphql", json={"query": EVERY_FIELD, "variables": {"id": owner}},
            headers=clinic.headers,
        )  # fmt: skip
    assert _size(sized) > 0
    await _both(backend, [owner], clinic.headers, max_response_bytes=_size(sized) + margin)


def _size(response: httpx.Response) -> int:
    data: Any = response.json()["data"]
    return len(httpx.Response(200, json=data).content)


# Relationships written inside their parent's statement (a LATERAL each): a value
# to decline there must decline the whole answer, not vanish from its list or
# turn the object into null.
INLINED = """query($id: ID!) { owner(id: $id) {
  invoices { id pet { name weight } }
  pets { owner { pets { name weight } } } } }"""
# What @include and @skip leave of an object can be nothing: `{}`.
EMPTIED = """query($id: ID!, $f: Boolean!) { owner(id: $id) {
  pets { id @include(if: $f) } invoices { pet { name @skip(if: true) } } } }"""


async def test_inlined_relationships_decline_what_their_objects_decline(
    backend: Backend,
) -> None:
    clinic = await make_clinic(backend.db)
    written = await _pet_with_history(backend, clinic.clinic_id, 4.5)
    declined = await _pet_with_history(backend, clinic.clinic_id, 1e-5)
    answered = await _both(backend, [written, declined], clinic.headers, INLINED)
    if backend.settings.database_url.startswith("postgresql"):
        assert answered == [(True, True), (False, True)]


async def test_an_inlined_object_is_written_once_per_row(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its text feeds two aggregates (the list, and whether every object was
    # written); made in a fenced subquery, PostgreSQL builds it once per row.
    if not backend.settings.database_url.startswith("postgresql"):
        pytest.skip("levels are written in SQL on PostgreSQL only")
    # Only this document's reads: another's may select one column under two aliases.
    monkeypatch.setattr(compiled_reads, "_RENDERED", Bounded(compiled_reads._RENDERED.limit))
    query = EVERY_FIELD.replace("query(", "query WrittenOnce(", 1)
    clinic = await make_clinic(backend.db)
    owner = await _pet_with_history(backend, clinic.clinic_id, 4.5)
    assert await _both(backend, [owner], clinic.headers, query) == [(True, True)]
    dialect = backend.db.engine.dialect
    sql = [str(read.compiled(dialect).sql) for read in compiled_reads._RENDERED.values()]
    written = [statement for statement in sql if "inline" in statement]
    assert written
    for statement in written:
        fields = set(re.findall(r"to_json\(inline\d+\.\w+\)", statement))
        assert fields
        assert all(statement.count(field) == 1 for field in fields), statement


async def test_an_object_left_without_fields_is_an_empty_object(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    owner = await _pet_with_history(backend, clinic.clinic_id, 4.5)
    postgresql = backend.settings.database_url.startswith("postgresql")
    answered = await _both(backend, [owner], clinic.headers, EMPTIED, {"f": False})
    assert answered == [(True, postgresql)]


async def test_rendered_reads_are_bounded_whatever_the_aliases(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Their SQL holds the response keys: a new spelling of an alias is a new read.
    monkeypatch.setattr(compiled_reads._RENDERED, "limit", 3)
    clinic = await make_clinic(backend.db)
    owner = await _pet_with_history(backend, clinic.clinic_id, 4.5)
    async with app_client(backend.settings.database_url, **UNLIMITED) as client:
        for number in range(8):
            query = f"query($id: ID!) {{ owner(id: $id) {{ pets {{ a{number}: name }} }} }}"
            payload = {"query": query, "variables": {"id": owner}}
            for _sight in ("first", "second"):
                answer = await client.post("/graphql", json=payload, headers=clinic.headers)
                assert answer.json()["data"]["owner"]["pets"][0][f"a{number}"] == AWKWARD_TEXT
    assert len(compiled_reads._RENDERED) <= 3


# A root list's objects written whole by PostgreSQL in its page's rows
# (graphql_schema.rendered.PageObjects): with their cursors, totals and inlined
# relationships, after a cursor or an offset, and declined where a value is.
PAGES = (
    "{ owners(first: 3) { nodes { id firstName middleName email lastVisit createdAt } } }",
    """query($after: String) { owners(first: 2, after: $after) { totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } __typename
      nodes { __typename id pets { name weight birthdate } invoices { totalAmount } } } }""",
    "{ pets(first: 2, offset: 1) { nodes { name species owner { email } } } }",
    "{ invoices(status: PAID) { nodes { invoiceNumber status items { price } } } }",
    "{ medicalRecords(first: 5) { nodes { title bloodTest pet { name } } } }",
    "{ owners { edges { cursor node { id } } nodes { id } } }",
    "{ a: owners(first: 1) { nodes { id } } b: owners(offset: 1) { nodes { lastName } } }",
)


async def test_a_root_lists_objects_are_written_in_its_page(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    for weight in (4.5, 12.0, None):
        await _pet_with_history(backend, clinic.clinic_id, weight)
    other = await make_clinic(backend.db)
    await _pet_with_history(backend, other.clinic_id, 3.0)
    postgresql = backend.settings.database_url.startswith("postgresql")
    url = backend.settings.database_url
    async with (
        app_client(url, **UNLIMITED) as short,
        app_client(url, graphql_planner=False, compiled_routes=False, **UNLIMITED) as standard,
    ):  # fmt: skip
        first = await short.post("/graphql", json={"query": PAGES[1]}, headers=clinic.headers)
        await standard.post("/graphql", json={"query": PAGES[1]}, headers=clinic.headers)
        cursor = first.json()["data"]["owners"]["pageInfo"]["startCursor"]
        for number, query in enumerate(PAGES):
            payload = {"query": query, "variables": {"after": cursor} if "$after" in query else {}}
            headers = {**clinic.headers, "X-Request-Id": f"page-{number}"}
            for _sight in ("first", "second"):
                before = _compiled()
                engine = short._transport.app.state.db.engine  # type: ignore[attr-defined]
                with count_statements(engine) as statements:
                    fast = await short.post("/graphql", json=payload, headers=headers)
                slow = await standard.post("/graphql", json=payload, headers=headers)
                assert _comparable(fast) == _comparable(slow), (query, fast.text)
            assert _compiled() > before, query
            projected = any(" AS object" in s for s in statements.statements)
            # Objects PostgreSQL writes whole are in the page's rows: no level below them.
            assert projected == (postgresql and "edges" not in query and "bloodTest" not in query)
            if projected:  # with its total, when asked, in the page's statement too
                reads = [s for s in statements.statements if "FROM api_keys" not in s]
                assert len(reads) == query.count("s("), reads
    for statement in compiled_reads.made_statements():
        _assert_clinic_bound(statement)


async def test_a_value_sql_would_write_otherwise_declines_the_page(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    await _pet_with_history(backend, clinic.clinic_id, 1e-5)
    query = "{ pets { nodes { name weight } } }"
    url = backend.settings.database_url
    async with (
        app_client(url, **UNLIMITED) as short,
        app_client(url, graphql_planner=False, compiled_routes=False, **UNLIMITED) as standard,
    ):  # fmt: skip
        headers = {**clinic.headers, "X-Request-Id": "declined-page"}
        for _sight in ("first", "second"):
            before = _compiled()
            fast = await short.post("/graphql", json={"query": query}, headers=headers)
            slow = await standard.post("/graphql", json={"query": query}, headers=headers)
            assert _comparable(fast) == _comparable(slow)
        declined = _compiled() == before
    assert declined == backend.settings.database_url.startswith("postgresql")


async def test_money_is_written_as_float_of_its_decimal(backend: Backend) -> None:
    if not backend.settings.database_url.startswith("postgresql"):
        pytest.skip("JSON text is written by PostgreSQL only")
    rng = random.Random(7)
    edges = [0, 1, -1, 99, 100, -100, 12345, 2**53 - 1, -(2**53 - 1), 2**53, -(2**53), 2**62]
    values = edges + [rng.randint(-(2**53), 2**53) for _ in range(3000)]
    values += [rng.randint(-(10**8), 10**8) for _ in range(3000)]
    cents = func.unnest(bindparam("cents", values, type_=ARRAY(BigInteger))).column_valued()
    async with backend.db.engine.connect() as connection:
        written = (await connection.execute(select(cents, json_text.money(cents)))).all()
    for value, text in written:
        exact = abs(value) < 2**53  # beyond, NULL: the standard path writes it
        assert text == (orjson.dumps(float(Decimal(value).scaleb(-2))).decode() if exact else None)
