"""Trigram indexes for owner search on PostgreSQL.

Search is a substring match (`LIKE '%term%'`) on the lowercased name-and-email
text and on the phone's digits; only trigram GIN indexes serve that. SQLite has
no such index: there the search scans the clinic's owners through the clinic
index, which is fine at single-clinic sizes.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

SEARCH_TEXT = "lower(first_name || ' ' || last_name || ' ' || coalesce(email, ''))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        f"CREATE INDEX ix_owners_search_text_trgm ON owners USING gin ({SEARCH_TEXT} gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_owners_phone_digits_trgm ON owners USING gin (phone_digits gin_trgm_ops)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_owners_phone_digits_trgm")
    op.execute("DROP INDEX ix_owners_search_text_trgm")
