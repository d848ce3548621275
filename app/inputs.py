"""What a caller may write: one input model per entity, and the field types they share.

These models are the domain's inputs and GraphQL's (graphql_schema.inputs derives
its types from them, descriptions and defaults included). REST v1 has frozen
bodies of its own (rest_compat.inputs) built from the same field types, so a value
is judged alike everywhere. REST validates by the API's camelCase names; GraphQL
hands over Python names. Either way a failure becomes `Invalid` whose details
name each bad field by its API name.
"""

import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    create_model,
    field_validator,
)
from pydantic.alias_generators import to_camel

from app.errors import Invalid
from app.ids import looks_like_id
from app.timestamps import (
    NOT_A_TIMESTAMP,
    in_range,
    midnight_utc,
    parse_date,
    parse_timestamp,
    utc_now,
)

# Patterns (not code) so that OpenAPI tells callers exactly what is accepted.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^[+(]?[0-9][0-9+()\-. /x]{2,39}$"
NOT_BLANK_PATTERN = r"\S"
_PATTERN_MESSAGES = {
    EMAIL_PATTERN: "must be an email address",
    PHONE_PATTERN: "must be a phone number",
    NOT_BLANK_PATTERN: "must not be empty",
}
_JSON_PANEL_MAX_CHARS = 20_000
_JSON_PANEL_MAX_DEPTH = 10


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _cuid(value: str) -> str:
    if not looks_like_id(value):
        raise ValueError("must be an id")
    return value


# app.timestamps reads and bounds every timestamp; a datetime (GraphQL's DateTime
# scalar) is bounded again, so no value reaches the database unchecked.
def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return in_range(value)
    if not isinstance(value, str):
        raise ValueError(NOT_A_TIMESTAMP)
    return parse_timestamp(value)


def _birthdate(value: Any) -> date:
    if isinstance(value, datetime):
        parsed = in_range(value).date()
    elif isinstance(value, date):
        parsed = in_range(midnight_utc(value)).date()
    elif isinstance(value, str):
        parsed = parse_date(value)
    else:
        raise ValueError(NOT_A_TIMESTAMP)
    if parsed > utc_now().date():
        raise ValueError("must not be in the future")
    return parsed


def _number(value: Any) -> float:
    # JSON numbers only: a string or boolean is a type error, not a number.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    if not math.isfinite(float(value)):
        raise ValueError("must be a finite number")
    return float(value)


def _price(value: Any) -> Decimal:
    amount = Decimal(str(_number(value)))
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("must have at most 2 decimals")
    return amount


def _depth(value: Any) -> int:
    """Nesting depth, without recursion (the value may be hostile)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > _JSON_PANEL_MAX_DEPTH:
            break
        children = current.values() if isinstance(current, dict) else current
        if isinstance(current, dict | list):
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _panel(value: Any) -> Any:
    if value is not None and not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    if value is not None and _depth(value) > _JSON_PANEL_MAX_DEPTH:
        raise ValueError(f"must not nest deeper than {_JSON_PANEL_MAX_DEPTH} levels")
    if value is not None and len(str(value)) > _JSON_PANEL_MAX_CHARS:
        raise ValueError(f"must be under {_JSON_PANEL_MAX_CHARS} characters")
    return value


class RowId:
    """Marks a string that names a row (a cuid), which GraphQL shows as ID, not String."""


_NotBlank = AfterValidator(_not_blank)
Name = Annotated[str, Field(max_length=100, pattern=NOT_BLANK_PATTERN), _NotBlank]
MiddleName = Annotated[str, Field(max_length=100)]
Species = Annotated[str, Field(max_length=50, pattern=NOT_BLANK_PATTERN), _NotBlank]
Breed = Annotated[str, Field(max_length=100)]
Title = Annotated[str, Field(max_length=200, pattern=NOT_BLANK_PATTERN), _NotBlank]
OptionalText = Annotated[str | None, Field(max_length=10_000)]
Address = Annotated[str, Field(max_length=500)]
Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)]
Phone = Annotated[str, Field(pattern=PHONE_PATTERN)]
Id = Annotated[str, AfterValidator(_cuid), RowId]
Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
Birthdate = Annotated[date, BeforeValidator(_birthdate)]
Weight = Annotated[float, Field(ge=0, le=5000), BeforeValidator(_number)]
Price = Annotated[Decimal, Field(ge=0, le=1_000_000), BeforeValidator(_price)]
Quantity = Annotated[StrictInt, Field(ge=1, le=10_000)]
Panel = Annotated[dict[str, Any] | None, BeforeValidator(_panel)]


class InputModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL; refuse it by field name on both backends.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class Patch(InputModel):
    """Changes to an entity: the fields of `of`, any of them omitted. See `patch_of`."""

    of: ClassVar[type[InputModel]]


Declared = TypeVar("Declared", bound=Patch)


def patch_of(model: type[InputModel]) -> Callable[[type[Declared]], type[Declared]]:
    """The decorated patch takes `model`'s fields, types and descriptions, none required.

    An omitted field stays unset, and `patch_values` leaves it out. A null that is
    sent is validated like any value: it clears a field that may be null and is
    refused for one that may not (a name), exactly as on create.
    """

    def derive(declared: type[Declared]) -> type[Declared]:
        fields: dict[str, Any] = {
            name: (field.rebuild_annotation(), Field(None, description=field.description))
            for name, field in model.model_fields.items()
        }
        patch = create_model(
            declared.__name__, __base__=declared, __module__=declared.__module__, **fields
        )
        patch.of = model
        return patch

    return derive


class OwnerInput(InputModel):
    first_name: Name = Field(description="Given name (1-100 characters).")
    last_name: Name = Field(description="Family name (1-100 characters).")
    middle_name: MiddleName | None = Field(None, description="Middle name.")
    email: Email | None = Field(None, description="Email address.")
    phone: Phone | None = Field(None, description="Phone number; punctuation is kept as entered.")
    address: Address | None = Field(None, description="Postal address.")


@patch_of(OwnerInput)
class OwnerPatch(Patch):
    """Changes to an owner."""


class PetInput(InputModel):
    name: Name = Field(description="Name (1-100 characters).")
    species: Species = Field(description="Dog, Cat, Bird, Rabbit, ...")
    owner_id: Id = Field(description="Id of an owner of this clinic.")
    breed: Breed | None = Field(None, description="Breed.")
    birthdate: Birthdate | None = Field(
        None, description="Date of birth (a date, or a timestamp whose UTC date is used)."
    )
    weight: Weight | None = Field(None, description="Weight in kilograms, >= 0.")
    neutered: StrictBool = Field(False, description="Neutered or spayed.")


@patch_of(PetInput)
class PetPatch(Patch):
    """Changes to a pet."""


class MedicalRecordInput(InputModel):
    pet_id: Id = Field(description="Id of a pet of this clinic.")
    date: Timestamp = Field(description="When the visit took place.")
    title: Title = Field(description="Short title (1-200 characters).")
    description: OptionalText = Field(None, description="Subjective and objective notes.")
    diagnosis: OptionalText = Field(None, description="Assessment.")
    treatment: OptionalText = Field(None, description="Plan.")
    differential_diagnosis: OptionalText = Field(None, description="Other diagnoses considered.")
    blood_test: Panel = Field(None, description="Blood panel as a JSON object.")
    urine_test: Panel = Field(None, description="Urine panel as a JSON object.")


@patch_of(MedicalRecordInput)
class MedicalRecordPatch(Patch):
    """Changes to a SOAP note."""


class InvoiceItemInput(InputModel):
    name: Title = Field(description="What is billed (1-200 characters).")
    price: Price = Field(description="Unit price, >= 0, at most 2 decimals.")
    quantity: Quantity = Field(description="How many, at least 1.")


class InvoiceInput(InputModel):
    owner_id: Id = Field(description="Id of an owner of this clinic.")
    pet_id: Id | None = Field(None, description="Id of a pet of this clinic.")
    medical_record_id: Id | None = Field(
        None, description="The visit billed; its pet is used when petId is omitted."
    )
    items: Annotated[list[InvoiceItemInput], Field(min_length=1, max_length=100)] = Field(
        description="The lines, 1 to 100."
    )


Model = TypeVar("Model", bound=InputModel)


def parse_input(model: type[Model], data: Any, *, api_names: bool) -> Model:
    """Validate `data` (API camelCase names for REST, Python names for GraphQL)."""
    try:
        return model.model_validate(data, by_alias=api_names, by_name=not api_names)
    except ValidationError as error:
        raise Invalid("Request body validation failed", details=field_errors(error)) from None


def field_errors(error: ValidationError) -> dict[str, str]:
    details: dict[str, str] = {}
    for problem in error.errors():
        path = [to_camel(p) if isinstance(p, str) else str(p) for p in problem["loc"]]
        field = ".".join(path) or "body"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "is not a writable field"
        elif problem["type"] == "string_pattern_mismatch":
            message = _PATTERN_MESSAGES[problem["ctx"]["pattern"]]
        details.setdefault(field, message)
    return details


def patch_values(patch: Patch) -> dict[str, Any]:
    """Only the fields the caller sent: an omitted field is left as it is."""
    return patch.model_dump(exclude_unset=True)
