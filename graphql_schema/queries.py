from typing import Annotated

import strawberry
from strawberry.types import Info

from app.domain import invoices, medical_records, owners, pets
from app.pagination import DEFAULT_PAGE_SIZE
from app.rows import InvoiceRow, MedicalRecordRow, OwnerRow, PetRow
from graphql_schema.connections import Connection, page_request
from graphql_schema.context import ctx
from graphql_schema.types import (
    INVOICES,
    OWNERS,
    PETS,
    RECORDS,
    Invoice,
    InvoiceStatus,
    MedicalRecord,
    Owner,
    Pet,
)

ID = strawberry.argument(description="The id (a cuid).")
FIRST = strawberry.argument(description=f"Page size, at most 100 (default {DEFAULT_PAGE_SIZE}).")
AFTER = strawberry.argument(description="Cursor of the item to continue after.")
OFFSET = strawberry.argument(description="Items to skip (after the cursor, if any).")
OWNER = strawberry.argument(description="Only this owner's.")
PET = strawberry.argument(description="Only this pet's.")
SPECIES = strawberry.argument(description="Only this species (case-insensitive).")
START = strawberry.argument(description="From this date or timestamp, inclusive.")
END = strawberry.argument(description="To this date (the whole day) or timestamp, inclusive.")
STATUS = strawberry.argument(description="Only invoices in this status.")
SEARCH = strawberry.argument(
    description="Name, email or phone (punctuation ignored), case-insensitive."
)


@strawberry.type(description="Reads of the caller's clinic.")
class Query:
    @strawberry.field(
        description="One owner by id.", permission_classes=OWNERS, graphql_type=Owner | None
    )
    async def owner(self, info: Info, id: Annotated[strawberry.ID, ID]) -> OwnerRow | None:
        return await owners.get_owner(ctx(info), id)

    @strawberry.field(description="Owners, oldest first.", permission_classes=OWNERS)
    async def owners(
        self,
        info: Info,
        search: Annotated[str | None, SEARCH] = None,
        first: Annotated[int | None, FIRST] = DEFAULT_PAGE_SIZE,
        after: Annotated[str | None, AFTER] = None,
        offset: Annotated[int | None, OFFSET] = None,
    ) -> Connection[Owner] | None:
        page = await owners.list_owners(
            ctx(info), search=search, page=page_request(info, first, after, offset)
        )
        return Connection(page=page)

    @strawberry.field(
        description="One pet by id.", permission_classes=PETS, graphql_type=Pet | None
    )
    async def pet(self, info: Info, id: Annotated[strawberry.ID, ID]) -> PetRow | None:
        return await pets.get_pet(ctx(info), id)

    @strawberry.field(description="Pets, oldest first.", permission_classes=PETS)
    async def pets(
        self,
        info: Info,
        owner_id: Annotated[strawberry.ID | None, OWNER] = None,
        species: Annotated[str | None, SPECIES] = None,
        first: Annotated[int | None, FIRST] = DEFAULT_PAGE_SIZE,
        after: Annotated[str | None, AFTER] = None,
        offset: Annotated[int | None, OFFSET] = None,
    ) -> Connection[Pet] | None:
        page = await pets.list_pets(
            ctx(info),
            owner_id=owner_id,
            species=species,
            page=page_request(info, first, after, offset),
        )
        return Connection(page=page)

    @strawberry.field(
        description="One medical record by id.",
        permission_classes=RECORDS,
        graphql_type=MedicalRecord | None,
    )
    async def medical_record(
        self, info: Info, id: Annotated[strawberry.ID, ID]
    ) -> MedicalRecordRow | None:
        return await medical_records.get_medical_record(ctx(info), id)

    @strawberry.field(description="Medical records, newest first.", permission_classes=RECORDS)
    async def medical_records(
        self,
        info: Info,
        pet_id: Annotated[strawberry.ID | None, PET] = None,
        start_date: Annotated[str | None, START] = None,
        end_date: Annotated[str | None, END] = None,
        first: Annotated[int | None, FIRST] = DEFAULT_PAGE_SIZE,
        after: Annotated[str | None, AFTER] = None,
        offset: Annotated[int | None, OFFSET] = None,
    ) -> Connection[MedicalRecord] | None:
        page = await medical_records.list_medical_records(
            ctx(info),
            pet_id=pet_id,
            start_date=start_date,
            end_date=end_date,
            page=page_request(info, first, after, offset),
        )
        return Connection(page=page)

    @strawberry.field(
        description="One invoice by id.", permission_classes=INVOICES, graphql_type=Invoice | None
    )
    async def invoice(self, info: Info, id: Annotated[strawberry.ID, ID]) -> InvoiceRow | None:
        return await invoices.get_invoice(ctx(info), id)

    @strawberry.field(description="Invoices, newest first.", permission_classes=INVOICES)
    async def invoices(
        self,
        info: Info,
        status: Annotated[InvoiceStatus | None, STATUS] = None,
        owner_id: Annotated[strawberry.ID | None, OWNER] = None,
        first: Annotated[int | None, FIRST] = DEFAULT_PAGE_SIZE,
        after: Annotated[str | None, AFTER] = None,
        offset: Annotated[int | None, OFFSET] = None,
    ) -> Connection[Invoice] | None:
        page = await invoices.list_invoices(
            ctx(info),
            status=status,
            owner_id=owner_id,
            page=page_request(info, first, after, offset),
        )
        return Connection(page=page)
