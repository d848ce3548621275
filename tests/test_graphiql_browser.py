"""GraphiQL at /graphql in a real browser, with every request off this machine blocked.

Starts the real `clinova serve`, opens /graphql in headless Chromium (tests/browser.py)
and runs a query from the page. On a server seeded by `clinova seed` a developer
types the key; on the demo `make run` serves, the page opens ready to run. Each
test checks that nothing but 127.0.0.1 was asked for, that the page's
Content-Security-Policy refused nothing, and saves a screenshot in its tmp path.
"""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, Response, expect

from graphql_schema.graphiql import HEADERS_TEMPLATE
from tests.browser import LoopbackOnly, PageProblems, chromium, require_graphiql_assets
from tests.live_server import LiveServer, live_server

QUERY = "{ owners(first: 3) { nodes { firstName lastName } } }"
UI_TIMEOUT_MS = 15_000

QUERY_EDITOR = "section.graphiql-query-editor .CodeMirror"
HEADERS_TAB = ".graphiql-editor-tools button[data-name='headers']"
# Variables and headers share the tools pane; the inactive editor is `.hidden`.
HEADERS_EDITOR = "section.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
EXECUTE = "button.graphiql-execute-button"
RESULT = "section.result-window"
REFETCH_SCHEMA = "button[aria-label='Re-fetch GraphQL schema']"
DOCS = "button[aria-label='Show Documentation Explorer']"
DOCS_PANE = ".graphiql-doc-explorer"
# The explorer plugin lists the root fields once the schema has loaded.
EXPLORER_OWNERS = ".graphiql-explorer-root [data-field-name='owners']"


@dataclass
class GraphiQLSession:
    page: Page
    routes: LoopbackOnly
    problems: PageProblems
    # Status of every POST /graphql the page made (introspection, then queries).
    graphql_statuses: list[int] = field(default_factory=list)
    screenshot: Path = Path("graphiql.png")

    def on_response(self, response: Response) -> None:
        if response.request.method == "POST" and response.url.endswith("/graphql"):
            self.graphql_statuses.append(response.status)

    def assert_clean(self) -> None:
        assert self.routes.served, "the page loaded nothing from the server"
        assert not self.routes.blocked, f"the page asked for other hosts: {self.routes.blocked}"
        assert not self.problems.csp_violations, self.problems.csp_violations
        assert not self.problems.errors, f"JavaScript errors: {self.problems.errors}"


@contextmanager
def graphiql(browser: Browser, server: LiveServer, tmp_path: Path) -> Iterator[GraphiQLSession]:
    """/graphql opened and rendered, offline; the screenshot is taken however it ends."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    routes = LoopbackOnly()
    context.route("**/*", routes.handle)
    page = context.new_page()
    session = GraphiQLSession(page, routes, PageProblems(), screenshot=tmp_path / "graphiql.png")
    session.problems.watch(page)
    page.on("response", session.on_response)
    try:
        page.goto(f"{server.base}/graphql", wait_until="load")
        expect(page.locator(EXECUTE)).to_be_visible()
        yield session
    finally:
        page.screenshot(path=session.screenshot, full_page=True)
        print(f"\nGraphiQL screenshot: {session.screenshot}")
        context.close()


def _page_html(server: LiveServer) -> str:
    response = httpx.get(f"{server.base}/graphql", headers={"accept": "text/html"}, timeout=10)
    response.raise_for_status()
    return response.text


def _first_owner_name(server: LiveServer) -> str:
    response = httpx.get(
        f"{server.base}/api/v1/owners",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {server.key}"},
        timeout=10,
    )
    response.raise_for_status()
    name: str = response.json()["data"][0]["firstName"]
    return name


def _replace_editor_text(page: Page, editor: str, text: str) -> None:
    page.locator(editor).click()
    page.keyboard.press("ControlOrMeta+a")
    # insert_text, not type: per-key typing would trip CodeMirror's bracket
    # auto-closing and autocomplete popups; this is one paste-like input.
    page.keyboard.insert_text(text)


def _refetch_schema_until_authorized(page: Page) -> None:
    # GraphiQL hands an edited header to its schema fetch after a debounce (100 ms):
    # a developer's click a moment later works; the test clicks until it does.
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        with page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith("/graphql")
        ) as answer:
            page.locator(REFETCH_SCHEMA).click()
        if answer.value.status == 200:
            return
        page.wait_for_timeout(200)
    raise AssertionError("the schema never loaded with the key typed in the headers")


def _editor_text(page: Page, editor: str) -> str:
    # CodeMirror renders only visible lines; its own API holds the whole text.
    text: str = page.locator(editor).evaluate("element => element.CodeMirror.getValue()")
    return text


def test_a_developer_authorizes_and_queries_with_nothing_but_this_server(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    require_graphiql_assets()
    with chromium() as browser, live_server(tmp_path) as server:
        expected = _first_owner_name(server)
        assert "sk_" not in _page_html(server)
        with graphiql(browser, server, tmp_path) as session:
            page = session.page
            page.locator(HEADERS_TAB).click()
            # No key in the page: the header a developer needs, ready to complete.
            assert _editor_text(page, HEADERS_EDITOR) == HEADERS_TEMPLATE
            headers = json.dumps({"Authorization": f"Bearer {server.key}"}, indent=2)
            _replace_editor_text(page, HEADERS_EDITOR, headers)
            _refetch_schema_until_authorized(page)
            page.locator(DOCS).click()
            expect(page.locator(DOCS_PANE)).to_contain_text("Query")

            _replace_editor_text(page, QUERY_EDITOR, QUERY)
            # GraphiQL reads the operation name 100 ms after an edit, then calls
            # onEditQuery (graphiql/page.js keeps the query in the URL): run after that.
            page.wait_for_function(
                "query => new URLSearchParams(location.search).get('q') === query", arg=QUERY
            )
            page.locator(EXECUTE).click()

            result = page.locator(RESULT)
            expect(result).to_contain_text(f'"firstName": "{expected}"')
            assert '"errors"' not in result.inner_text()
            session.assert_clean()
    print(f"browser test took {time.monotonic() - started:.1f}s")


def test_the_demo_opens_ready_to_run(tmp_path: Path) -> None:
    require_graphiql_assets()
    with chromium() as browser, live_server(tmp_path, demo=True) as server:
        expected = _first_owner_name(server)
        assert server.key in _page_html(server)
        with graphiql(browser, server, tmp_path) as session:
            page = session.page
            # Explorer open and listing the schema's fields: the schema loaded.
            expect(page.locator(EXPLORER_OWNERS)).to_be_visible()
            assert session.graphql_statuses and set(session.graphql_statuses) == {200}
            assert "query Dashboard" in _editor_text(page, QUERY_EDITOR)
            page.locator(HEADERS_TAB).click()
            assert json.loads(_editor_text(page, HEADERS_EDITOR)) == {
                "Authorization": f"Bearer {server.key}"
            }

            page.locator(EXECUTE).click()

            result = page.locator(RESULT)
            expect(result).to_contain_text(f'"firstName": "{expected}"')
            expect(result).to_contain_text('"medicalRecords"')
            assert '"errors"' not in result.inner_text()
            assert set(session.graphql_statuses) == {200}
            # GraphiQL stores its tabs (debounced); the key must not be stored with them.
            page.wait_for_function(
                "() => (localStorage.getItem('graphiql:tabState') || '').includes('Dashboard')"
            )
            assert server.key not in page.evaluate("() => JSON.stringify(localStorage)")
            session.assert_clean()
