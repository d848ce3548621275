"""The statements a request runs grow with the depth of its query, never with rows."""

import httpx
import pytest

from app.database import Database
from tests.factories import (
    ClinicKey,
    make_clinic,
    make_invoice,
    make_owner,
    make_pet,
    make_record,
)
from tests.graphql_client import count_statements, gql

NESTED = """{
  owners(first: 100) {
    nodes {
      firstName
      invoices { invoiceNumber }
      pets {
        name
        owner { lastName }
        medicalRecords {
          title
          pet { name }
          invoices { invoiceNumber totalAmount items { name } medicalRecord { title } }
        }
      }
    }
  }
}"""


async def _clinic_with(db: Database, owners: int) -> ClinicKey:
    clinic = await make_clinic(db)
    for i in range(owners):
        owner = await make_owner(db, clinic.clinic_id, first_name=f"O{i}")
        pet = await make_pet(db, clinic.clinic_id, owner.id)
        record = await make_record(db, clinic.clinic_id, pet.id)
        await make_invoice(
            db,
            clinic.clinic_id,
            owner.id,
            number=f"INV-2026-{i:06d}",
            pet_id=pet.id,
            medical_record_id=record.id,
        )
    return clinic


async def _statements_for(
    db: Database, client: httpx.AsyncClient, clinic: ClinicKey, query: str = NESTED
) -> int:
    with count_statements(db.engine) as counter:
        body = await gql(client, clinic, query)
    assert "errors" not in body
    return len(counter)


@pytest.mark.count_queries
async def test_nested_query_statements_do_not_grow_with_rows(
    db: Database, client: httpx.AsyncClient
) -> None:
    few_clinic, many_clinic = await _clinic_with(db, 5), await _clinic_with(db, 100)
    # Each text's first sight runs through strawberry, its second on the compiled
    # route (on PostgreSQL with levels written inside their parents'): each path
    # is compared with itself.
    other = NESTED + "\n"
    few = await _statements_for(db, client, few_clinic)
    many = await _statements_for(db, client, many_clinic, other)
    assert few == many
    # key lookup, owners, owner invoices, pets, pet owners, records, record pets,
    # record invoices, their items, their records: one statement per level.
    assert many <= 10, many
    few = await _statements_for(db, client, few_clinic, other)
    many = await _statements_for(db, client, many_clinic)
    assert few == many <= 10, (few, many)
