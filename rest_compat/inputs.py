"""The v1 request bodies: exactly the fields of the v1 document, frozen.

Every field has the domain's own field type (app.inputs), so a value is judged
alike on every surface, but the field set is v1's: a field the domain or GraphQL
gains is "not a writable field" here until the v1 document has it. No
descriptions, and the class names are the OpenAPI components': the published
document pins both (tests/snapshots/openapi-v1.json).
"""

from pydantic import StrictBool

from app.inputs import (
    Address,
    Birthdate,
    Breed,
    Email,
    Id,
    InputModel,
    MiddleName,
    Name,
    Phone,
    Species,
    Weight,
)


class OwnerInput(InputModel):
    first_name: Name
    last_name: Name
    middle_name: MiddleName | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Address | None = None


class PetInput(InputModel):
    name: Name
    species: Species
    owner_id: Id
    breed: Breed | None = None
    birthdate: Birthdate | None = None
    weight: Weight | None = None
    neutered: StrictBool = False
