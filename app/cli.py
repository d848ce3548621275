"""The `clinova` command line: serve, migrate, seed, keys."""

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
import uvicorn
from sqlalchemy import select

from app import api_keys
from app.database import Database, write_transaction
from app.demo_key import recorded_demo_key, remember_demo_key
from app.errors import NotFound
from app.logging_config import logging_config
from app.migrate import migrate, schema_problem
from app.models import Clinic
from app.observability import worker_metrics
from app.scopes import ALL_SCOPES, parse_scopes
from app.settings import get_settings
from app.tenancy import mark_unscoped

T = TypeVar("T")


def _with_database(work: Callable[[Database], Awaitable[T]], *, migrated: bool = True) -> T:
    """Runs `work`; unless it migrates, on a schema at the latest revision only.

    A command on a database that was never migrated would end in a traceback
    of missing tables; it says in one line what to do instead.
    """

    async def run() -> T:
        # Operator commands run bulk statements: not the per-request timeout.
        db = Database(get_settings().model_copy(update={"db_command_timeout": 600}))
        try:
            problem = await schema_problem(db.engine) if migrated else None
            if problem is not None:
                raise click.ClickException(problem)
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _print_json_last(payload: dict[str, Any]) -> None:
    click.echo(json.dumps(payload))


def _shows_progress(as_json: bool) -> bool:
    """Progress is for a person at a terminal: not in logs, pipes or tooling's --json."""
    return not as_json and sys.stderr.isatty()


def _progress_line(line: str) -> None:
    click.echo(line, err=True)


@click.group()
def main() -> None:
    """ClinovaVet data service."""


@main.command()
@click.option("--host", default=None, help="Address to bind (CLINOVA_HOST).")
@click.option("--port", type=int, default=None, help="Port (CLINOVA_PORT).")
@click.option("--workers", type=int, default=None, help="Worker processes (CLINOVA_WORKERS).")
@click.option("--ssl-certfile", default=None, help="Serve HTTPS with this certificate (PEM).")
@click.option("--ssl-keyfile", default=None, help="The certificate's private key (PEM).")
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
) -> None:
    """Serve GraphQL at /graphql and REST at /api/v1."""
    settings = get_settings()
    bind = host or settings.host
    # The app reads the address it serves on from its settings (GraphiQL carries
    # the demo key on loopback only): workers build theirs from this environment.
    os.environ["CLINOVA_HOST"] = bind
    get_settings.cache_clear()
    workers = workers or settings.workers
    with worker_metrics(workers):
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=bind,
            port=port or settings.port,
            workers=workers,
            # X-Forwarded-For/-Proto are trusted from these addresses only (the proxy).
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            # One JSON line per request comes from app.observability instead.
            access_log=False,
            log_config=logging_config(),
            # SIGTERM: stop accepting, let in-flight requests finish (each write is
            # one transaction, so none is left half done), then close the pool.
            timeout_graceful_shutdown=settings.shutdown_timeout,
        )


@main.command("migrate")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line for tooling.")
def migrate_command(as_json: bool) -> None:
    """Bring the database schema to the latest revision."""
    progress = _progress_line if _shows_progress(as_json) else None

    async def work(db: Database) -> str | None:
        return await migrate(db.engine, progress=progress)

    revision = _with_database(work, migrated=False)
    click.echo("database is at the latest revision")
    if as_json:
        _print_json_last({"revision": revision})


@main.command()
@click.option("--owners", type=click.IntRange(1, 1_000_000), default=50, show_default=True)
@click.option("--seed", "seed_value", type=int, default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line for tooling.")
def seed(owners: int, seed_value: int, as_json: bool) -> None:
    """Create a new demo clinic with realistic data and a full-scope key."""
    from app.demo_data import seed_demo_clinic

    async def work(db: Database) -> Any:
        if not _shows_progress(as_json):
            return await seed_demo_clinic(db.sessionmaker, owners=owners, seed=seed_value)
        with click.progressbar(length=owners, label="seeding owners", file=sys.stderr) as bar:
            return await seed_demo_clinic(
                db.sessionmaker, owners=owners, seed=seed_value, progress=bar.update
            )

    result = _with_database(work)
    click.echo(
        f"clinic {result.clinic_id}: {result.owners} owners, {result.pets} pets, "
        f"{result.records} records, {result.invoices} invoices"
    )
    click.echo(f"API key (shown once): {result.api_key}")
    if as_json:
        _print_json_last({"clinicId": result.clinic_id, "apiKey": result.api_key})


@main.command()
@click.option("--owners", type=int, default=50, show_default=True)
def demo(owners: int) -> None:
    """Seed a demo clinic if the database has none, and say how to use it."""
    from app.demo_data import seed_demo_clinic

    async def work(db: Database) -> str | None:
        async with db.sessionmaker() as session:
            mark_unscoped(session)
            if await session.scalar(select(Clinic.id).limit(1)) is not None:
                return None
        result = await seed_demo_clinic(db.sessionmaker, owners=owners, seed=1)
        return result.api_key

    # The secret is shown once; keep the demo's beside the database for later runs
    # and for GraphiQL, which opens with it when this database is served on loopback.
    database_url = get_settings().database_url
    key = _with_database(work)
    if key:
        remember_demo_key(database_url, key)
    else:
        key = recorded_demo_key(database_url)
    port = get_settings().port
    if key:
        click.echo(f"demo API key: {key}")
    else:
        click.echo("this database has clinics but no demo key here: `clinova keys create`")
    click.echo(f"GraphiQL: http://127.0.0.1:{port}/graphql")


@main.group()
def keys() -> None:
    """Create, list and revoke API keys."""


@keys.command("create")
@click.option("--clinic", "clinic_id", required=True, help="Clinic id the key belongs to.")
@click.option("--scopes", default=",".join(ALL_SCOPES), show_default=True)
@click.option("--name", default="api key", show_default=True)
@click.option("--live", is_flag=True, help="An sk_live_ key instead of sk_test_.")
@click.option(
    "--rate-limit",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Requests per minute for this key (default: CLINOVA_RATE_LIMIT_PER_MINUTE).",
)
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line for tooling.")
def keys_create(
    clinic_id: str, scopes: str, name: str, live: bool, rate_limit: int | None, as_json: bool
) -> None:
    """Create a key; its secret is printed once and never stored."""
    try:
        scope_set = parse_scopes(scopes)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--scopes") from error

    async def work(db: Database) -> api_keys.CreatedKey:
        async with db.sessionmaker() as session:
            mark_unscoped(session)
            async with write_transaction(session):
                if await session.get(Clinic, clinic_id) is None:
                    raise click.ClickException(f"no clinic with id {clinic_id}")
                return await api_keys.create_key(
                    session, clinic_id=clinic_id, name=name, scopes=scope_set, live=live,
                    rate_limit=rate_limit,
                )  # fmt: skip

    created = _with_database(work)
    click.echo(f"key {created.key.id} ({','.join(sorted(scope_set))})")
    click.echo(f"secret (shown once): {created.secret}")
    if as_json:
        _print_json_last({"id": created.key.id, "apiKey": created.secret})


@keys.command("list")
@click.option("--clinic", "clinic_id", default=None, help="Only this clinic's keys.")
@click.option("--json", "as_json", is_flag=True)
def keys_list(clinic_id: str | None, as_json: bool) -> None:
    """List keys (never their secrets)."""

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.sessionmaker() as session:
            mark_unscoped(session)
            return [
                {
                    "id": key.id,
                    "clinicId": key.clinic_id,
                    "name": key.name,
                    "prefix": key.prefix,
                    "scopes": sorted(key.scope_set),
                    "rateLimit": key.rate_limit,
                    "revoked": key.revoked_at is not None,
                }
                for key in await api_keys.list_keys(session, clinic_id)
            ]

    rows = _with_database(work)
    if as_json:
        _print_json_last({"keys": rows})
        return
    for row in rows:
        state = "revoked" if row["revoked"] else "active"
        click.echo(f"{row['id']}  {row['prefix']}…  {state:7}  {row['clinicId']}  {row['name']}")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key: it answers 401 from now on."""

    async def work(db: Database) -> None:
        async with db.sessionmaker() as session:
            mark_unscoped(session)
            async with write_transaction(session):
                await api_keys.revoke_key(session, key_id)

    try:
        _with_database(work)
    except NotFound as error:
        raise click.ClickException(error.message) from error
    click.echo(f"key {key_id} revoked")


# Defined beside the webhooks they drive.
from app.webhooks.cli import deliver, webhooks  # noqa: E402

main.add_command(webhooks)
main.add_command(deliver)
