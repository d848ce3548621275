"""Pets get `species_key` (the species lowercased) so the case-insensitive
species filter is served by an index on both backends.

Plain ALTER TABLE, no batch copy: SQLite would have to drop and recreate
`pets`, which foreign keys from records and invoices forbid while enforced.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "pets",
        sa.Column("species_key", sa.String(length=50), nullable=False, server_default=""),
    )
    op.execute("UPDATE pets SET species_key = lower(species)")
    op.drop_index("ix_pets_clinic_id_species", table_name="pets")
    op.create_index("ix_pets_clinic_id_species_key", "pets", ["clinic_id", "species_key"])


def downgrade() -> None:
    op.drop_index("ix_pets_clinic_id_species_key", table_name="pets")
    op.create_index("ix_pets_clinic_id_species", "pets", ["clinic_id", "species"])
    op.drop_column("pets", "species_key")
