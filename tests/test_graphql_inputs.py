"""GraphQL inputs come from the pydantic models: a new field needs nothing else."""

import json
import re
from typing import Annotated

import pytest
import strawberry
from pydantic import Field

from app.inputs import Id, InputModel, Patch, patch_of, patch_values
from graphql_schema.inputs import derived_from, validated


class VaccinationInput(InputModel):
    pet_id: Id = Field(description="Id of a pet of this clinic.")
    vaccine: Annotated[str, Field(max_length=100)] = Field(description="What was given.")
    booster: bool = Field(False, description="A booster dose.")
    lot: str | None = Field(None, description="Lot number.")


@patch_of(VaccinationInput)
class VaccinationPatch(Patch):
    """Changes to a vaccination."""


@derived_from(VaccinationInput, "A new vaccination.")
class GraphQLVaccinationInput: ...


@derived_from(VaccinationPatch, "Changes to a vaccination.")
class GraphQLVaccinationPatch: ...


@strawberry.type
class Query:
    @strawberry.field
    def create(self, input: GraphQLVaccinationInput) -> str:
        return validated(VaccinationInput, input).model_dump_json()

    @strawberry.field
    def update(self, input: GraphQLVaccinationPatch) -> str:
        return json.dumps(patch_values(validated(VaccinationPatch, input)))


SCHEMA = strawberry.Schema(query=Query)

VACCINATION_INPUT = '''input GraphQLVaccinationInput {
  """Id of a pet of this clinic."""
  petId: ID!

  """What was given."""
  vaccine: String!

  """A booster dose."""
  booster: Boolean! = false

  """Lot number."""
  lot: String = null
}'''

VACCINATION_PATCH = '''input GraphQLVaccinationPatch {
  """Id of a pet of this clinic."""
  petId: ID

  """What was given."""
  vaccine: String

  """A booster dose."""
  booster: Boolean

  """Lot number."""
  lot: String
}'''


def _printed(name: str) -> str:
    printed = SCHEMA.as_str()
    start = printed.index(f"input {name} ")
    return printed[start : printed.index("}", start) + 1]


def test_the_input_has_the_models_fields_types_descriptions_and_defaults() -> None:
    assert _printed("GraphQLVaccinationInput") == VACCINATION_INPUT


def test_the_patch_has_the_same_fields_each_nullable_and_without_default() -> None:
    assert _printed("GraphQLVaccinationPatch") == VACCINATION_PATCH


def test_the_input_reaches_the_model_with_its_defaults() -> None:
    pet_id = "c" + "0" * 24
    result = SCHEMA.execute_sync(f'{{ create(input: {{petId: "{pet_id}", vaccine: "Rabies"}}) }}')

    assert result.errors is None
    assert result.data is not None
    assert json.loads(result.data["create"]) == {
        "pet_id": pet_id, "vaccine": "Rabies", "booster": False, "lot": None,
    }  # fmt: skip


def test_omitted_patch_fields_stay_unset_and_null_reaches_the_model() -> None:
    result = SCHEMA.execute_sync('{ update(input: {lot: null, vaccine: "Rabies"}) }')

    assert result.errors is None
    assert result.data == {"update": '{"vaccine": "Rabies", "lot": null}'}


@pytest.mark.parametrize(
    ("annotation", "message"),
    [(set[str], "no GraphQL type for set[str]"), (int | str, "no GraphQL type for int | str")],
)
def test_a_field_graphql_cannot_show_fails_when_the_type_is_derived(
    annotation: object, message: str
) -> None:
    class Odd(InputModel):
        odd: annotation = Field(description="Odd.")  # type: ignore[valid-type]

    with pytest.raises(TypeError, match=re.escape(message)):

        @derived_from(Odd, "Odd.")
        class GraphQLOdd: ...


def test_a_field_without_description_fails_when_the_type_is_derived() -> None:
    class Undescribed(InputModel):
        name: str

    with pytest.raises(TypeError, match=r"Undescribed\.name has no description"):

        @derived_from(Undescribed, "Undescribed.")
        class GraphQLUndescribed: ...
