"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 02:16:03.215669
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clinics",
        sa.Column("id", sa.String(length=25), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinics")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=25), nullable=False),
        sa.Column("clinic_id", sa.String(length=25), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_api_keys_clinic_id_clinics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "invoice_counters",
        sa.Column("clinic_id", sa.String(length=25), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_invoice_counters_clinic_id_clinics")
        ),
        sa.PrimaryKeyConstraint("clinic_id", "year", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "owners",
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("middle_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("phone_digits", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("last_visit", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=25), nullable=False),
        sa.Column("clinic_id", sa.String(length=25), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_owners_clinic_id_clinics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owners")),
    )
    with op.batch_alter_table("owners", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_owners_clinic_id_created_at_id"),
            ["clinic_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_owners_clinic_id_email"), ["clinic_id", "email"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_owners_clinic_id_last_name_first_name"),
            ["clinic_id", "last_name", "first_name"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_owners_clinic_id_phone_digits"),
            ["clinic_id", "phone_digits"],
            unique=False,
        )

    op.create_table(
        "pets",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("species", sa.String(length=50), nullable=False),
        sa.Column("breed", sa.String(length=100), nullable=True),
        sa.Column("birthdate", sa.Date(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.Column("neutered", sa.Boolean(), nullable=False),
        sa.Column("owner_id", sa.String(length=25), nullable=False),
        sa.Column("id", sa.String(length=25), nullable=False),
        sa.Column("clinic_id", sa.String(length=25), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_pets_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["owners.id"], name=op.f("fk_pets_owner_id_owners")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pets")),
    )
    with op.batch_alter_table("pets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pets_clinic_id_created_at_id"),
            ["clinic_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_pets_clinic_id_owner_id_name"),
            ["clinic_id", "owner_id", "name"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_pets_clinic_id_species"), ["clinic_id", "species"], unique=False
        )

    op.create_table(
        "medical_records",
        sa.Column("date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("diagnosis", sa.Text(), nullable=True),
        sa.Column("treatment", sa.Text(), nullable=True),
        sa.Column("differential_diagnosis", sa.Text(), nullable=True),
        sa.Column("blood_test", sa.JSON(), nullable=True),
        sa.Column("urine_test", sa.JSON(), nullable=True),
        sa.Column("pet_id", sa.String(length=25), nullable=False),
        sa.Column("created_by_id", sa.String(length=100), nullable=False),
        sa.Column("id", sa.String(length=25), nullable=False),
        sa.Column("clinic_id", sa.String(length=25), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_medical_records_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["pet_id"], ["pets.id"], name=op.f("fk_medical_records_pet_id_pets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medical_records")),
    )
    with op.batch_alter_table("medical_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_medical_records_clinic_id_date_id"),
            ["clinic_id", "date", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_medical_records_clinic_id_pet_id_date"),
            ["clinic_id", "pet_id", "date"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_medical_records_pet_id"), ["pet_id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("invoice_number", sa.String(length=20), nullable=False),
        sa.Column("total_amount_cents", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PAID", "UNPAID", "CANCELLED", name="status", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("owner_id", sa.String(length=25), nullable=False),
        sa.Column("pet_id", sa.String(length=25), nullable=True),
        sa.Column("medical_record_id", sa.String(length=25), nullable=True),
        sa.Column("id", sa.String(length=25), nullable=False),
        sa.Column("clinic_id", sa.String(length=25), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_invoices_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["medical_record_id"],
            ["medical_records.id"],
            name=op.f("fk_invoices_medical_record_id_medical_records"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_invoices_owner_id_owners")
        ),
        sa.ForeignKeyConstraint(["pet_id"], ["pets.id"], name=op.f("fk_invoices_pet_id_pets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint(
            "clinic_id", "invoice_number", name=op.f("uq_invoices_clinic_id_invoice_number")
        ),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoices_clinic_id_created_at_id"),
            ["clinic_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_invoices_clinic_id_owner_id_created_at"),
            ["clinic_id", "owner_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_invoices_clinic_id_status_created_at"),
            ["clinic_id", "status", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_invoices_medical_record_id"), ["medical_record_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invoices_pet_id"), ["pet_id"], unique=False)

    op.create_table(
        "invoice_items",
        sa.Column("invoice_id", sa.String(length=25), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=25), nullable=False),
        sa.Column("clinic_id", sa.String(length=25), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_invoice_items_price_not_negative")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_invoice_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_invoice_items_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_items_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_items")),
        sa.UniqueConstraint(
            "invoice_id", "position", name=op.f("uq_invoice_items_invoice_id_position")
        ),
    )
    with op.batch_alter_table("invoice_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_items_invoice_id"), ["invoice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_items_invoice_id"))

    op.drop_table("invoice_items")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_pet_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_medical_record_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_clinic_id_status_created_at"))
        batch_op.drop_index(batch_op.f("ix_invoices_clinic_id_owner_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_invoices_clinic_id_created_at_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("medical_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medical_records_pet_id"))
        batch_op.drop_index(batch_op.f("ix_medical_records_clinic_id_pet_id_date"))
        batch_op.drop_index(batch_op.f("ix_medical_records_clinic_id_date_id"))

    op.drop_table("medical_records")
    with op.batch_alter_table("pets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pets_clinic_id_species"))
        batch_op.drop_index(batch_op.f("ix_pets_clinic_id_owner_id_name"))
        batch_op.drop_index(batch_op.f("ix_pets_clinic_id_created_at_id"))

    op.drop_table("pets")
    with op.batch_alter_table("owners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_owners_clinic_id_phone_digits"))
        batch_op.drop_index(batch_op.f("ix_owners_clinic_id_last_name_first_name"))
        batch_op.drop_index(batch_op.f("ix_owners_clinic_id_email"))
        batch_op.drop_index(batch_op.f("ix_owners_clinic_id_created_at_id"))

    op.drop_table("owners")
    op.drop_table("invoice_counters")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_clinic_id"))

    op.drop_table("api_keys")
    op.drop_table("clinics")
