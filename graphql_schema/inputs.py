"""GraphQL input types, each derived from its model in `app.inputs`.

A model's fields become the input's fields: same names, descriptions and defaults,
the GraphQL type read from the Python type. A patch model (`app.inputs.patch_of`)
becomes its entity's fields, each nullable and unset unless sent. Validation
itself stays the model's: `validated` hands what GraphQL parsed to it.
"""

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from types import NoneType, UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import strawberry
from pydantic.fields import FieldInfo

from app import inputs
from graphql_schema.scalars import JSON, DateTime

Unset = strawberry.UNSET
Model = TypeVar("Model", bound=inputs.InputModel)
Declared = TypeVar("Declared", bound=type)

# Every Python type an input field may have, as GraphQL shows it. A date is a
# DateTime (midnight UTC, as output shows it); money is a Float on the wire.
_SCALARS: dict[Any, Any] = {
    str: str,
    bool: bool,
    int: int,
    float: float,
    Decimal: float,
    date: DateTime,
    datetime: DateTime,
    dict[str, Any]: JSON,
}
_DERIVED: dict[type[inputs.InputModel], type] = {}


def derived_from(
    model: type[inputs.InputModel], description: str
) -> Callable[[Declared], Declared]:
    """The decorated class becomes the Strawberry input of `model`, fields and all."""

    def derive(declared: Declared) -> Declared:
        entity = model.of if issubclass(model, inputs.Patch) else model
        declared.__annotations__ = {}
        for name, field in _in_graphql_order(entity):
            where = f"{model.__name__}.{name}"
            graphql_type = _graphql_type(field.rebuild_annotation(), where)
            if field.description is None:
                raise TypeError(f"{where} has no description; GraphQL shows every field's")
            if entity is not model:
                graphql_type, default = graphql_type | None, Unset
            else:
                default = dataclasses.MISSING if field.is_required() else field.default
            declared.__annotations__[name] = graphql_type
            described = strawberry.field(description=field.description, default=default)
            setattr(declared, name, described)
        _DERIVED[model] = strawberry.input(declared, description=description)
        return declared

    return derive


def _in_graphql_order(model: type[inputs.InputModel]) -> list[tuple[str, FieldInfo]]:
    # Required fields first, each group in the model's order: the order frontends
    # have read in schema.graphql since the inputs were written by hand.
    return sorted(model.model_fields.items(), key=lambda item: not item[1].is_required())


def _graphql_type(annotation: Any, where: str) -> Any:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, UnionType) and len(args) == 2 and NoneType in args:
        (inner,) = (arg for arg in args if arg is not NoneType)
        return _graphql_type(inner, where) | None
    if origin is Annotated:  # the constraints and validators stay the model's to apply
        if any(meta is inputs.RowId for meta in args[1:]):
            return strawberry.ID
        return _graphql_type(args[0], where)
    if origin is list:
        return list[_graphql_type(args[0], where)]  # type: ignore[misc]
    if isinstance(annotation, type) and issubclass(annotation, inputs.InputModel):
        if annotation not in _DERIVED:
            raise TypeError(f"{where}: derive the input of {annotation.__name__} first")
        return _DERIVED[annotation]
    if annotation not in _SCALARS:
        raise TypeError(f"{where}: no GraphQL type for {annotation!r}; add one to _SCALARS")
    return _SCALARS[annotation]


def validated(model: type[Model], value: Any) -> Model:
    """The strawberry input as its pydantic model; omitted fields stay unset."""
    return inputs.parse_input(model, _plain(value), api_names=False)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not Unset
        }
    if isinstance(value, list):
        # Lists of inputs (invoice items); a JSON value is passed through untouched.
        return [_plain(v) if dataclasses.is_dataclass(v) else v for v in value]
    return value


@derived_from(inputs.OwnerInput, "A new owner.")
class OwnerInput: ...


@derived_from(inputs.OwnerPatch, "Changes to an owner; omitted fields stay as they are.")
class OwnerPatch: ...


@derived_from(inputs.PetInput, "A new pet of an existing owner.")
class PetInput: ...


@derived_from(inputs.PetPatch, "Changes to a pet; omitted fields stay as they are.")
class PetPatch: ...


@derived_from(inputs.MedicalRecordInput, "A new SOAP note for a pet.")
class MedicalRecordInput: ...


@derived_from(inputs.MedicalRecordPatch, "Changes to a SOAP note; omitted fields stay as they are.")
class MedicalRecordPatch: ...


@derived_from(inputs.InvoiceItemInput, "One line of a new invoice.")
class InvoiceItemInput: ...


@derived_from(inputs.InvoiceInput, "A new invoice; its number and total are computed.")
class InvoiceInput: ...
