# Two commands do all set-up on a fresh machine with Python 3.11:
#   make run   -> venv, install, migrate, initial_setup, task worker, periodic jobs + ASGI server on :8000 (SQLite)
#   make test  -> venv if needed, then the test suite
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= argus.site.settings.dev

.PHONY: run test venv migrate lint format clean

$(VENV)/.installed: pyproject.toml requirements/base.txt requirements/dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

# The three processes of `make run` are one host for /metrics (prometheus_client's multiprocess mode).
METRICS_DIR ?= .run/metrics

run: migrate
	$(PY) manage.py initial_setup
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Argus on http://$(HOST):$(PORT)/  (web UI; admin: /admin/; API: /api/, /api/schema/swagger-ui/)"
	@$(PY) -c "from django.conf import settings; import django; django.setup(); print('Notifications are ' + ('ON' if settings.SEND_NOTIFICATIONS else 'OFF (dev settings): to get mails, run  .venv/bin/python -m aiosmtpd -n -l 127.0.0.1:1025  and  ARGUS_SEND_NOTIFICATIONS=true EMAIL_HOST=127.0.0.1 EMAIL_PORT=1025 make run'))"
	rm -rf $(METRICS_DIR) && mkdir -p $(METRICS_DIR)
	export PROMETHEUS_MULTIPROC_DIR=$(abspath $(METRICS_DIR)); \
	$(PY) manage.py run_task_worker & WORKER=$$!; \
	$(PY) manage.py run_periodic_jobs & PERIODIC=$$!; \
	trap "kill $$WORKER $$PERIODIC 2>/dev/null" EXIT INT TERM; \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) argus.site.asgi:application

test: venv
	DJANGO_SETTINGS_MODULE=argus.site.settings.test $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

format: venv
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) staticfiles argus.sqlite3* .run
