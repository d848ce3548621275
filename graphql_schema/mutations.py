import strawberry
from strawberry.types import Info

from app import inputs as shared
from app.domain import invoices, medical_records, owners, pets
from app.models import Invoice, MedicalRecord, Owner, Pet
from graphql_schema import inputs, types
from graphql_schema.context import ctx
from graphql_schema.inputs import validated
from graphql_schema.permissions import requires

OWNERS, PETS = [requires("owners:write")], [requires("pets:write")]
RECORDS, INVOICES = [requires("records:write")], [requires("invoices:write")]


# Each mutation answers the ORM object it wrote (its annotation: app.models)
# as its GraphQL type (graphql_type: graphql_schema.types).
@strawberry.type(description="Writes to the caller's clinic, each in one transaction.")
class Mutation:
    @strawberry.mutation(
        description="Create an owner.", permission_classes=OWNERS, graphql_type=types.Owner
    )
    async def create_owner(self, info: Info, input: inputs.OwnerInput) -> Owner:
        return await owners.create_owner(ctx(info), validated(shared.OwnerInput, input))

    @strawberry.mutation(
        description="Change an owner.", permission_classes=OWNERS, graphql_type=types.Owner
    )
    async def update_owner(self, info: Info, id: strawberry.ID, input: inputs.OwnerPatch) -> Owner:
        return await owners.update_owner(ctx(info), id, validated(shared.OwnerPatch, input))

    @strawberry.mutation(
        description="Delete an owner without pets or invoices.", permission_classes=OWNERS
    )
    async def delete_owner(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        return strawberry.ID(await owners.delete_owner(ctx(info), id))

    @strawberry.mutation(
        description="Create a pet.", permission_classes=PETS, graphql_type=types.Pet
    )
    async def create_pet(self, info: Info, input: inputs.PetInput) -> Pet:
        return await pets.create_pet(ctx(info), validated(shared.PetInput, input))

    @strawberry.mutation(
        description="Change a pet.", permission_classes=PETS, graphql_type=types.Pet
    )
    async def update_pet(self, info: Info, id: strawberry.ID, input: inputs.PetPatch) -> Pet:
        return await pets.update_pet(ctx(info), id, validated(shared.PetPatch, input))

    @strawberry.mutation(
        description="Delete a pet without records or invoices.", permission_classes=PETS
    )
    async def delete_pet(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        return strawberry.ID(await pets.delete_pet(ctx(info), id))

    @strawberry.mutation(
        description="Create a SOAP note.",
        permission_classes=RECORDS,
        graphql_type=types.MedicalRecord,
    )
    async def create_medical_record(
        self, info: Info, input: inputs.MedicalRecordInput
    ) -> MedicalRecord:
        data = validated(shared.MedicalRecordInput, input)
        return await medical_records.create_medical_record(ctx(info), data)

    @strawberry.mutation(
        description="Change a SOAP note.",
        permission_classes=RECORDS,
        graphql_type=types.MedicalRecord,
    )
    async def update_medical_record(
        self, info: Info, id: strawberry.ID, input: inputs.MedicalRecordPatch
    ) -> MedicalRecord:
        patch = validated(shared.MedicalRecordPatch, input)
        return await medical_records.update_medical_record(ctx(info), id, patch)

    @strawberry.mutation(
        description="Create an invoice; the total is computed from the items.",
        permission_classes=INVOICES,
        graphql_type=types.Invoice,
    )
    async def create_invoice(self, info: Info, input: inputs.InvoiceInput) -> Invoice:
        return await invoices.create_invoice(ctx(info), validated(shared.InvoiceInput, input))

    @strawberry.mutation(
        description="Mark an UNPAID invoice paid.",
        permission_classes=INVOICES,
        graphql_type=types.Invoice,
    )
    async def mark_invoice_paid(self, info: Info, id: strawberry.ID) -> Invoice:
        return await invoices.mark_invoice_paid(ctx(info), id)

    @strawberry.mutation(
        description="Cancel an UNPAID invoice.",
        permission_classes=INVOICES,
        graphql_type=types.Invoice,
    )
    async def cancel_invoice(self, info: Info, id: strawberry.ID) -> Invoice:
        return await invoices.cancel_invoice(ctx(info), id)
