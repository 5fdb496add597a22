# The README's two commands are `make run` and `make test`; the rest are helpers.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
RUN_PKGS := fonts-noto-cjk libharfbuzz-subset0
TEST_PKGS := chromium poppler-utils qpdf

.PHONY: run test setup system-deps test-system-deps venv db content fonts demo lint bench bench-quick bench-deps clean

run: setup
	@$(FLASK) lms demo
	@echo "服务地址：http://127.0.0.1:5000  （Ctrl+C 停止）"
	@# gunicorn with the production configuration, not `flask run`: Werkzeug's development server
	@# names itself and its Python version in a Server header that an app cannot remove.
	@GUNICORN_BIND=127.0.0.1:5000 GUNICORN_WORKERS=2 $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

test: setup test-system-deps
	$(BIN)/ruff check lms tests bench wsgi.py migrations/env.py
	$(BIN)/pytest $(PYTEST_ARGS)

setup: system-deps venv db content fonts

# Installs what the certificates need when missing and running as root; otherwise says how.
system-deps:
	@bash scripts/system-deps.sh $(RUN_PKGS)

test-system-deps:
	@bash scripts/system-deps.sh $(TEST_PKGS)

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

db: venv
	@mkdir -p instance
	$(BIN)/alembic upgrade head

content: db
	$(FLASK) lms content sync

# The certificates' pre-subset CJK fonts in instance/fonts (kept; rebuilt only when they change).
fonts: venv
	-@$(FLASK) lms certificates fonts

demo: content
	$(FLASK) lms demo

lint: venv
	$(BIN)/ruff check lms tests bench wsgi.py migrations/env.py

# One report: bench/RESULTS.md (full, ~15 min) or bench/out/RESULTS-quick.md (quick, a few minutes).
bench: setup bench-deps
	$(BIN)/python bench/run.py

bench-quick: setup bench-deps
	$(BIN)/python bench/run.py --quick

bench-deps:
	@bash scripts/system-deps.sh wrk

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
