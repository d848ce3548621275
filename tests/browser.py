"""Headless Chromium for tests, with GraphiQL's CDN assets served from a local npm cache.

Strawberry's GraphiQL page loads React, GraphiQL and friends from unpkg.com, which
test machines cannot reach. The same package versions are installed with npm into
`.cache/graphiql-assets/` (git-ignored) on first use, and every unpkg.com request is
answered from that `node_modules`. unpkg serves the files of the npm tarballs as they
are, so the page's Subresource Integrity hashes still match.

Debian's `chromium` is driven by Playwright's Python package (`playwright install`
needs downloads, which are impossible here). Without chromium or npm a test skips,
except under CI=true, where it fails.
"""

import importlib.resources
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Playwright, Route, sync_playwright

REPO = Path(__file__).resolve().parent.parent
ASSETS = REPO / ".cache" / "graphiql-assets"
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
NPM_TIMEOUT = 180.0

# `https://unpkg.com/<package>@<version>/<path>`, the package possibly scoped.
_UNPKG = re.compile(r"https://unpkg\.com/((?:@[^/@\s\"']+/)?[^/@\s\"']+)@([^/\s\"']+)/")
# The path of such a URL: package, version, file inside the package.
_UNPKG_PATH = re.compile(r"^/((?:@[^/@]+/)?[^/@]+)@([^/]+)/(.+)$")
_CONTENT_TYPES = {
    ".js": "application/javascript; charset=utf-8",
    ".mjs": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


def unavailable(reason: str) -> NoReturn:
    """Skip locally; in CI a missing browser must not pass silently."""
    if IN_CI:
        pytest.fail(f"CI requires the browser test: {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    return CHROMIUM


def graphiql_cdn_packages() -> dict[str, str]:
    """Package -> version for every unpkg.com URL in Strawberry's GraphiQL page.

    Read from the installed Strawberry, so upgrading it pulls the matching assets.
    """
    html = (importlib.resources.files("strawberry") / "static" / "graphiql.html").read_text()
    packages = dict(_UNPKG.findall(html))
    assert packages, "no unpkg.com URLs in strawberry's graphiql.html"
    return packages


def _installed_version(package: str) -> str | None:
    manifest = ASSETS / "node_modules" / package / "package.json"
    if not manifest.exists():
        return None
    match = re.search(r'"version"\s*:\s*"([^"]+)"', manifest.read_text())
    return match.group(1) if match else None


def ensure_cdn_assets(packages: dict[str, str]) -> Path:
    """The node_modules folder holding `packages`, installed with npm when missing."""
    if all(_installed_version(name) == version for name, version in packages.items()):
        return ASSETS / "node_modules"
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is needed to fetch GraphiQL's assets")
    ASSETS.mkdir(parents=True, exist_ok=True)
    specs = [f"{name}@{version}" for name, version in sorted(packages.items())]
    command = [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(ASSETS)]
    try:
        done = subprocess.run(
            [*command, *specs], capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        unavailable(f"npm install of GraphiQL's assets took over {NPM_TIMEOUT:.0f}s")
    wrong = [n for n, v in packages.items() if _installed_version(n) != v]
    if done.returncode != 0 or wrong:
        unavailable(f"npm install {' '.join(specs)} failed:\n{done.stdout}\n{done.stderr}")
    return ASSETS / "node_modules"


@dataclass
class OfflineRoutes:
    """Answers unpkg.com from node_modules, lets 127.0.0.1 through, aborts the rest."""

    node_modules: Path
    served: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def handle(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.hostname == "127.0.0.1":
            route.continue_()
            return
        if parts.hostname != "unpkg.com":
            # Anything else would hang until timeout offline; fail fast and visibly.
            self.blocked.append(url)
            route.abort("blockedbyclient")
            return
        file = self._local_file(url)
        if file is None:
            self.missing.append(url)
            route.fulfill(status=404, body=f"not in {self.node_modules}: {url}")
            return
        self.served.append(url)
        route.fulfill(
            status=200,
            body=file.read_bytes(),
            headers={
                "content-type": _CONTENT_TYPES.get(file.suffix, "application/octet-stream"),
                # The tags are `crossorigin`: without this header CORS rejects them.
                "access-control-allow-origin": "*",
            },
        )

    def _local_file(self, url: str) -> Path | None:
        match = _UNPKG_PATH.match(urlsplit(url).path)
        if match is None:
            return None
        package, version, path = match.groups()
        if _installed_version(package) != version:
            return None
        root = (self.node_modules / package).resolve()
        file = (root / path).resolve()
        if not file.is_relative_to(root) or not file.is_file():
            return None
        return file


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
