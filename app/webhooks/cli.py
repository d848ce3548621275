"""`clinova webhooks add|list|remove` and `clinova deliver`."""

import asyncio
import json
import logging.config
import signal
from typing import Any

import click
from sqlalchemy import select

from app.database import Database, write_transaction
from app.errors import ClinovaError
from app.logging_config import logging_config
from app.migrate import schema_problem
from app.models import Clinic
from app.settings import get_settings
from app.tenancy import mark_unscoped
from app.webhooks.models import WebhookEndpoint


def _run(work: Any) -> Any:
    from app.cli import _with_database  # the command line's runner, which imports this module

    try:
        return _with_database(work)
    except ClinovaError as error:
        raise click.ClickException(error.message) from error


@click.group()
def webhooks() -> None:
    """Add, list and remove webhook endpoints."""


@webhooks.command("add")
@click.option("--clinic", "clinic_id", required=True, help="Clinic id the endpoint belongs to.")
@click.option("--url", required=True, help="https URL the clinic's events are POSTed to.")
@click.option("--types", default=None, help="Comma-separated event types (default: all).")
@click.option("--description", default=None, help="What the endpoint is for.")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line for tooling.")
def webhooks_add(
    clinic_id: str, url: str, types: str | None, description: str | None, as_json: bool
) -> None:
    """Add an endpoint; its signing secret is printed once."""
    # Here, not at the top: every other `clinova` command starts without them.
    from app.webhooks.endpoints import add_endpoint, everything, stored_types
    from app.webhooks.urls import checked_url

    async def work(db: Database) -> Any:
        checked = await checked_url(url, allow_private=db.settings.webhooks_allow_private)
        subscribed = stored_types(types.split(",") if types else None, everything)
        async with db.sessionmaker() as session:
            mark_unscoped(session)
            async with write_transaction(session):
                if await session.get(Clinic, clinic_id) is None:
                    raise click.ClickException(f"no clinic with id {clinic_id}")
                return await add_endpoint(
                    session, db.settings, clinic_id=clinic_id, url=checked, types=subscribed,
                    description=description,
                )  # fmt: skip

    created = _run(work)
    click.echo(f"endpoint {created.endpoint.id} -> {created.endpoint.url}")
    click.echo(f"signing secret (shown once): {created.secret}")
    if as_json:
        click.echo(json.dumps({"id": created.endpoint.id, "secret": created.secret}))


@webhooks.command("list")
@click.option("--clinic", "clinic_id", default=None, help="Only this clinic's endpoints.")
@click.option("--json", "as_json", is_flag=True)
def webhooks_list(clinic_id: str | None, as_json: bool) -> None:
    """List endpoints (never their secrets)."""

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.sessionmaker() as session:
            mark_unscoped(session)
            query = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at)
            if clinic_id is not None:
                query = query.where(WebhookEndpoint.clinic_id == clinic_id)
            return [
                {
                    "id": e.id, "clinicId": e.clinic_id, "url": e.url,
                    "types": sorted(e.type_set), "enabled": e.enabled,
                    "disabledReason": e.disabled_reason, "description": e.description,
                }
                for e in (await session.scalars(query)).all()
            ]  # fmt: skip

    rows = _run(work)
    if as_json:
        click.echo(json.dumps({"endpoints": rows}))
        return
    for row in rows:
        state = "enabled" if row["enabled"] else "disabled"
        types = ",".join(row["types"]) or "all types"
        click.echo(f"{row['id']}  {state:8}  {row['clinicId']}  {row['url']}  {types}")


@webhooks.command("remove")
@click.argument("endpoint_id")
def webhooks_remove(endpoint_id: str) -> None:
    """Remove an endpoint and its delivery log."""

    async def work(db: Database) -> bool:
        async with db.sessionmaker() as session:
            mark_unscoped(session)
            async with write_transaction(session):
                endpoint = await session.get(WebhookEndpoint, endpoint_id)
                if endpoint is not None:
                    await session.delete(endpoint)
                return endpoint is not None

    if not _run(work):
        raise click.ClickException(f"no webhook endpoint with id {endpoint_id}")
    click.echo(f"endpoint {endpoint_id} removed")


@click.command()
def deliver() -> None:
    """Deliver webhooks until SIGTERM or Ctrl-C (with `clinova serve` too, by default)."""
    from app.webhooks.worker import Deliverer

    logging.config.dictConfig(logging_config())
    settings = get_settings()

    async def run() -> None:
        db = Database(settings)
        try:
            problem = await schema_problem(db.engine)
            if problem is not None:
                raise click.ClickException(problem)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            logging.getLogger("clinova.webhooks").info("delivering webhooks")
            await Deliverer(db).run(stop)
        finally:
            await db.dispose()

    asyncio.run(run())
