from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from app.database import Database
from app.migrate import include_in_autogenerate, migrate
from app.models import Base


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
    assert version == "0005"
