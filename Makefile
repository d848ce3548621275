VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export CLINOVA_PORT ?= 8000
GRAPHIQL_ASSETS := graphiql/node_modules/.package-lock.json

.PHONY: install run test lint schema docs clean

install: $(VENV)/.installed $(GRAPHIQL_ASSETS)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

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

run: install
	$(BIN)/clinova migrate
	$(BIN)/clinova demo
	$(BIN)/clinova serve --port $(CLINOVA_PORT)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app graphql_schema rest_compat

schema: install
	$(BIN)/python -c 'from graphql_schema.schema import schema; print(schema.as_str())' > schema.graphql

docs: install
	$(BIN)/python -c 'import re, pathlib; from app.settings import settings_table; \
	  p = pathlib.Path("README.md"); \
	  p.write_text(re.sub(r"(<!-- settings:start -->\n).*?(\n<!-- settings:end -->)", \
	    lambda m: m.group(1) + settings_table() + m.group(2), p.read_text(), flags=re.S))'

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
