from typing import Annotated, Any

from fastapi import APIRouter, Request

from app import inputs, models
from app.domain import owners
from app.pagination import DEFAULT_PAGE_SIZE, Page, Projection
from rest_compat import inputs as v1
from rest_compat import shapes
from rest_compat.auth import OwnersRead, OwnersWrite, OwnerWithPetsRead
from rest_compat.bodies import parse_body
from rest_compat.params import Limit, Offset, page, text_param

router = APIRouter(tags=["Owners"])


@router.get("/owners", summary="List owners", response_model=shapes.ListOf[shapes.Owner])
async def list_owners(
    ctx: OwnersRead,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    search: Annotated[str | None, text_param("search", "Search by name, email, or phone")] = None,
) -> Any:
    async def read(projection: Projection | None) -> Page[Any]:
        return await owners.list_owners(ctx, search=search, page=page(limit, offset, projection))

    return await shapes.listed(ctx, shapes.Owner, read, limit=limit, offset=offset)


@router.get("/owners/{id}", summary="Get an owner with their pets")
async def get_owner(ctx: OwnerWithPetsRead, id: str) -> shapes.OwnerWithPets:
    owner = await owners.get_owner(ctx, id)
    pets = await ctx.loaders.children(models.Owner.pets).load(owner.id)
    return shapes.OwnerWithPets.with_pets(owner, pets)


@router.post(
    "/owners",
    summary="Create an owner",
    status_code=201,
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/OwnerInput"}}}}},
)  # fmt: skip
async def create_owner(ctx: OwnersWrite, request: Request) -> shapes.Owner:
    data = await parse_body(request, v1.OwnerInput, inputs.OwnerInput)
    owner = await owners.create_owner(ctx, data)
    return shapes.Owner.from_row(owner)
