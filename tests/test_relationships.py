"""A relationship is declared once, on the model, and what is missing fails the schema build."""

from typing import Any

import httpx
import pytest
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.database import Database
from app.relationships import (
    OnDelete,
    UndeclaredRelationship,
    children,
    reference,
    require_children_declared,
)
from graphql_schema.relations import relation
from tests.factories import make_clinic, make_invoice, make_owner, make_pet
from tests.graphql_client import codes, gql

DELETE_OWNER = "mutation ($id: ID!) { deleteOwner(id: $id) }"
DELETE_PET = "mutation ($id: ID!) { deletePet(id: $id) }"


class _Throwaway(DeclarativeBase):
    """Models of their own registry: the application's schema never sees them."""


class Kennel(_Throwaway):
    __tablename__ = "kennels"

    id: Mapped[str] = mapped_column(String(25), primary_key=True)
    # Declared the plain SQLAlchemy way: no scope, no fan-out, no delete rule.
    dogs: Mapped[list["Dog"]] = relationship(lazy="raise", viewonly=True)


class Dog(_Throwaway):
    __tablename__ = "dogs"

    id: Mapped[str] = mapped_column(String(25), primary_key=True)
    kennel_id: Mapped[str] = mapped_column(ForeignKey("kennels.id"))
    # A list relationship declared as if it were one row.
    kennel: Mapped[Kennel] = reference(scope="pets:read")
    pups: Mapped[list["Pup"]] = reference(scope="pets:read")


class Pup(_Throwaway):
    __tablename__ = "pups"

    id: Mapped[str] = mapped_column(String(25), primary_key=True)
    dog_id: Mapped[str] = mapped_column(ForeignKey("dogs.id"))


class Shelter(_Throwaway):
    __tablename__ = "shelters"

    id: Mapped[str] = mapped_column(String(25), primary_key=True)


class Cat(_Throwaway):
    __tablename__ = "cats"

    id: Mapped[str] = mapped_column(String(25), primary_key=True)
    shelter_id: Mapped[str] = mapped_column(ForeignKey("shelters.id"))
    # Its parent declares no children() for it: no rule for deleting a shelter.
    shelter: Mapped[Shelter] = reference(scope="pets:read")


def test_a_foreign_key_whose_parent_declares_no_children_fails_as_the_models_load() -> None:
    with pytest.raises(UndeclaredRelationship, match=r"Cat\.shelter_id names a Shelter"):
        require_children_declared([Shelter, Cat])


def _order() -> tuple[Any, ...]:
    return (Dog.id,)


def test_a_relationship_without_scope_or_fan_out_fails_the_schema_build() -> None:
    with pytest.raises(UndeclaredRelationship, match=r"Kennel\.dogs has no scope, fan-out"):
        relation(Kennel.dogs, list[Any], description="The kennel's dogs.")


def test_a_list_declared_as_one_row_fails_the_schema_build() -> None:
    with pytest.raises(UndeclaredRelationship, match=r"Dog\.pups is a list: use children\(\)"):
        relation(Dog.pups, list[Any], description="The dog's pups.")


@pytest.mark.parametrize(
    ("scope", "fan_out", "problem"),
    [
        ("", 5, "needs the scope"),
        ("pet:read", 5, "'pet:read' is not a scope"),
        ("pets:read", 0, "needs a fan-out of at least 1"),
    ],
)
def test_children_need_a_scope_and_a_fan_out(scope: str, fan_out: int, problem: str) -> None:
    with pytest.raises(UndeclaredRelationship, match=problem):
        children(order_by=_order, scope=scope, fan_out=fan_out, on_delete=OnDelete.REFUSE)


async def test_a_parent_with_children_of_a_refusing_relationship_is_not_deleted(
    db: Database, client: httpx.AsyncClient
) -> None:
    # Given an owner and a pet whose only history is an invoice of each
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    await make_invoice(db, clinic.clinic_id, owner.id, number="INV-2026-000001", pet_id=pet.id)

    # when either is deleted
    owner_refused = await gql(client, clinic, DELETE_OWNER, {"id": owner.id})
    pet_refused = await gql(client, clinic, DELETE_PET, {"id": pet.id})

    # then both are refused, naming what each relationship declares it keeps
    assert codes(owner_refused) == codes(pet_refused) == ["VALIDATION_ERROR"]
    assert owner_refused["errors"][0]["message"] == (
        "Owner cannot be deleted: the owner has pets or invoices"
    )
    assert pet_refused["errors"][0]["message"] == (
        "Pet cannot be deleted: the pet has medical records or invoices"
    )
    assert pet_refused["errors"][0]["extensions"]["details"] == {
        "id": "the pet has medical records or invoices"
    }


async def test_a_parent_without_children_is_deleted(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)

    deleted_pet = await gql(client, clinic, DELETE_PET, {"id": pet.id})
    deleted_owner = await gql(client, clinic, DELETE_OWNER, {"id": owner.id})

    assert deleted_pet["data"] == {"deletePet": pet.id}
    assert deleted_owner["data"] == {"deleteOwner": owner.id}
