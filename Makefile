VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export CLINOVA_PORT ?= 8000
GRAPHIQL_ASSETS := graphiql/node_modules/.package-lock.json

LOCK_EXPORT := $(BIN)/uv export --frozen --no-emit-project --quiet

.PHONY: install install-runtime run test lint lock schema docs clean

# Installs come from the lock (uv.lock, exported with hashes to requirements/):
# serving needs requirements/runtime.txt alone, tests and tools requirements/dev.txt.
install: $(VENV)/.installed-dev $(GRAPHIQL_ASSETS)
install-runtime: $(VENV)/.installed-runtime $(GRAPHIQL_ASSETS)

$(VENV)/.installed-runtime: requirements/runtime.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/runtime.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt $(VENV)/.installed-runtime
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@

# After changing dependencies in pyproject.toml: resolve, lock and export again.
# tests/test_lock.py fails while pyproject.toml, uv.lock and requirements/ disagree.
lock: $(VENV)/.installed-dev
	$(BIN)/uv lock
	$(LOCK_EXPORT) --no-dev -o requirements/runtime.txt
	$(LOCK_EXPORT) --extra dev -o requirements/dev.txt

# GraphiQL's browser files, served by the service itself: exact versions, each
# tarball's integrity checked against graphiql/package-lock.json. Without npm the
# API still serves, and GraphiQL's page says what is missing.
$(GRAPHIQL_ASSETS): graphiql/package.json graphiql/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix graphiql --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else \
	  echo "*** npm not found: GraphiQL at /graphql cannot load (the API works)." >&2; \
	  echo "*** Install Node.js and npm, then run 'make install' again." >&2; \
	fi

run: install-runtime
	$(BIN)/clinova migrate
	$(BIN)/clinova demo
	$(BIN)/clinova serve --port $(CLINOVA_PORT)

# Two workers (pytest-xdist): most of the suite waits on servers, subprocesses and
# the databases, so the two cores overlap it; each worker has its own databases.
test: install
	$(BIN)/pytest -n 2

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app graphql_schema rest_compat
	$(BIN)/lint-imports

schema: install
	$(BIN)/python -c 'from graphql_schema.schema import schema; print(schema.as_str())' > schema.graphql

docs: install
	$(BIN)/python -c 'import re, pathlib; from app.settings import settings_table; \
	  p = pathlib.Path("README.md"); \
	  p.write_text(re.sub(r"(<!-- settings:start -->\n).*?(\n<!-- settings:end -->)", \
	    lambda m: m.group(1) + settings_table() + m.group(2), p.read_text(), flags=re.S))'

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
