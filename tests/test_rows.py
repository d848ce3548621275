"""Each clinic-owned model names its read type, and reads carry what that type says."""

import typing
from typing import Any

import pytest

from app import models, rows
from app.models import Base, ClinicOwned, columns


def _clinic_owned() -> list[type[Any]]:
    # By name: the registry's mappers are a set, and test ids must be collected in one order.
    owned = [m.class_ for m in Base.registry.mappers if issubclass(m.class_, ClinicOwned)]
    return sorted(owned, key=lambda model: model.__name__)


def _row_type(model: type[Any]) -> Any:
    (row,) = [
        typing.get_args(base)[0]
        for base in getattr(model, "__orig_bases__", ())
        if typing.get_origin(base) is ClinicOwned
    ]
    return row


def _hints(row: Any) -> dict[str, Any]:
    # InvoiceRow names InvoiceStatus only for type checkers (app.rows cannot import app.models).
    return typing.get_type_hints(row, localns={"InvoiceStatus": models.InvoiceStatus})


@pytest.mark.parametrize("model", _clinic_owned(), ids=lambda model: model.__name__)
def test_every_clinic_owned_model_names_its_row_type(model: type[Any]) -> None:
    row = _row_type(model)

    assert row is getattr(rows, f"{model.__name__}Row"), row


@pytest.mark.parametrize("model", _clinic_owned(), ids=lambda model: model.__name__)
def test_a_row_type_lists_columns_reads_carry_with_the_models_types(model: type[Any]) -> None:
    selected = {column.key for column in columns(model)}
    mapped = typing.get_type_hints(model)

    for name, type_ in _hints(_row_type(model)).items():
        assert name in selected, f"{model.__name__} rows carry no {name}"
        assert typing.get_args(mapped[name]) == (type_,), f"{model.__name__}.{name}"
