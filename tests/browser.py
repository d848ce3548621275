"""Headless Chromium for tests, with every request off this machine blocked.

GraphiQL's files are served by the service itself (graphql_schema/graphiql.py), so
the page must work with nothing but 127.0.0.1: every other request is aborted and
recorded, and a test asserts none was attempted. The page's Content-Security-Policy
violations are recorded too, from Chromium's console.

Debian's `chromium` is driven by Playwright's Python package (`playwright install`
needs downloads, which are impossible here). Without chromium, or without GraphiQL's
npm files (`make install`), a test skips, except under CI=true, where it fails.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Route, sync_playwright

from graphql_schema.graphiql import missing_assets

CHROMIUM = "/usr/bin/chromium"
# No sandbox: CI runs as root in a container. The rest keeps Chromium from phoning
# home (update checks, field trials, sync), which Playwright's routing cannot see.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI") == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip locally; in CI a missing browser must not pass silently."""
    if IN_CI:
        pytest.fail(f"CI requires the browser test: {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    return CHROMIUM


def require_graphiql_assets() -> None:
    missing = missing_assets()
    if missing:
        unavailable(f"GraphiQL's npm files are not installed (make install): {missing}")


@dataclass
class LoopbackOnly:
    """Lets 127.0.0.1 through and aborts, recording, every other request."""

    served: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def handle(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            self.served.append(url)
            route.continue_()
            return
        # Offline, anything else would hang until timeout: fail fast and visibly.
        self.blocked.append(url)
        route.abort("blockedbyclient")


@dataclass
class PageProblems:
    """What went wrong on a page: script errors and Content-Security-Policy refusals."""

    errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium under Playwright; skips (fails in CI) if it won't start."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = _launch(playwright, executable)
        try:
            yield browser
        finally:
            browser.close()


def _launch(playwright: Playwright, executable: str) -> Browser:
    try:
        # Playwright's launch gives each browser a fresh temporary profile.
        return playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, timeout=30_000
        )
    except Exception as error:  # Playwright raises its own Error or a timeout
        unavailable(f"{executable} did not start under Playwright: {error}")
