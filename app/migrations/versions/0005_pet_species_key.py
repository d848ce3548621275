"""Pets get `species_key` (the species lowercased) so the case-insensitive
species filter is served by an index on both backends.

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
    with op.batch_alter_table("pets") as batch_op:
        batch_op.add_column(sa.Column("species_key", sa.String(length=50), nullable=True))
    op.execute("UPDATE pets SET species_key = lower(species)")
    with op.batch_alter_table("pets") as batch_op:
        batch_op.alter_column("species_key", existing_type=sa.String(length=50), nullable=False)
        batch_op.drop_index("ix_pets_clinic_id_species")
        batch_op.create_index("ix_pets_clinic_id_species_key", ["clinic_id", "species_key"])


def downgrade() -> None:
    with op.batch_alter_table("pets") as batch_op:
        batch_op.drop_index("ix_pets_clinic_id_species_key")
        batch_op.create_index("ix_pets_clinic_id_species", ["clinic_id", "species"])
        batch_op.drop_column("species_key")
