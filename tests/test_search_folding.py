"""Owner search folds case and accents by Unicode rules, the same on SQLite and PostgreSQL."""

from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.database import Database
from app.migrate import migrate
from app.settings import Settings
from tests.factories import ClinicKey, make_clinic, make_owner
from tests.graphql_client import gql

OWNERS_MATCHING = "query ($s: String) { owners(search: $s) { nodes { id } totalCount } }"
UPDATE_OWNER = """mutation ($id: ID!, $input: OwnerPatch!) {
  updateOwner(id: $id, input: $input) { id } }"""

# (first name, last name, email) -> terms that find that owner and no other.
PEOPLE: list[tuple[tuple[str, str, str | None], list[str]]] = [
    (
        ("Élodie", "Ñúñez", "elodie@exemple.fr"),
        ["élodie", "ÉLODIE", "ñúñez", "ÑÚÑEZ", "elodie", "nunez", "Élodie Ñúñez", "odie ñ"],
    ),
    (("Σωκράτης", "Παπαδόπουλος", None), ["σωκράτης", "ΣΩΚΡΆΤΗΣ", "σωκρατης", "παπαδόπουλος"]),
    (("Дмитрий", "Шостакович", None), ["дмитрий", "ДМИТРИЙ", "шостакович", "Дмитрий Шост"]),
    (("Heinz", "Straße", None), ["straße", "STRASSE", "strasse", "STRAẞE"]),
    (("İlkay", "Gündoğan", "ilkay@örnek.tr"), ["İlkay", "ilkay", "İLKAY", "gündoğan", "GUNDOGAN"]),
]
TERMS = [(first, term) for (first, _, _), terms in PEOPLE for term in terms]


async def _an_owner_of_each_script(db: Database) -> tuple[ClinicKey, dict[str, str]]:
    clinic = await make_clinic(db)
    ids = {}
    for first, last, email in (person for person, _ in PEOPLE):
        owner = await make_owner(
            db, clinic.clinic_id, first_name=first, last_name=last, email=email
        )
        ids[first] = owner.id
    return clinic, ids


async def _rest_search(client: httpx.AsyncClient, clinic: ClinicKey, term: str) -> list[str]:
    response = await client.get("/api/v1/owners", params={"search": term}, headers=clinic.headers)
    assert response.status_code == 200, response.text
    return [owner["id"] for owner in response.json()["data"]]


async def _graphql_search(client: httpx.AsyncClient, clinic: ClinicKey, term: str) -> list[str]:
    body = await gql(client, clinic, OWNERS_MATCHING, {"s": term})
    connection = body["data"]["owners"]
    assert connection["totalCount"] == len(connection["nodes"])
    return [node["id"] for node in connection["nodes"]]


@pytest.mark.parametrize(("first_name", "term"), TERMS)
async def test_each_script_is_found_whatever_its_case_and_accents(
    db: Database, client: httpx.AsyncClient, first_name: str, term: str
) -> None:
    clinic, ids = await _an_owner_of_each_script(db)

    found_by_rest = await _rest_search(client, clinic, term)
    found_by_graphql = await _graphql_search(client, clinic, term)

    assert found_by_rest == found_by_graphql == [ids[first_name]]


async def test_a_renamed_owner_is_found_by_the_new_name_only(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id, first_name="Jane", last_name="Doe")

    await gql(client, clinic, UPDATE_OWNER, {"id": owner.id, "input": {"lastName": "Müller"}})
    await gql(client, clinic, UPDATE_OWNER, {"id": owner.id, "input": {"email": "jm@bücher.de"}})

    assert await _graphql_search(client, clinic, "MULLER") == [owner.id]
    assert await _rest_search(client, clinic, "jane müller") == [owner.id]
    assert await _rest_search(client, clinic, "BUCHER.DE") == [owner.id]
    assert await _rest_search(client, clinic, "doe") == []


async def test_phones_are_still_found_ignoring_punctuation(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id, first_name="Zoë", phone="+1 (555) 014-2000")

    assert await _rest_search(client, clinic, "555.0142") == [owner.id]
    assert await _graphql_search(client, clinic, "(555) 0142") == [owner.id]


async def test_the_migration_folds_the_search_text_of_existing_owners(
    tmp_path: Path, scratch_postgres_url: str
) -> None:
    for url in (f"sqlite+aiosqlite:///{tmp_path / 'old.db'}", scratch_postgres_url):
        db = Database(Settings(database_url=url, _env_file=None))
        try:
            # Given owners written before 0009, when the database lowercased their text...
            await migrate(db.engine, "0008")
            async with db.engine.begin() as connection:
                for statement in OLD_OWNERS:
                    await connection.exec_driver_sql(statement)

            # ...when it is migrated to head, their text is folded as new owners' is.
            await migrate(db.engine)

            async with db.engine.connect() as connection:
                stored = await connection.exec_driver_sql(
                    "SELECT first_name, search_text FROM owners ORDER BY id"
                )
                assert [tuple(row) for row in stored] == [
                    ("Élodie", "elodie nunez "),
                    ("Jane", "jane doe "),
                ]
                if db.engine.dialect.name == "postgresql":
                    kept = await connection.scalar(text(KEPT_ON_POSTGRES))
                    assert kept == ("ix_owners_clinic_search_text_trgm", 1000)
        finally:
            await db.dispose()


NOW = "'2026-01-01 00:00:00'"
OLD_OWNERS = [
    f"INSERT INTO clinics (id, name, created_at, updated_at) "
    f"VALUES ('cclinic00000000000000001', 'Old', {NOW}, {NOW})",
    *(
        f"INSERT INTO owners (id, clinic_id, first_name, last_name, created_at, updated_at) "
        f"VALUES ('{id_}', 'cclinic00000000000000001', '{first}', '{last}', {NOW}, {NOW})"
        for id_, first, last in [
            ("cowner000000000000000001", "Élodie", "Ñúñez"),
            ("cowner000000000000000002", "Jane", "Doe"),
        ]
    ),
]
# The trigram index (0007) and statistics target (0008) survive the rebuilt column.
KEPT_ON_POSTGRES = """
SELECT (i.indexname, a.attstattarget)
FROM pg_indexes i, pg_attribute a
WHERE i.tablename = 'owners' AND i.indexdef LIKE '%search_text gin_trgm_ops%'
  AND a.attrelid = 'owners'::regclass AND a.attname = 'search_text'"""
