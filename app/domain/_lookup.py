from typing import Any, TypeVar

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import RequestContext
from app.errors import Invalid, NotFound
from app.ids import looks_like_id
from app.models import ClinicOwned
from app.relationships import OnDelete, relations_of

Row = TypeVar("Row")


async def existing(
    session: AsyncSession, model: type[Row], id_: str, entity: str, *, lock: bool = False
) -> Row:
    """The row with this id in the caller's clinic, or RESOURCE_NOT_FOUND.

    `lock` holds the row until commit (PostgreSQL; SQLite writers are serial anyway),
    and reads it as it is now, not as an earlier read of the request left it.
    """
    row = (
        await session.get(model, id_, with_for_update=lock or None, populate_existing=lock)
        if looks_like_id(id_)
        else None
    )
    if row is None:
        raise NotFound.for_id(entity, id_)
    return row


async def referenced(
    session: AsyncSession, model: type[Row], id_: str, field: str, *, key_share: bool = False
) -> Row:
    """A row a body points at: a missing one is the caller's VALIDATION_ERROR.

    `key_share` reads it as it is now and keeps it from being locked for update
    (as `existing(lock=True)` does) until commit; edits that do not lock it go on.
    """
    lock = {"read": True, "key_share": True} if key_share else None
    row = (
        await session.get(model, id_, with_for_update=lock, populate_existing=key_share)
        if looks_like_id(id_)
        else None
    )
    if row is None:
        raise Invalid(
            f"{field} does not name a record of this clinic",
            details={field: "does not exist"},
        )
    return row


async def read(ctx: RequestContext, model: type[ClinicOwned[Row]], id_: str, entity: str) -> Row:
    """The row with this id as reads answer it (app.rows), or RESOURCE_NOT_FOUND."""
    row = await ctx.loaders.by_id(model).load(id_)
    if row is None:
        raise NotFound.for_id(entity, id_)
    return row


async def delete_unless_history(
    ctx: RequestContext, model: type[ClinicOwned[Any]], id_: str, entity: str
) -> str:
    """Deletes the row unless it has children of a relationship that refuses it
    (app.relationships, OnDelete.REFUSE): clinical and billing history is never lost."""
    keeping = [r for r in relations_of(model) if r.on_delete is OnDelete.REFUSE]
    async with ctx.writing():
        row = await existing(ctx.session, model, id_, entity)
        if keeping and await ctx.session.scalar(
            select(or_(*(exists().where(r.key == id_) for r in keeping)))
        ):
            refusal = f"the {entity.lower()} has {' or '.join(r.noun for r in keeping)}"
            raise Invalid(f"{entity} cannot be deleted: {refusal}", details={"id": refusal})
        await ctx.session.delete(row)
    return id_
