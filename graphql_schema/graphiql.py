"""GraphiQL's page and every file it loads, served from here: no CDN, a strict CSP.

The browser files are npm packages pinned in graphiql/package-lock.json (exact
versions, each tarball's integrity checked by `npm ci`, which `make install` runs);
graphiql/page.js starts the editor from the page's JSON data block, so the page
runs no inline script or style and needs no key. It carries the demo key only
when app.demo_key allows it and the browser reached this server directly on loopback.
"""

import json
import logging
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse

from app.demo_key import is_loopback, servable_demo_key
from app.errors import NotFound
from app.settings import Settings

GRAPHIQL_DIR = Path(__file__).resolve().parent.parent / "graphiql"
# The name in /graphql/assets/<name> -> the file under graphiql/ it serves.
ASSETS = {
    "react.js": "node_modules/react/umd/react.production.min.js",
    "react-dom.js": "node_modules/react-dom/umd/react-dom.production.min.js",
    "graphiql.js": "node_modules/graphiql/graphiql.min.js",
    "graphiql.css": "node_modules/graphiql/graphiql.min.css",
    "explorer.js": "node_modules/@graphiql/plugin-explorer/dist/index.umd.js",
    "explorer.css": "node_modules/@graphiql/plugin-explorer/dist/style.css",
    "page.js": "page.js",
    "page.css": "page.css",
}
SCRIPTS = ("react.js", "react-dom.js", "graphiql.js", "explorer.js", "page.js")
STYLES = ("graphiql.css", "explorer.css", "page.css")
ASSET_ROUTE = "graphiql_asset"
log = logging.getLogger("clinova.graphiql")

# Fonts are data: URIs inside graphiql.css; the fetcher talks to this origin only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# Under nosniff the type must be right, whatever the host's mime.types says.
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

DASHBOARD_QUERY = """\
# The dashboard in one request: owners,
# their pets, each pet's records, and
# what each visit was billed. Run it with
# the play button or Ctrl-Enter; the
# Explorer builds queries by clicking.
query Dashboard {
  owners(first: 5) {
    totalCount
    nodes {
      firstName
      lastName
      lastVisit
      pets {
        name
        species
        medicalRecords {
          date
          title
          invoices {
            invoiceNumber
            totalAmount
            status
          }
        }
      }
    }
  }
}
"""
# What a developer fills in when the page carries no key.
HEADERS_TEMPLATE = '{\n  "Authorization": "Bearer "\n}'
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")


def missing_assets() -> list[str]:
    return [file for file in ASSETS.values() if not (GRAPHIQL_DIR / file).is_file()]


def warn_if_not_installed() -> None:
    # In the server's log too, for an operator who never opens the page.
    if missing_assets():
        log.warning(
            "GraphiQL's npm files are missing under %s: /graphql in a browser cannot "
            "load until `make install` (or `npm ci --prefix graphiql`) installs them",
            GRAPHIQL_DIR,
        )


def graphiql_page(request: Request) -> HTMLResponse:
    if missing_assets():
        return HTMLResponse(_NOT_INSTALLED, status_code=503, headers=_SECURITY_HEADERS)
    settings: Settings = request.app.state.db.settings
    key = servable_demo_key(settings) if _direct_loopback(request) else None
    config = {
        "query": DASHBOARD_QUERY,
        "headers": json.dumps({"Authorization": f"Bearer {key}"}, indent=2)
        if key
        else HEADERS_TEMPLATE,
        "openExplorer": key is not None,
    }

    def asset(name: str) -> str:
        return request.url_for(ASSET_ROUTE, name=name).path

    page = _PAGE.format(
        styles="".join(f'<link rel="stylesheet" href="{asset(n)}">' for n in STYLES),
        scripts="".join(f'<script src="{asset(n)}"></script>' for n in SCRIPTS),
        # A data block is never executed, so script-src stays 'self'; `<` is escaped
        # so no value can close the element.
        config=json.dumps(config).replace("<", "\\u003c"),
    )
    # The page may hold the demo key: no cache keeps a copy.
    return HTMLResponse(page, headers={**_SECURITY_HEADERS, "Cache-Control": "no-store"})


async def graphiql_asset(name: str) -> FileResponse:
    file = ASSETS.get(name)
    if file is None or not (GRAPHIQL_DIR / file).is_file():
        raise NotFound(f"no GraphiQL asset {name!r}")
    path = GRAPHIQL_DIR / file
    # Revalidated on each load: a `make install` of new versions shows at once.
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES[path.suffix],
        headers={**_SECURITY_HEADERS, "Cache-Control": "no-cache"},
    )


def _direct_loopback(request: Request) -> bool:
    """The browser is on this machine and talks to the server itself.

    A loopback client behind a proxy on this host is anyone the proxy serves, and a
    foreign Host name on a loopback connection is DNS rebinding: neither gets a key.
    """
    client = request.client
    return (
        client is not None
        and is_loopback(client.host)
        and is_loopback(request.url.hostname or "")  # the Host header's name
        and not any(name in request.headers for name in _PROXY_HEADERS)
    )


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ClinovaVet GraphiQL</title>
{styles}
</head>
<body>
<div id="graphiql">Loading GraphiQL...</div>
<script id="graphiql-config" type="application/json">{config}</script>
{scripts}
</body>
</html>
"""

_NOT_INSTALLED = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>GraphiQL is not installed</title></head>
<body>
<h1>GraphiQL's files are not installed on this server</h1>
<p>They come from npm at install time: run <code>make install</code> (it needs Node.js
and npm), or <code>npm ci --prefix graphiql</code>. The API itself works without them.</p>
</body>
</html>
"""
