"""The GraphiQL page: its own files, a strict CSP, and the demo key only on the demo.

In-process; tests/test_graphiql_browser.py drives the same page in Chromium.
"""

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.demo_key import remember_demo_key
from app.main import create_app
from app.settings import Settings
from graphql_schema import graphiql
from graphql_schema.graphiql import ASSETS, DASHBOARD_QUERY, HEADERS_TEMPLATE
from tests.factories import make_clinic, make_invoice, make_owner, make_pet, make_record
from tests.graphql_client import gql
from tests.live_server import live_server

DEMO_KEY = "sk_test_" + "D" * 40
LOCAL = "http://127.0.0.1:8000"
HTML = {"accept": "text/html"}


class _Page(HTMLParser):
    """The page's tags, its JSON data block, and anything inline."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_config = False
        self.config: dict[str, Any] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_config = tag == "script" and dict(attrs).get("type") == "application/json"

    def handle_data(self, data: str) -> None:
        if self._in_config:
            self.config = json.loads(data)
            self._in_config = False


@asynccontextmanager
async def page_client(
    tmp_path: Path,
    *,
    host: str = "127.0.0.1",
    demo: bool = True,
    base_url: str = LOCAL,
    client: tuple[str, int] = ("127.0.0.1", 50000),
) -> AsyncIterator[httpx.AsyncClient]:
    """An app on a SQLite file of its own, that `clinova demo` seeded if `demo`."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    if demo:
        remember_demo_key(database_url, DEMO_KEY)
    app = create_app(Settings(database_url=database_url, host=host, _env_file=None))  # type: ignore[call-arg]
    transport = httpx.ASGITransport(app=app, client=client)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            yield http
    finally:
        await app.state.db.dispose()


async def _page(http: httpx.AsyncClient, **headers: str) -> httpx.Response:
    response = await http.get("/graphql", headers={**HTML, **headers})
    assert response.status_code == 200, response.text
    return response


async def test_the_page_needs_no_key_and_loads_nothing_from_elsewhere(
    client: httpx.AsyncClient,
) -> None:
    response = await _page(client)
    page = _Page(response.text)

    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    executable = [attrs["src"] for attrs in scripts if attrs.get("type") != "application/json"]
    styles = [attrs["href"] for tag, attrs in page.tags if tag == "link"]
    assert executable and all(src and src.startswith("/graphql/assets/") for src in executable)
    assert styles and all(href and href.startswith("/graphql/assets/") for href in styles)
    assert not [tag for tag, _ in page.tags if tag == "style"]
    assert not [tag for tag, attrs in page.tags if "style" in attrs]
    assert not re.search(r"https?://", response.text)
    assert page.config["headers"] == HEADERS_TEMPLATE


async def test_the_page_sets_a_strict_content_security_policy(client: httpx.AsyncClient) -> None:
    policy = (await _page(client)).headers["content-security-policy"]

    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert "unsafe" not in policy and "http" not in policy


async def test_every_file_the_page_names_is_served(client: httpx.AsyncClient) -> None:
    page = _Page((await _page(client)).text)
    urls = [a.get("src") or a.get("href") for tag, a in page.tags if tag in ("script", "link")]

    for url in filter(None, urls):
        response = await client.get(url)
        assert response.status_code == 200, url
        kind = "text/css" if url.endswith(".css") else "text/javascript"
        assert response.headers["content-type"] == f"{kind}; charset=utf-8", url
        assert response.headers["x-content-type-options"] == "nosniff"
    assert len(set(filter(None, urls))) == len(ASSETS)


async def test_only_the_named_files_are_served(client: httpx.AsyncClient) -> None:
    for name in ("package.json", "..%2Fpyproject.toml", "node_modules%2Freact%2Fpackage.json"):
        response = await client.get(f"/graphql/assets/{name}")
        assert response.status_code == 404, name


async def test_without_its_npm_files_the_page_says_how_to_install_them(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graphiql, "GRAPHIQL_DIR", tmp_path)

    response = await client.get("/graphql", headers=HTML)

    assert response.status_code == 503
    assert "make install" in response.text and "npm" in response.text


async def test_the_demo_served_on_loopback_opens_ready_to_run(tmp_path: Path) -> None:
    async with page_client(tmp_path) as http:
        response = await _page(http)
    config = _Page(response.text).config

    assert response.headers["cache-control"] == "no-store"
    assert json.loads(config["headers"]) == {"Authorization": f"Bearer {DEMO_KEY}"}
    assert config["openExplorer"] is True
    assert config["query"] == DASHBOARD_QUERY


@pytest.mark.parametrize(
    ("why", "options", "headers"),
    [
        ("not the demo database", {"demo": False}, {}),
        ("bound to every interface", {"host": "0.0.0.0"}, {}),
        ("a client on another machine", {"client": ("10.0.0.7", 50000)}, {}),
        ("a name that is not loopback (DNS rebinding)", {"base_url": "http://evil.example"}, {}),
        ("forwarded by a proxy on this host", {}, {"x-forwarded-for": "203.0.113.9"}),
        ("forwarded, RFC 7239", {}, {"forwarded": "for=203.0.113.9"}),
    ],
)
async def test_anywhere_else_the_page_holds_no_key(
    tmp_path: Path, why: str, options: dict[str, Any], headers: dict[str, str]
) -> None:
    async with page_client(tmp_path, **options) as http:
        response = await _page(http, **headers)

    assert "sk_" not in response.text, why
    assert _Page(response.text).config["openExplorer"] is False


async def test_a_demo_record_of_another_database_is_not_this_ones(tmp_path: Path) -> None:
    remember_demo_key(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}", DEMO_KEY)

    async with page_client(tmp_path, demo=False) as http:
        response = await _page(http)

    assert "sk_" not in response.text


async def test_the_dashboard_query_runs_as_written(backend: Any, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(backend.db)
    owner = await make_owner(backend.db, clinic.clinic_id, first_name="Ada")
    pet = await make_pet(backend.db, clinic.clinic_id, owner.id)
    record = await make_record(backend.db, clinic.clinic_id, pet.id)
    await make_invoice(
        backend.db, clinic.clinic_id, owner.id, number="INV-2026-000001",
        pet_id=pet.id, medical_record_id=record.id,
    )  # fmt: skip

    body = await gql(client, clinic, DASHBOARD_QUERY)

    assert "errors" not in body, body
    [seen] = body["data"]["owners"]["nodes"]
    assert seen["firstName"] == "Ada"
    assert seen["pets"][0]["medicalRecords"][0]["invoices"][0]["invoiceNumber"] == "INV-2026-000001"


def test_clinova_serve_on_every_interface_puts_no_key_in_the_demo_page(tmp_path: Path) -> None:
    # The bound address reaches the app from `clinova serve --host`, not a default.
    with live_server(tmp_path, demo=True, host="0.0.0.0") as server:
        response = httpx.get(f"{server.base}/graphql", headers=HTML, timeout=10)

    assert response.status_code == 200
    assert server.key.startswith("sk_") and "sk_" not in response.text
