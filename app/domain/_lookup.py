from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Invalid, NotFound

Row = TypeVar("Row")


async def existing(
    session: AsyncSession, model: type[Row], id_: str, entity: str, *, lock: bool = False
) -> Row:
    """The row with this id in the caller's clinic, or RESOURCE_NOT_FOUND.

    `lock` holds the row until commit (PostgreSQL; SQLite writers are serial anyway).
    """
    row = await session.get(model, id_, with_for_update=lock or None)
    if row is None:
        raise NotFound.for_id(entity, id_)
    return row


async def referenced(session: AsyncSession, model: type[Row], id_: str, field: str) -> Row:
    """A row a body points at: a missing one is the caller's VALIDATION_ERROR."""
    row = await session.get(model, id_)
    if row is None:
        raise Invalid(
            f"{field} does not name a record of this clinic",
            details={field: "does not exist"},
        )
    return row


def loaded_or_missing(row: Any, entity: str, id_: str) -> Any:
    if row is None:
        raise NotFound.for_id(entity, id_)
    return row
