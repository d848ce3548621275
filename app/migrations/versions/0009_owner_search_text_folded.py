"""Owners' search text is folded by Unicode rules in Python, the same on both backends.

The generated column of 0007 lowercased with the database's lower(): ASCII
alone on SQLite, so "Élodie" was not found by `élodie` there. The column
becomes a plain one that the application fills when it writes an owner
(app.models, app.search_text), and this backfills it.

PostgreSQL drops the column's expression and keeps the column itself, so the
clinic-led trigram index of 0007 and the statistics target of 0008 stay; only
rows whose text folds differently (non-ASCII names, mostly) are rewritten, and
NOT NULL is then checked by one scan of `owners` under an exclusive lock.
SQLite cannot alter a generated column: it is dropped and added again, with
the empty default SQLite requires of a NOT NULL column added to a table.

Revision ID: 0009
Revises: 0008
"""

import unicodedata

import sqlalchemy as sa
from alembic import context, op

from app.migrate import report_progress

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels = None
depends_on = None

# The expression of 0007, for the downgrade.
SEARCH_TEXT = "lower(first_name || ' ' || last_name || ' ' || coalesce(email, ''))"
BATCH = 10_000


# app.search_text as it stood when this ran: migrations are frozen history.
def _fold(text: str) -> str:
    folded = unicodedata.normalize(
        "NFKD",
        unicodedata.normalize("NFKD", unicodedata.normalize("NFD", text).casefold()).casefold(),
    )
    return "".join(c for c in folded if not unicodedata.combining(c))


def _backfill() -> None:
    connection = op.get_bind()
    page = sa.text(
        "SELECT id, first_name, last_name, email, search_text FROM owners "
        "WHERE id > :after ORDER BY id LIMIT :batch"
    )
    store = sa.text("UPDATE owners SET search_text = :text WHERE id = :id")
    # A progress line per batch: on a million owners this step takes minutes.
    total = connection.execute(sa.text("SELECT count(*) FROM owners")).scalar_one()
    after, done = "", 0
    while rows := connection.execute(page, {"after": after, "batch": BATCH}).all():
        changed = [
            {"id": id_, "text": text}
            for id_, first, last, email, stored in rows
            if (text := _fold(f"{first} {last} {email or ''}")) != stored
        ]
        if changed:
            connection.execute(store, changed)
        after = rows[-1][0]
        done += len(rows)
        report_progress(context.config.attributes, f"0009: search text of {done}/{total} owners")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE owners ALTER COLUMN search_text DROP EXPRESSION")
        _backfill()
        op.execute("ALTER TABLE owners ALTER COLUMN search_text SET NOT NULL")
        return
    op.execute("ALTER TABLE owners DROP COLUMN search_text")
    op.execute("ALTER TABLE owners ADD COLUMN search_text TEXT NOT NULL DEFAULT ''")
    _backfill()


def downgrade() -> None:
    op.execute("ALTER TABLE owners DROP COLUMN search_text")
    if op.get_bind().dialect.name != "postgresql":
        op.execute(f"ALTER TABLE owners ADD COLUMN search_text TEXT AS ({SEARCH_TEXT}) VIRTUAL")
        return
    op.execute(
        f"ALTER TABLE owners ADD COLUMN search_text TEXT GENERATED ALWAYS AS ({SEARCH_TEXT}) STORED"
    )
    op.execute(
        "CREATE INDEX ix_owners_clinic_search_text_trgm ON owners "
        "USING gin (clinic_id, search_text gin_trgm_ops)"
    )
    op.execute("ALTER TABLE owners ALTER COLUMN search_text SET STATISTICS 1000")
