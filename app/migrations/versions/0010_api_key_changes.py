"""Every change to an API key is announced in the transaction that makes it.

`app.key_cache` answers keys from memory between changes, so each process
must hear every change (`app.key_changes`). Triggers on `api_keys`, whoever
writes (`clinova keys revoke`, an operator's SQL), bump the one row of
`api_key_changes` (SQLite's watcher reads it) and, on PostgreSQL, send
`NOTIFY clinova_api_keys` with the changed key's hash, delivered only if the
change commits. Inserts announce nothing: the cache never holds a key it has
not found.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels = None
depends_on = None

BUMP = "UPDATE api_key_changes SET changes = changes + 1"


def upgrade() -> None:
    op.create_table(
        "api_key_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key_changes")),
    )
    op.execute("INSERT INTO api_key_changes (id, changes) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION clinova_announce_api_key_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                {BUMP};
                PERFORM pg_notify('clinova_api_keys', OLD.key_hash);
                RETURN NULL;
            END $$""")
        op.execute(
            "CREATE TRIGGER api_keys_announce_change AFTER UPDATE OR DELETE ON api_keys "
            "FOR EACH ROW EXECUTE FUNCTION clinova_announce_api_key_change()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER api_keys_announce_{event.lower()} AFTER {event} ON api_keys "
            f"BEGIN {BUMP}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER api_keys_announce_change ON api_keys")
        op.execute("DROP FUNCTION clinova_announce_api_key_change()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER api_keys_announce_{event}")
    op.drop_table("api_key_changes")
