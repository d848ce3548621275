"""The feed: cursor pages, oldest first, filtered by the key's read scopes, on REST and GraphQL."""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update

from app.change_log.models import ChangeEvent
from app.change_log.retention import purge_expired
from app.timestamps import utc_now
from tests.conftest import Backend
from tests.factories import ClinicKey, clinic_session, make_clinic, make_key
from tests.graphql_client import codes, gql
from tests.test_change_log import feed, post

CHANGES = """query($after: String, $first: Int, $types: [String!]) {
  changes(after: $after, first: $first, types: $types) {
    edges { cursor node { id type entity entityId actor occurredAt data } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }"""


async def _history(client: httpx.AsyncClient, clinic: ClinicKey) -> tuple[str, str, str]:
    """owner.created, pet.created, medical_record.created, owner.updated (its lastVisit)."""
    owner = await post(client, clinic, "owners", {"firstName": "Ada", "lastName": "Byron"})
    pet = await post(client, clinic, "pets", {"name": "Rex", "species": "Dog", "ownerId": owner})
    body = await gql(client, clinic, """mutation($pet: ID!) { createMedicalRecord(input: {
      petId: $pet, date: "2026-01-15", title: "Checkup"}) { id } }""", {"pet": pet})  # fmt: skip
    return owner, pet, body["data"]["createMedicalRecord"]["id"]


async def _page(client: httpx.AsyncClient, key: ClinicKey, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/events", params=params, headers=key.headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_rest_pages_oldest_first_by_cursor(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(backend.db)
    await _history(client, clinic)

    first = await _page(client, clinic, limit=3)
    rest = await _page(client, clinic, limit=3, after=first["pagination"]["nextCursor"])
    end = await _page(client, clinic, limit=3, after=rest["pagination"]["nextCursor"])

    assert [e["id"] for e in first["data"]] == ["1", "2", "3"]
    assert first["pagination"] == {"limit": 3, "hasMore": True, "nextCursor": "3"}
    assert [e["type"] for e in rest["data"]] == ["owner.updated"]
    assert rest["pagination"] == {"limit": 3, "hasMore": False, "nextCursor": "4"}
    # Caught up: an empty page, and the cursor to poll with stays where it was.
    assert end == {"data": [], "pagination": {"limit": 3, "hasMore": False, "nextCursor": "4"}}
    assert set(first["data"][0]) == {
        "id", "type", "entity", "entityId", "occurredAt", "actor", "data",
    }  # fmt: skip


async def test_graphql_pages_the_same_feed(backend: Backend, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(backend.db)
    owner, _pet, _record = await _history(client, clinic)

    first = (await gql(client, clinic, CHANGES, {"first": 2}))["data"]["changes"]
    after = first["pageInfo"]["endCursor"]
    rest = (await gql(client, clinic, CHANGES, {"after": after}))["data"]["changes"]
    rest_page = await _page(client, clinic, after=after)

    assert [e["node"]["type"] for e in first["edges"]] == ["owner.created", "pet.created"]
    assert first["pageInfo"] == {
        "hasNextPage": True, "hasPreviousPage": False, "startCursor": "1", "endCursor": "2",
    }  # fmt: skip
    assert first["totalCount"] == 4
    assert [e["node"] for e in rest["edges"]] == rest_page["data"]
    assert rest["edges"][-1]["node"]["entityId"] == owner
    assert rest["pageInfo"]["hasNextPage"] is False and rest["pageInfo"]["endCursor"] == "4"


async def test_types_filter_the_feed_and_unknown_types_are_refused(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(backend.db)
    await _history(client, clinic)

    comma = await _page(client, clinic, types="pet.created,owner.updated")
    repeated = await client.get(
        "/api/v1/events?types=pet.created&types=owner.updated", headers=clinic.headers
    )
    graphql = await gql(client, clinic, CHANGES, {"types": ["pet.created", "owner.updated"]})
    unknown = await client.get("/api/v1/events?types=pet.renamed", headers=clinic.headers)
    unknown_graphql = await gql(client, clinic, CHANGES, {"types": ["pet.renamed"]})

    assert [e["type"] for e in comma["data"]] == ["pet.created", "owner.updated"]
    assert repeated.json()["data"] == comma["data"]
    assert [e["node"]["id"] for e in graphql["data"]["changes"]["edges"]] == ["2", "4"]
    assert graphql["data"]["changes"]["totalCount"] == 2
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "types" in unknown.json()["error"]["details"]
    assert codes(unknown_graphql) == ["VALIDATION_ERROR"]


async def test_a_key_sees_only_events_of_what_it_may_read(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(backend.db)
    await _history(client, clinic)
    no_records = await make_key(backend.db, clinic.clinic_id, scopes=["owners:read", "pets:read"])
    records_only = await make_key(backend.db, clinic.clinic_id, scopes=["records:write"])
    nothing = await make_key(backend.db, clinic.clinic_id, scopes=["webhooks:manage"])
    other_clinic = await make_clinic(backend.db)

    assert [e["entity"] for e in await feed(client, no_records)] == ["owner", "pet", "owner"]
    # records:write implies records:read, as everywhere else.
    assert [e["entity"] for e in await feed(client, records_only)] == ["medical_record"]
    graphql = await gql(client, records_only, CHANGES)
    assert graphql["data"]["changes"]["totalCount"] == 1
    assert await feed(client, nothing) == []
    assert await feed(client, other_clinic) == []


async def test_a_bad_cursor_is_a_validation_error(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(backend.db)
    for cursor in ("abc", "-1", "1e3", "9" * 40):
        response = await client.get(f"/api/v1/events?after={cursor}", headers=clinic.headers)
        assert response.status_code == 400, cursor
        assert response.json()["error"]["details"] == {"after": "is not an event id from this API"}
    assert codes(await gql(client, clinic, CHANGES, {"after": "abc"})) == ["VALIDATION_ERROR"]
    assert codes(await gql(client, clinic, CHANGES, {"first": 0})) == ["VALIDATION_ERROR"]


async def test_a_cursor_past_retention_has_expired(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    # Given a clinic whose first three events are older than the retention, and removed...
    clinic = await make_clinic(backend.db)
    await _history(client, clinic)
    days = backend.settings.events_retention_days
    async with clinic_session(backend.db, clinic.clinic_id) as session:
        await session.execute(
            update(ChangeEvent)
            .where(ChangeEvent.seq <= 3)
            .values(occurred_at=utc_now() - timedelta(days=days, minutes=1))
        )
        await session.commit()
    removed = await purge_expired(backend.db.sessionmaker, retention_days=days, now=utc_now())
    assert removed >= 3

    # ...a reader at event 1 or 2 would miss what was removed: refused, on both surfaces.
    for cursor in ("1", "2"):
        expired = await client.get(f"/api/v1/events?after={cursor}", headers=clinic.headers)
        assert expired.status_code == 400
        assert expired.json()["error"]["code"] == "VALIDATION_ERROR"
        assert expired.json()["error"]["message"] == "The cursor has expired"
        assert f"{days}-day retention" in expired.json()["error"]["details"]["after"]
    assert codes(await gql(client, clinic, CHANGES, {"after": "2"})) == ["VALIDATION_ERROR"]
    # A reader at 3 missed nothing, and a new reader starts at the oldest event kept.
    assert [e["id"] for e in await feed(client, clinic, after="3")] == ["4"]
    assert [e["id"] for e in await feed(client, clinic)] == ["4"]


async def test_a_reader_that_stops_resumes_without_a_gap_or_a_repeat(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(backend.db)
    for n in range(5):
        await post(client, clinic, "owners", {"firstName": f"O{n}", "lastName": "Before"})
    read: list[str] = []
    cursor = ""
    for _ in range(2):  # two pages of two, then the reader stops
        page = await _page(client, clinic, limit=2, after=cursor)
        read += [e["id"] for e in page["data"]]
        cursor = page["pagination"]["nextCursor"]

    for n in range(3):  # written while it is away
        await post(client, clinic, "owners", {"firstName": f"O{n}", "lastName": "After"})
    while True:  # it comes back with its cursor
        page = await _page(client, clinic, limit=2, after=cursor)
        read += [e["id"] for e in page["data"]]
        cursor = page["pagination"]["nextCursor"]
        if not page["pagination"]["hasMore"]:
            break

    assert read == [str(n) for n in range(1, 9)]
