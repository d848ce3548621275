from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, text

from app.bulk_insert import insert_prepared, prepare_rows
from app.database import Database, write_transaction
from app.ids import new_id
from app.models import Invoice, MedicalRecord, Owner, Pet
from tests.factories import clinic_session, make_clinic

AT = datetime(2025, 3, 4, 10, 15, 0, 123_456, tzinfo=UTC)
PANEL = {"ALT": {"value": 41, "unit": "U/L", "range": "10-100"}}


def _rows(clinic_id: str, tag: str) -> list[tuple[Table, dict[str, Any]]]:
    stamps = {"clinic_id": clinic_id, "created_at": AT, "updated_at": AT}
    owner = {"id": new_id(), "first_name": "Élodie", "middle_name": None, "last_name": tag,
             "search_text": "élodie", "last_visit": AT, **stamps}  # fmt: skip
    pet = {"id": new_id(), "name": "Rex", "species": "Dog", "species_key": "dog",
           "birthdate": AT.date(), "weight": 4.5, "neutered": True, "owner_id": owner["id"],
           **stamps}  # fmt: skip
    record = {"id": new_id(), "date": AT, "title": "Check", "blood_test": PANEL,
              "pet_id": pet["id"], "created_by_id": "auth0|1", **stamps}  # fmt: skip
    invoice = {"id": new_id(), "invoice_number": f"N-{tag}", "status": "PAID",
               "total_amount_cents": Decimal("12.345"), "owner_id": owner["id"],
               "pet_id": pet["id"], "medical_record_id": record["id"], **stamps}  # fmt: skip
    models = (Owner, Pet, MedicalRecord, Invoice)
    return [
        (cast(Table, m.__table__), r)
        for m, r in zip(models, (owner, pet, record, invoice), strict=True)
    ]


async def _stored(db: Database, table: str, clinic_id: str) -> list[tuple[Any, ...]]:
    async with db.sessionmaker() as session:
        rows = await session.execute(
            text(f"SELECT * FROM {table} WHERE clinic_id = :clinic"), {"clinic": clinic_id}
        )
        # Ids, clinics and what points at them differ by construction; the rest must not.
        return [tuple(v for k, v in row._mapping.items() if not k.endswith("id")) for row in rows]


async def test_bulk_rows_are_stored_as_core_stores_them(db: Database) -> None:
    given = [await make_clinic(db), await make_clinic(db)]
    for clinic, bulk in zip(given, (False, True), strict=True):
        async with clinic_session(db, clinic.clinic_id) as session, write_transaction(session):
            for table, row in _rows(clinic.clinic_id, "Same"):
                if bulk:
                    dialect = session.get_bind().dialect
                    await insert_prepared(session, prepare_rows(dialect, table, [row]))
                else:
                    await session.execute(table.insert(), [row])

    for table in ("owners", "pets", "medical_records", "invoices"):
        core, bulk = [await _stored(db, table, clinic.clinic_id) for clinic in given]
        assert bulk == core and len(core) == 1
