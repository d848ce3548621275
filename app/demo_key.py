"""The demo clinic's key, kept beside the database `clinova demo` seeded.

A key's secret is shown once, so `clinova demo` keeps the demo's in a record that
names its database: later runs show it again, and GraphiQL opens ready to run on it
(graphql_schema/graphiql.py), but only for that database served on loopback.
"""

import contextlib
import ipaddress
import json
from pathlib import Path

from sqlalchemy.engine import make_url

from app.settings import Settings

RECORD_NAME = ".clinova-demo.json"


def _record(database_url: str) -> tuple[Path, str]:
    """Where the record of this database lives, and what names the database in it."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        file = Path(str(url.database)).resolve()
        return file.parent / RECORD_NAME, f"sqlite:{file}"
    # A server database has no file to sit beside; its URL, never its password, names it.
    return Path(RECORD_NAME).resolve(), url.render_as_string(hide_password=True)


def remember_demo_key(database_url: str, api_key: str) -> None:
    path, database = _record(database_url)
    # It holds a secret: readable by its owner alone (like ~/.pgpass), before it does.
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps({"apiKey": api_key, "database": database}))


def recorded_demo_key(database_url: str) -> str | None:
    """The demo key of this database, if `clinova demo` seeded it."""
    path, database = _record(database_url)
    with contextlib.suppress(OSError, ValueError):
        record = json.loads(path.read_text())
        if isinstance(record, dict) and record.get("database") == database:
            key = record.get("apiKey")
            return key if isinstance(key, str) else None
    return None


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def servable_demo_key(settings: Settings) -> str | None:
    """The key a page may carry: the demo database's, served on a loopback address only.

    Anything else (another database, an address other machines reach) is a
    deployment whose pages must never hold a key.
    """
    if not is_loopback(settings.host):
        return None
    return recorded_demo_key(settings.database_url)
