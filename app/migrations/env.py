"""Alembic environment. `app.migrate` hands us an open connection; the `alembic`
command line (for writing new revisions) gets one from CLINOVA_DATABASE_URL."""

import asyncio
from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy.engine import Connection

from app.migrate import include_in_autogenerate, report_progress
from app.models import Base

target_metadata = Base.metadata


def _applied(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    # The revision map holds alembic's Scripts, whose doc is the docstring's first paragraph.
    revision = step.up_revision
    doc = " ".join(str(getattr(revision, "doc", "") or "").split())
    report_progress(context.config.attributes, f"{step.up_revision_id}: {doc}")


def run_on(connection: Connection) -> None:
    context.configure(
        on_version_apply=_applied,
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_in_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_settings() -> None:
    from app.database import create_engine
    from app.settings import get_settings

    engine = create_engine(get_settings())
    async with engine.connect() as connection:
        await connection.run_sync(run_on)
        await connection.commit()
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    asyncio.run(_run_from_settings())
