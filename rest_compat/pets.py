from typing import Annotated, Any

from fastapi import APIRouter, Request

from app import inputs
from app.domain import pets
from app.pagination import DEFAULT_PAGE_SIZE, Page, Projection
from rest_compat import inputs as v1
from rest_compat import shapes
from rest_compat.auth import PetsRead, PetsWrite
from rest_compat.bodies import parse_body
from rest_compat.params import Limit, Offset, page, text_param

router = APIRouter(tags=["Pets"])


@router.get("/pets", summary="List pets", response_model=shapes.ListOf[shapes.Pet])
async def list_pets(
    ctx: PetsRead,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    ownerId: Annotated[str | None, text_param("ownerId", "Filter by owner ID")] = None,
    species: Annotated[
        str | None, text_param("species", "Filter by species (Dog, Cat, etc.)")
    ] = None,
) -> Any:
    async def read(projection: Projection | None) -> Page[Any]:
        requested = page(limit, offset, projection)
        return await pets.list_pets(ctx, owner_id=ownerId, species=species, page=requested)

    return await shapes.listed(ctx, shapes.Pet, read, limit=limit, offset=offset)


@router.get("/pets/{id}", summary="Get a pet")
async def get_pet(ctx: PetsRead, id: str) -> shapes.Pet:
    return shapes.Pet.from_row(await pets.get_pet(ctx, id))


@router.post(
    "/pets",
    summary="Create a pet",
    status_code=201,
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/PetInput"}}}}},
)  # fmt: skip
async def create_pet(ctx: PetsWrite, request: Request) -> shapes.Pet:
    pet = await pets.create_pet(ctx, await parse_body(request, v1.PetInput, inputs.PetInput))
    return shapes.Pet.from_row(pet)
