"""An answer over CLINOVA_MAX_RESPONSE_BYTES is refused whole, before it is all built."""

import json
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.models import MedicalRecord
from bench.scenarios import DASHBOARD
from graphql_schema.cost import MAX_REQUESTED_NODES
from tests.conftest import Backend, app_client
from tests.factories import ClinicKey, insert, make_clinic, make_owner, make_pet, make_record

RECORDS = 60
PANEL = {f"marker{i}": {"value": i, "unit": "x" * 20, "note": "n" * 30} for i in range(40)}
PANEL_BYTES = len(json.dumps(PANEL, separators=(",", ":")))  # ~3.5 KB
ALIASES = 20
BOUND = 1_000_000
_RESTORES_AT = re.compile(rb'"restoresAt":\s*\d+')


def _aliases(count: int) -> str:
    fields = " ".join(
        f"a{i}: pet(id: $id) {{ medicalRecords {{ bloodTest urineTest }} }}" for i in range(count)
    )
    return f"query($id: ID!) {{ {fields} }}"


async def _pet_with_panels(backend: Backend) -> tuple[ClinicKey, str]:
    clinic = await make_clinic(backend.db)
    owner = await make_owner(backend.db, clinic.clinic_id)
    pet = await make_pet(backend.db, clinic.clinic_id, owner.id)
    records = [
        MedicalRecord(
            date=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i),
            title=f"Visit {i}",
            pet_id=pet.id,
            created_by_id="apikey|test",
            blood_test=PANEL,
            urine_test=PANEL,
        )
        for i in range(RECORDS)
    ]
    await insert(backend.db, clinic.clinic_id, *records)
    return clinic, pet.id


@pytest.mark.parametrize("planner", [True, False], ids=["planned", "standard"])
async def test_an_answer_over_the_bound_is_refused_before_it_is_built(
    backend: Backend, planner: bool
) -> None:
    # Given a pet with 60 records of two lab panels each: 20 aliases of them are ~8 MB
    clinic, pet_id = await _pet_with_panels(backend)
    payload = {"query": _aliases(ALIASES), "variables": {"id": pet_id}}
    # when an instance bounded at 1 MB is asked for all of it
    async with app_client(
        backend.settings.database_url, max_response_bytes=BOUND, graphql_planner=planner
    ) as http:
        legacy = await http.post("/graphql", json=payload, headers=clinic.headers)
        preferred = await http.post(
            "/graphql",
            json=payload,
            headers={**clinic.headers, "Accept": "application/graphql-response+json"},
        )
    # then it is refused with QUERY_TOO_COMPLEX stating the bound, and nothing of the data
    assert (legacy.status_code, preferred.status_code) == (200, 400)
    body = legacy.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["details"] == {"maxResponseBytes": BOUND}
    assert str(BOUND) in error["message"]
    assert len(legacy.content) < 2_000
    # and building stopped soon after the bound (1/8 of the answer): its cost counts
    # the panels built and the records begun, a fraction of the whole answer's nodes
    panel_nodes = math.ceil(PANEL_BYTES / 1_000)
    whole = ALIASES * (1 + RECORDS * (1 + 2 * panel_nodes))
    assert body["extensions"]["cost"]["actualNodes"] < whole / 4


async def test_an_answer_under_the_bound_is_unchanged(backend: Backend) -> None:
    clinic, pet_id = await _pet_with_panels(backend)
    payload = {"query": _aliases(2), "variables": {"id": pet_id}}
    answers: list[Any] = []
    for bound in (BOUND, 8_388_608):
        async with app_client(backend.settings.database_url, max_response_bytes=bound) as http:
            answers.append(await http.post("/graphql", json=payload, headers=clinic.headers))
    small, default = answers
    assert small.status_code == default.status_code == 200
    assert "errors" not in small.json()
    assert len(small.json()["data"]["a0"]["medicalRecords"]) == RECORDS
    assert _RESTORES_AT.sub(b"", small.content) == _RESTORES_AT.sub(b"", default.content)


async def test_a_mutations_answer_is_bounded_too(backend: Backend) -> None:
    # A mutation completes through graphql-core's executor, never the planner.
    clinic = await make_clinic(backend.db)
    owner = await make_owner(backend.db, clinic.clinic_id)
    pet = await make_pet(backend.db, clinic.clinic_id, owner.id)
    record = await make_record(backend.db, clinic.clinic_id, pet.id, blood_test=PANEL)
    document = "mutation($id: ID!) { updateMedicalRecord(id: $id, input: {}) { id bloodTest } }"
    payload = {"query": document, "variables": {"id": record.id}}
    async with app_client(backend.settings.database_url, max_response_bytes=1_000) as http:
        body = (await http.post("/graphql", json=payload, headers=clinic.headers)).json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]


async def test_json_fields_weigh_in_the_estimate_and_the_cost_by_their_size(
    backend: Backend,
) -> None:
    clinic = await make_clinic(backend.db)
    owner = await make_owner(backend.db, clinic.clinic_id)
    pet = await make_pet(backend.db, clinic.clinic_id, owner.id)
    await make_record(backend.db, clinic.clinic_id, pet.id, blood_test=PANEL)
    payload = {"query": _aliases(1), "variables": {"id": pet.id}}
    async with app_client(backend.settings.database_url) as http:
        body = (await http.post("/graphql", json=payload, headers=clinic.headers)).json()
    cost = body["extensions"]["cost"]
    # pet 1, records 10 (assumed), each record's two panels of an assumed size (2 nodes)
    assert cost["requestedNodes"] == 1 + 10 + 10 * 2 * 2
    # pet, record, and the one panel by its size (the other is null)
    assert cost["actualNodes"] == 2 + math.ceil(PANEL_BYTES / 1_000)


async def test_the_full_dashboard_of_the_issue_is_within_the_estimate(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    # Every field of 50 owners, their pets, records (with both panels), invoices and
    # items: what frontends ask for, and what an assumed worst-case panel refused.
    clinic = await make_clinic(backend.db)
    body = (await client.post("/graphql", json={"query": DASHBOARD}, headers=clinic.headers)).json()
    assert "errors" not in body, body["errors"]
    assert body["extensions"]["cost"]["requestedNodes"] <= MAX_REQUESTED_NODES
