from sqlalchemy import ColumnElement

from app.context import RequestContext
from app.domain._lookup import delete_unless_history, existing, read, referenced
from app.inputs import PetInput, PetPatch, patch_values
from app.last_visit import refresh_last_visit
from app.models import Owner, Pet
from app.pagination import FIRST_PAGE, Page, PageRequest, SortKey, paginate
from app.rows import PetRow

ORDER = SortKey(Pet.created_at, Pet.id)


async def get_pet(ctx: RequestContext, pet_id: str) -> PetRow:
    return await read(ctx, Pet, pet_id, "Pet")


async def list_pets(
    ctx: RequestContext,
    *,
    owner_id: str | None = None,
    species: str | None = None,
    page: PageRequest = FIRST_PAGE,
) -> Page[PetRow]:
    where: list[ColumnElement[bool]] = []
    if owner_id is not None:
        where.append(Pet.owner_id == owner_id)
    if species:
        where.append(Pet.species_key == species.strip().lower())
    return await paginate(ctx.session, Pet, where=where, key=ORDER, page=page)


async def create_pet(ctx: RequestContext, data: PetInput) -> Pet:
    async with ctx.writing():
        await referenced(ctx.session, Owner, data.owner_id, "ownerId")
        pet = Pet(**data.model_dump())
        ctx.session.add(pet)
    return pet


async def update_pet(ctx: RequestContext, pet_id: str, patch: PetPatch) -> Pet:
    values = patch_values(patch)
    async with ctx.writing():
        pet = await existing(ctx.session, Pet, pet_id, "Pet")
        previous_owner = pet.owner_id
        if "owner_id" in values:
            await referenced(ctx.session, Owner, values["owner_id"], "ownerId")
        for name, value in values.items():
            setattr(pet, name, value)
        await ctx.session.flush()
        if pet.owner_id != previous_owner:
            # The pet's records move with it, and so do both owners' last visits;
            # its invoices stay with the owner who was billed (contract, "History").
            await refresh_last_visit(ctx.session, {previous_owner, pet.owner_id})
    return pet


async def delete_pet(ctx: RequestContext, pet_id: str) -> str:
    return await delete_unless_history(ctx, Pet, pet_id, "Pet")
