from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from app.database import Database
from app.migrate import alembic_config, include_in_autogenerate, migrate
from app.models import Base
from app.settings import Settings


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_in_autogenerate}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(db: Database) -> None:
    async with db.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


async def test_migrate_is_idempotent_and_reaches_head(db: Database) -> None:
    await migrate(db.engine)
    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        result = await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        version = result.scalar_one()
    assert {"owners", "pets", "medical_records", "invoices", "invoice_items", "api_keys"} <= tables
    # The head of the scripts, so that a new migration needs no edit here.
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_upgrades_keep_existing_rows(tmp_path: Path, scratch_postgres_url: str) -> None:
    # Given a database of an earlier revision holding a clinic's history...
    for url in (f"sqlite+aiosqlite:///{tmp_path / 'old.db'}", scratch_postgres_url):
        db = Database(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
        try:
            await migrate(db.engine, "0004")
            async with db.engine.begin() as connection:
                for statement in OLD_ROWS:
                    await connection.exec_driver_sql(statement)
            # ...when it is migrated to head, the rows survive and new columns are filled.
            await migrate(db.engine)
            async with db.engine.connect() as connection:
                result = await connection.exec_driver_sql(
                    "SELECT species, species_key FROM pets WHERE id = 'cpet00000000000000000001'"
                )
                assert result.one() == ("Cat", "cat")
                result = await connection.exec_driver_sql(
                    "SELECT search_text FROM owners WHERE id = 'cowner000000000000000001'"
                )
                assert result.scalar_one() == "a b "
                # the clinic's rows are counted as they stand (0011)
                result = await connection.exec_driver_sql(
                    "SELECT entity, count FROM clinic_counts "
                    "WHERE clinic_id = 'cclinic00000000000000001'"
                )
                assert {entity: count for entity, count in result} == {
                    "owners": 1, "pets": 1, "medical_records": 1,
                }  # fmt: skip
        finally:
            await db.dispose()


NOW = "'2026-01-01 00:00:00'"
OLD_ROWS = [
    f"INSERT INTO clinics (id, name, created_at, updated_at) "
    f"VALUES ('cclinic00000000000000001', 'Old', {NOW}, {NOW})",
    f"INSERT INTO owners (id, clinic_id, first_name, last_name, created_at, updated_at) "
    f"VALUES ('cowner000000000000000001', 'cclinic00000000000000001', 'A', 'B', {NOW}, {NOW})",
    f"INSERT INTO pets (id, clinic_id, owner_id, name, species, neutered, created_at, updated_at)"
    f" VALUES ('cpet00000000000000000001', 'cclinic00000000000000001', "
    f"'cowner000000000000000001', 'Tom', 'Cat', false, {NOW}, {NOW})",
    f"INSERT INTO medical_records (id, clinic_id, pet_id, date, title, created_by_id, "
    f"created_at, updated_at) VALUES ('crec00000000000000000001', 'cclinic00000000000000001', "
    f"'cpet00000000000000000001', {NOW}, 'Visit', 'x', {NOW}, {NOW})",
]
