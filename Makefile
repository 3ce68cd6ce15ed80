# Lianxin developer and operator entry points. `make demo` and `make test` are the README quick start.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: install messages demo test test-sqlite test-postgres check lint clean bench

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

messages: install
	$(BIN)/lianxin compilemessages --ignore='.venv' --ignore='node_modules' -v 0

# Serve the app on SQLite (WAL) in ./data with the demo city loaded; prints the demo logins.
demo: messages
	$(BIN)/lianxin migrate --noinput -v 0
	$(BIN)/lianxin seed --scale demo
	$(BIN)/lianxin runserver $(HOST):$(PORT)

# The whole suite on SQLite; then on PostgreSQL when DATABASE_URL is set (see .ci/run).
test: messages
	./scripts/os-deps.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: messages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/lianxin makemigrations --check --dry-run
	LIANXIN_SECRET_KEY=$$(python3 -c 'import secrets;print(secrets.token_urlsafe(64))') DATABASE_URL=sqlite:///tmp/x.db \
		LIANXIN_FIELD_KEYS=k1:$$(python3 -c 'import base64,secrets;print(base64.b64encode(secrets.token_bytes(32)).decode())') \
		LIANXIN_LOOKUP_KEY=$$(python3 -c 'import base64,secrets;print(base64.b64encode(secrets.token_bytes(32)).decode())') \
		DJANGO_SETTINGS_MODULE=config.settings.prod $(BIN)/lianxin check --deploy --fail-level WARNING

# The benchmark suite (issue 11, docs/performance.md): every scenario against its floor in the same run,
# on SQLite and PostgreSQL (127.0.0.1:5432); prints the table, writes test-artifacts/bench-all.json.
# Full sizes take about two hours on a 2-core machine; `make bench BENCH_ARGS=--quick` takes minutes.
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m bench.run_all $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles test-artifacts
