"""v1 lists whose objects PostgreSQL writes answer the response model's bytes, or read rows.

On the short path a v1 list of owners or pets selects each object as JSON text
(rest_compat.shapes.WrittenObjects) where its page would select the model's
columns; a list of medical records, whose JSON panels PostgreSQL would space
otherwise, reads rows as before. These values are where SQL and pydantic could
part: escapes, doubles, nulls, dates as midnight, timestamps; a double SQL
would write otherwise (an exponent) makes that page be read again as rows.
"""

from itertools import count

import pytest

from app import models
from app.compiled_reads import made_statements
from rest_compat import shapes
from tests.conftest import Backend, app_client
from tests.factories import make_clinic, make_owner
from tests.graphql_client import count_statements
from tests.test_compiled_route import _comparable
from tests.test_planned_execution import UNLIMITED, _assert_clinic_bound
from tests.test_rendered_levels import (
    AWKWARD_TEXT,
    DECLINED_WEIGHTS,
    WRITTEN_WEIGHTS,
    _pet_with_history,
)

_NUMBERS = count()


async def _both(
    backend: Backend, headers: dict[str, str], paths: list[str]
) -> list[tuple[bool, int]]:
    """For each path: whether the compiled instance's page was written by SQL, and its reads."""
    url = backend.settings.database_url
    seen = []
    async with (
        app_client(url, **UNLIMITED) as short,
        app_client(url, compiled_routes=False, **UNLIMITED) as standard,
    ):  # fmt: skip
        engine = short._transport.app.state.db.engine  # type: ignore[attr-defined]
        for path in paths:
            sent = {**headers, "X-Request-Id": f"written-{next(_NUMBERS)}"}
            with count_statements(engine) as statements:
                fast = await short.get(f"/api/v1{path}", headers=sent)
            slow = await standard.get(f"/api/v1{path}", headers=sent)
            assert fast.status_code == 200, fast.text
            assert _comparable(fast) == _comparable(slow), (path, fast.text, slow.text)
            reads = [s for s in statements.statements if "FROM api_keys" not in s]
            seen.append((any(" AS v1_object" in s for s in reads), len(reads)))
    return seen


async def test_written_objects_are_the_response_models_bytes(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    owners = [await _pet_with_history(backend, clinic.clinic_id, w) for w in WRITTEN_WEIGHTS]
    await make_owner(backend.db, clinic.clinic_id, middle_name=AWKWARD_TEXT, phone=None)
    other = await make_clinic(backend.db)
    await _pet_with_history(backend, other.clinic_id, 3.0)
    paths = [
        "/owners", "/owners?limit=3&offset=2", "/owners?search=he%20said", "/owners?offset=500",
        "/pets", f"/pets?ownerId={owners[1]}", "/pets?species=dog&limit=2", "/medical-records",
    ]  # fmt: skip
    seen = await _both(backend, clinic.headers, paths)
    postgresql = backend.settings.database_url.startswith("postgresql")
    written = [postgresql and "medical" not in path for path in paths]
    assert [projected for projected, _reads in seen] == written
    # The page, its total and its objects' text: one statement (an empty page counts apart).
    assert [reads for _projected, reads in seen] == [1, 1, 1, 2, 1, 1, 1, 1]
    for statement in made_statements():
        _assert_clinic_bound(statement)


async def test_a_double_sql_would_write_otherwise_reads_the_page_as_rows(
    backend: Backend,
) -> None:
    clinic = await make_clinic(backend.db)
    for weight in DECLINED_WEIGHTS:
        await _pet_with_history(backend, clinic.clinic_id, weight)
    seen = await _both(backend, clinic.headers, ["/pets", "/owners"])
    if backend.settings.database_url.startswith("postgresql"):
        # Written, one NULL among them, and read again as rows; the owners have no doubles.
        assert seen == [(True, 2), (True, 1)]


async def test_the_answer_is_json_the_client_reads(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    await _pet_with_history(backend, clinic.clinic_id, 4.5)
    async with app_client(backend.settings.database_url, **UNLIMITED) as client:
        answer = await client.get("/api/v1/pets", headers=clinic.headers)
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    (pet,) = body["data"]
    assert pet["name"] == AWKWARD_TEXT and pet["weight"] == 4.5
    assert pet["birthdate"] == "2020-02-29T00:00:00.000Z"
    assert body["pagination"] == {"total": 1, "limit": 50, "offset": 0, "hasMore": False}


def test_a_shape_naming_a_key_it_lacks_is_refused_where_it_is_declared() -> None:
    with pytest.raises(TypeError, match="createdat"):

        @shapes.shaped(models.Owner, createdat=shapes.timestamp)
        class Misspelt(shapes.Shaped):
            id: str
            createdAt: str


def test_every_key_of_a_shape_reads_a_column_of_its_rows() -> None:
    assert shapes.Owner.WRITTEN["lastVisit"].attribute == "last_visit"
    assert shapes.Pet.WRITTEN["ownerId"].attribute == "owner_id"
    assert shapes.MedicalRecord.WRITTEN["bloodTestJson"].attribute == "blood_test"
    for shape in (shapes.Owner, shapes.Pet, shapes.MedicalRecord):
        assert list(shape.WRITTEN) == list(shape.model_fields)
