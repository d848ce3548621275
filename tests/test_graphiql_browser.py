"""GraphiQL at /graphql works in a real browser: a developer can authorize and query.

Starts the real `clinova serve`, opens /graphql in headless Chromium (see
tests/browser.py for how the page's CDN assets are served offline), types the key into
GraphiQL's header editor, runs an owners query and expects a seeded owner in the
result pane. The screenshot is saved as `graphiql.png` in the test's tmp path.
"""

import json
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser import OfflineRoutes, chromium, ensure_cdn_assets, graphiql_cdn_packages
from tests.live_server import live_server

QUERY = "{ owners(first: 3) { nodes { firstName lastName } } }"
UI_TIMEOUT_MS = 15_000

QUERY_EDITOR = "section.graphiql-query-editor .CodeMirror"
HEADERS_TAB = ".graphiql-editor-tools button[data-name='headers']"
# Variables and headers share the tools pane; the inactive editor is `.hidden`.
HEADERS_EDITOR = "section.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
EXECUTE = "button.graphiql-execute-button"
RESULT = "section.result-window"


def _first_owner_name(base: str, key: str) -> str:
    response = httpx.get(
        f"{base}/api/v1/owners",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {key}"},
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


def test_graphiql_runs_an_authorized_owners_query(tmp_path: Path) -> None:
    started = time.monotonic()
    node_modules = ensure_cdn_assets(graphiql_cdn_packages())
    routes = OfflineRoutes(node_modules)
    screenshot = tmp_path / "graphiql.png"

    with chromium() as browser, live_server(tmp_path) as server:
        expected = _first_owner_name(server.base, server.key)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.set_default_timeout(UI_TIMEOUT_MS)
        context.route("**/*", routes.handle)
        page = context.new_page()
        page_errors: list[str] = []
        page.on("pageerror", lambda error: page_errors.append(str(error)))

        page.goto(f"{server.base}/graphql", wait_until="load")
        try:
            expect(page.locator(EXECUTE)).to_be_visible()
        except AssertionError:
            page.screenshot(path=screenshot, full_page=True)
            raise AssertionError(
                f"GraphiQL did not render (screenshot {screenshot}); missing assets "
                f"{routes.missing}, blocked {routes.blocked}, page errors {page_errors}"
            ) from None

        _replace_editor_text(page, QUERY_EDITOR, QUERY)
        page.locator(HEADERS_TAB).click()
        # The router pre-fills the header a developer needs; the test completes it.
        expect(page.locator(HEADERS_EDITOR)).to_contain_text('"Authorization": "Bearer "')
        headers = json.dumps({"Authorization": f"Bearer {server.key}"}, indent=2)
        _replace_editor_text(page, HEADERS_EDITOR, headers)
        page.locator(EXECUTE).click()

        result = page.locator(RESULT)
        try:
            expect(result).to_contain_text(f'"firstName": "{expected}"')
        finally:
            page.screenshot(path=screenshot, full_page=True)
            print(f"\nGraphiQL screenshot: {screenshot}")
        result_text = result.inner_text()
        context.close()

    assert '"errors"' not in result_text, result_text
    assert not routes.missing, f"unpkg.com assets not in {node_modules}: {routes.missing}"
    assert not routes.blocked, f"the page requested other hosts: {routes.blocked}"
    assert not page_errors, f"JavaScript errors on the page: {page_errors}"
    assert routes.served, "no GraphiQL asset came from the local cache"
    print(f"browser test took {time.monotonic() - started:.1f}s")
