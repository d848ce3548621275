"""A patch is its entity's input with every field optional, telling omitted from null."""

import pytest

from app import inputs
from app.errors import Invalid
from app.inputs import OwnerPatch, PetPatch, parse_input, patch_values

PATCHES = [inputs.OwnerPatch, inputs.PetPatch, inputs.MedicalRecordPatch]


@pytest.mark.parametrize("patch", PATCHES, ids=lambda p: p.__name__)
def test_a_patch_has_its_entitys_fields_and_rules_none_required(
    patch: type[inputs.Patch],
) -> None:
    entity = patch.of.model_fields
    fields = patch.model_fields

    assert list(fields) == list(entity)
    assert not any(field.is_required() for field in fields.values())
    for name, field in fields.items():
        assert field.description == entity[name].description, name
        assert field.rebuild_annotation() == entity[name].rebuild_annotation(), name


def test_only_what_was_sent_is_changed_and_null_clears() -> None:
    assert patch_values(parse_input(OwnerPatch, {}, api_names=False)) == {}
    sent = {"middle_name": "Q", "email": None}
    assert patch_values(parse_input(OwnerPatch, sent, api_names=False)) == sent


def test_null_is_refused_where_the_entity_refuses_it() -> None:
    with pytest.raises(Invalid) as refused:
        parse_input(PetPatch, {"name": None, "neutered": None, "breed": None}, api_names=False)

    assert refused.value.details == {
        "name": "Input should be a valid string",
        "neutered": "Input should be a valid boolean",
    }


def test_a_sent_value_is_validated_as_on_create() -> None:
    with pytest.raises(Invalid) as refused:
        parse_input(PetPatch, {"species": " ", "owner_id": "nope"}, api_names=False)

    assert refused.value.details == {"species": "must not be empty", "ownerId": "must be an id"}
