# The few commands a newcomer needs. `make run` starts the product, `make test` runs every test.
# Both create the virtualenv, install requirements-dev.txt (the runtime set of requirements.txt, which is all the
# Docker image installs, plus tests and tooling) and start PostgreSQL/Redis themselves when
# DATABASE_URL/REDIS_URL are unset (embedded servers, data under .data/; see README).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYENV_ROOT ?= $(HOME)/.pyenv

# Django 6 needs Python >= 3.12. Candidates in order; each is probed by running it (pyenv shims may refuse).
PYTHON_CANDIDATES := $(PYTHON) python3.13 python3.12 \
	$(sort $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python $(PYENV_ROOT)/versions/3.12*/bin/python)) \
	$(sort $(wildcard /root/.pyenv/versions/3.13*/bin/python /root/.pyenv/versions/3.12*/bin/python)) python3
find_python = $(firstword $(foreach c,$(PYTHON_CANDIDATES),$(shell command -v $(c) >/dev/null 2>&1 && \
	$(c) -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && echo $(c))))

.PHONY: run test test-quick install lint format bench bench-quick clean-data

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@py="$(call find_python)"; \
	if [ -z "$$py" ]; then \
		echo "error: no Python >= 3.12 found (tried: $(PYTHON_CANDIDATES)). Install Python 3.12+ or set PYTHON=/path/to/python3.12." >&2; \
		exit 1; \
	fi; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		rm -rf $(VENV) && echo "creating $(VENV) with $$py" && "$$py" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2>&1 | grep -v "is ignored" || true
	@$(PY) -c 'import django, django_tenants' && touch $@

run: install
	$(PY) -m erp.localservices run-stack

# `make test` runs every test (as CI does); `make test-quick` leaves out the slow kinds (browser, fleet, PgBouncer,
# edge, Celery workers, embedded servers, the attack and fuzz runs: markers in pyproject.toml). Each file runs on one
# worker (--dist loadfile), so a module's expensive fixture (a Celery worker, a test server) starts once.
# --ds: the launcher imports erp (its Celery app sets DJANGO_SETTINGS_MODULE=erp.settings), which would win over
# pyproject's test settings in the environment it hands pytest.
PYTEST := $(PY) -m erp.localservices exec -- $(PY) -m pytest --ds=erp.settings_test -n $${TEST_WORKERS:-2} --dist loadfile

test: install
	$(PYTEST) $(PYTEST_ARGS)

test-quick: install
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

# Every benchmark end to end at a small size, each printing its figures: proves they run (CI runs it after the tests
# so none can rot), not a measurement. Figures come from the full sizes on a quiet machine (README, Benchmarks).
bench: install
	$(PY) -m erp.localservices exec -- $(MAKE) --no-print-directory bench-quick

bench-quick:
	$(PY) bench/stock_moves.py --seconds 1 --items 20 --writers 1,2
	$(PY) bench/mixed_load.py --seconds 3 --clients 4 --items 5
	$(PY) bench/bom_explosion.py --fanout 2 --runs 3 --naive-runs 1
	$(PY) bench/mrp.py --items 200 --check-items 100 --horizon 60 --runs 1
	$(PY) bench/provision.py --present 3 --new 2
	$(PY) bench/fleet_migrate.py --tenants 12 --rounds 1 --requests 50
	$(PY) bench/routing.py --seconds 1 --rounds 1
	$(PY) bench/overhead.py --seconds 1 --rounds 1
	$(PY) bench/noisy_neighbour.py --seconds 1 --rounds 1
	$(PY) bench/auth_flood.py --seconds 1 --rounds 1
	$(PY) bench/request_cost.py --requests 5 --rounds 1
	$(PY) bench/document_lines.py --lines 50 --runs 1
	$(PY) bench/trace.py --lots 200 --moves 1000 --runs 3
	$(PY) bench/custom_fields.py --items 2000 --runs 3
	$(PY) bench/fault_drill.py --tenants 3
	$(PY) bench/pages.py --items 200 --moves 1000 --requests 2
	$(PY) bench/catalog.py --tenants 3 --touch 2
	$(PY) bench/tenant_move.py --moves 2000 --clients 2
	$(PY) bench/cells.py --tenants 2 --requests 20 --rounds 1

format: install
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

# This checkout's data only: its embedded PostgreSQL (/var/lib/erp-embedded/<checkout id>/ as root), .data/ and its
# test databases; other clones on the machine keep theirs.
clean-data:
	@if [ -x $(PY) ]; then $(PY) -m erp.localservices clean; else rm -rf .data; fi
