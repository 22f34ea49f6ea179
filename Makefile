# Entry points: `make sandbox` and `make test`. See README.md.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Stamps make the installs rerun only when their inputs change.
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# One pytest worker more than there are cores: a third of the suite's time is spent waiting
# for other processes (anvil, sandboxes, Chromium, PostgreSQL, uvicorn), which an extra worker
# fills (on 2 cores, 3 workers: 18.3 -> 17.3 minutes on an idle machine; the rest is the tail of
# long browser and fault tests).
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
# Whole files to each worker, longest first (tests/conftest.py, tests/file_seconds.json): a
# file's fixtures are set up once, and no long file is left to run alone at the end
# (xdist's own reordering, by number of tests, is turned off).
PYTEST_ARGS ?= -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=20
# `make lock LOCK_ARGS=--upgrade` moves every pin to the newest release.
LOCK_ARGS ?=

.PHONY: help .venv node_modules setup compile compile-check vendor-web verifier-html sort-i18n lint format test test-faults sandbox host bench lock npm-lock clean

help:
	@echo "make sandbox      install everything, start the local demo at http://127.0.0.1:8000"
	@echo "make host         the hosted platform locally (poc host --local): workspaces for SMEs, operator console"
	@echo "make test         install everything, lint, run the whole test suite"
	@echo "make setup        .venv (requirements.lock) and node_modules (package-lock.json)"
	@echo "make compile      recompile contracts/ into ledger/artifacts/ (mocks: tests/contracts/artifacts/)"
	@echo "make lint         ruff check, ruff format --check, mypy, import layering"
	@echo "make format       ruff format + ruff check --fix"
	@echo "make test-faults  only the fault-injection tests"
	@echo "make bench        run the benchmarks in scripts/bench_*.py"
	@echo "make lock         regenerate requirements.lock from pyproject.toml (PyPI only)"
	@echo "make npm-lock     regenerate package-lock.json from package.json"
	@echo "make vendor-web   copy the pages' JS libraries from node_modules to api/web/static/vendor"
	@echo "make sort-i18n    sort api/web/i18n.json by key (a test insists)"
	@echo "make verifier-html  rebuild ledger/evidence/verifier.html (the packs' HTML verifier)"

# pip -qq: the machine-wide pip config names local mirrors that lack most packages and pip
# warns about each of them; errors still print.
# The editable install also compiles the credit flow's loops (hatch_build.py, with Cython and
# the machine's C compiler); without a compiler they run in Python, slower, and this says so.
# POC_REQUIRE_COMPILED=1 makes a failed compile an error (CI sets it).
$(VENV_STAMP): requirements.lock pyproject.toml hatch_build.py ledger/scoring/_walk.pyx
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "need Python >= 3.11 as $(PYTHON)" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq -r requirements.lock
	$(PY) -m pip install -qq --no-deps -e .
	@$(PY) -c 'import ledger.scoring._walk' 2>/dev/null \
		|| echo "warning: ledger/scoring/_walk.pyx is not compiled (no C compiler?): scores with parent shares run slower" >&2
	touch $@

# npm ci wipes node_modules, so the stamp is written after it.
$(NODE_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	node_modules/.bin/anvil --version >/dev/null
	touch $@

.venv: $(VENV_STAMP)
node_modules: $(NODE_STAMP)
setup: .venv node_modules

compile: setup
	$(PY) scripts/compile_contracts.py

compile-check: setup
	$(PY) scripts/compile_contracts.py --check

# The pages import their libraries from api/web/static/vendor (no bundler; CSP script-src 'self').
# Run after changing a browser package's pin in package.json; a test compares the copy.
vendor-web: setup
	$(PY) scripts/vendor_web.py

# Sorted keys: parallel additions to the one translation table merge cleanly.
# The single-file verifier of the evidence packs: its script and libraries bundled by esbuild
# (pinned in package.json); a test compares the committed page with a fresh build.
verifier-html: setup
	$(PY) scripts/build_verifier_html.py

sort-i18n: $(VENV_STAMP)
	$(PY) scripts/sort_i18n.py

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: setup lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-faults: setup
	$(VENV)/bin/pytest -m faults $(PYTEST_ARGS)

sandbox: setup
	$(VENV)/bin/poc sandbox

host: setup
	$(VENV)/bin/poc host --local

bench: setup
	@if [ -f scripts/bench_all.py ]; then \
		$(PY) scripts/bench_all.py; \
	else \
		shopt -s nullglob; benches=(scripts/bench_*.py); \
		[ $${#benches[@]} -gt 0 ] || { echo "no scripts/bench_*.py yet" >&2; exit 1; }; \
		for bench in "$${benches[@]}"; do echo "== $$bench"; $(PY) "$$bench"; done; \
	fi

# Resolved against PyPI alone: the machine-wide pip config adds local mirrors and find-links
# that a fresh machine may not have.
lock: | $(VENV_STAMP)
	env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
		$(VENV)/bin/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe \
		--strip-extras --index-url https://pypi.org/simple --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock $(LOCK_ARGS) pyproject.toml

# The registry lacks anvil's non-linux-x64 binaries at the pinned version; the fix-up adds
# lock stubs for them so that `npm ci` accepts the lock (see scripts/fix_npm_lock.py).
npm-lock:
	npm install --package-lock-only --no-audit --no-fund
	$(PYTHON) scripts/fix_npm_lock.py

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
