"""PostgreSQL keeps ten times the default statistics on owners' search text.

A search for a term is planned from how many of the column's histogram values
contain it. With the default hundred, a term in 1-2% of a clinic's owners
('smi' at 1M owners: 4,274 of 250,000) is in none of them after one ANALYZE
in six or seven. The estimate then falls to its floor of 0.01%. The planner
fetches and sorts every match through the trigram index, 10 ms, instead of
walking the clinic's list until a page is full, 0.6 ms. A thousand values
makes that miss vanishingly rare for any term above 0.5% of owners. ANALYZE
then reads 300,000 sampled rows of `owners` instead of 30,000.

SQLite keeps no such statistics.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE owners ALTER COLUMN search_text SET STATISTICS 1000")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE owners ALTER COLUMN search_text SET STATISTICS -1")
