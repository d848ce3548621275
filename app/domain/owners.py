import re

from sqlalchemy import ColumnElement, or_

from app.context import RequestContext
from app.domain._lookup import delete_unless_history, existing, read
from app.inputs import OwnerInput, OwnerPatch, patch_values
from app.models import Owner
from app.pagination import FIRST_PAGE, Page, PageRequest, SortKey, paginate
from app.rows import OwnerRow
from app.search_text import fold

ORDER = SortKey(Owner.created_at, Owner.id)


async def get_owner(ctx: RequestContext, owner_id: str) -> OwnerRow:
    return await read(ctx, Owner, owner_id, "Owner")


def _matches(search: str) -> ColumnElement[bool]:
    """First, last or full name, or email, folded as stored; or the phone's digits."""
    term = fold(search.strip())
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    condition: ColumnElement[bool] = Owner.search_text.like(f"%{escaped}%", escape="\\")
    digits = re.sub(r"\D", "", term)
    # Only a term that looks like a phone number searches phones: "Smith 2" must
    # not match every phone with a 2 in it.
    if len(digits) >= 3 and re.fullmatch(r"[\d\s()+\-./]+", term):
        condition = or_(condition, Owner.phone_digits.like(f"%{digits}%"))
    return condition


async def list_owners(
    ctx: RequestContext, *, search: str | None = None, page: PageRequest = FIRST_PAGE
) -> Page[OwnerRow]:
    where = [_matches(search)] if search and search.strip() else []
    return await paginate(ctx.session, Owner, where=where, key=ORDER, page=page)


async def create_owner(ctx: RequestContext, data: OwnerInput) -> Owner:
    owner = Owner(**data.model_dump())
    async with ctx.writing():
        ctx.session.add(owner)
    return owner


async def update_owner(ctx: RequestContext, owner_id: str, patch: OwnerPatch) -> Owner:
    async with ctx.writing():
        owner = await existing(ctx.session, Owner, owner_id, "Owner")
        for name, value in patch_values(patch).items():
            setattr(owner, name, value)
    return owner


async def delete_owner(ctx: RequestContext, owner_id: str) -> str:
    return await delete_unless_history(ctx, Owner, owner_id, "Owner")
