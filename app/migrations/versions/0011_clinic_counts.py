"""Rows per clinic and entity, so an unfiltered list's total is one small lookup.

`app.clinic_counts` keeps `clinic_counts` in the transaction of every insert
and delete from now on, in shards; this counts what is already there, in one
shard. Processes of an earlier version write without counting: stop them
before migrating.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels = None
depends_on = None

# The counted entities as they stood when this ran: migrations are frozen history.
ENTITIES = ("owners", "pets", "medical_records", "invoices")


def upgrade() -> None:
    op.create_table(
        "clinic_counts",
        sa.Column("clinic_id", sa.String(length=25), nullable=False),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_clinic_counts_clinic_id_clinics")
        ),
        sa.PrimaryKeyConstraint("clinic_id", "entity", "shard", name=op.f("pk_clinic_counts")),
    )
    counted = " UNION ALL ".join(
        f"SELECT clinic_id, '{entity}', 0, count(*) FROM {entity} GROUP BY clinic_id"
        for entity in ENTITIES
    )
    op.execute(f"INSERT INTO clinic_counts (clinic_id, entity, shard, count) {counted}")


def downgrade() -> None:
    op.drop_table("clinic_counts")
