"""Bring a database to the head revision; the only way our schema is created."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

# Tables declared beside their modules, not in app.models: registered with the
# metadata that migrations are written from and compared with.
from app.change_log import models as _change_log_models  # noqa: F401
from app.webhooks import models as _webhook_models  # noqa: F401

MIGRATIONS = Path(__file__).parent / "migrations"
# Where a migration reports a long step (`report_progress`), as lines for an operator.
PROGRESS = "clinova_progress"
Progress = Callable[[str], None]


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def include_in_autogenerate(obj: Any, _name: Any, type_: str, *_: Any) -> bool:
    """Leave PostgreSQL's trigram GIN indexes out of model comparison.

    Alembic cannot compare their operator classes, they exist only on PostgreSQL,
    and live in migrations 0002, 0006 and 0007 alone; tests/test_owner_search.py
    checks them.
    """
    return not (type_ == "index" and obj.dialect_kwargs.get("postgresql_using") == "gin")


def report_progress(attributes: dict[str, Any], line: str) -> None:
    """Tell the operator how a migration is doing, if someone is watching."""
    progress: Progress | None = attributes.get(PROGRESS)
    if progress is not None:
        progress(line)


def _upgrade(connection: Connection, revision: str, progress: Progress | None) -> str | None:
    config = alembic_config()
    config.attributes["connection"] = connection
    config.attributes[PROGRESS] = progress
    command.upgrade(config, revision)
    return _revision(connection)


async def migrate(
    engine: AsyncEngine, revision: str = "head", *, progress: Progress | None = None
) -> str | None:
    """Upgrade to `revision`, each applied revision told to `progress`; the revision now."""
    async with engine.begin() as connection:
        return await connection.run_sync(_upgrade, revision, progress)


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def schema_problem(engine: AsyncEngine) -> str | None:
    """Why the database cannot be used as it is (never migrated, or behind), or None."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    async with engine.connect() as connection:
        current = await connection.run_sync(_revision)
    if current == head:
        return None
    state = (
        "has never been migrated" if current is None else f"is at revision {current}, not {head}"
    )
    return f"the database {state}: run `clinova migrate` first"
