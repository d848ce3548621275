"""Progress of long commands: on a terminal only, never with --json or in a pipe.

Driven through a pseudo-terminal, as a person at a terminal runs them. On
SQLite: what is shown does not depend on the backend.
"""

import asyncio
import os
import pty
import subprocess
from pathlib import Path

from alembic.script import ScriptDirectory

from app.database import Database
from app.migrate import alembic_config, migrate
from app.settings import Settings
from tests.live_server import clinova
from tests.test_cli import last_json, run
from tests.test_migrations import OLD_ROWS

# The latest revision of the scripts: what `migrate --json` ends with.
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def in_terminal(database_url: str, *args: str) -> str:
    """Everything the command wrote to its terminal (stdout and stderr alike)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINOVA_")}
    env["CLINOVA_DATABASE_URL"] = database_url
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [clinova(), *args], env=env, stdin=terminal, stdout=terminal, stderr=terminal
    )
    os.close(terminal)
    output = b""
    try:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the command has exited and closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(controller)
    assert process.wait(timeout=120) == 0, output
    return output.decode().replace("\r\n", "\n")


def at_0008_with_owners(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"

    async def prepare() -> None:
        db = Database(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
        try:
            await migrate(db.engine, "0008")
            async with db.engine.begin() as connection:
                for statement in OLD_ROWS:
                    await connection.exec_driver_sql(statement)
        finally:
            await db.dispose()

    asyncio.run(prepare())
    return url


def test_migrate_on_a_terminal_shows_each_revision_and_the_backfill(tmp_path: Path) -> None:
    shown = in_terminal(at_0008_with_owners(tmp_path), "migrate")

    assert "0009: Owners' search text is folded by Unicode rules" in shown
    assert "0009: search text of 1/1 owners" in shown
    assert shown.index("search text of 1/1") < shown.index("0009: Owners'")
    assert "0008:" not in shown  # already applied
    assert shown.rstrip().endswith("database is at the latest revision")


def test_migrate_with_json_or_without_a_terminal_shows_no_progress(tmp_path: Path) -> None:
    shown = in_terminal(at_0008_with_owners(tmp_path), "migrate", "--json")
    assert shown.splitlines() == ["database is at the latest revision", f'{{"revision": "{HEAD}"}}']

    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    piped = run(fresh, "migrate", "--json")
    assert piped.stderr == ""
    assert last_json(piped) == {"revision": HEAD}


def test_seed_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    run(url, "migrate")

    assert "seeding owners" in in_terminal(url, "seed", "--owners", "30")
    assert "seeding owners" not in in_terminal(url, "seed", "--owners", "30", "--json")
    assert run(url, "seed", "--owners", "30").stderr == ""
