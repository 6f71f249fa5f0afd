# `make demo` and `make test` each set themselves up on a fresh Debian machine. On a server: `make install`, then
# `make serve` or the systemd units of deploy/ (docs/operations.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APP_STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test
# What the application needs on any machine, demo or production …
# Fonts: Noto CJK (and the GB 2312 cut made from it), then the fallback chain of admission/documents/fonts.py: Noto Sans
# Mongolian (fonts-noto-core), HanaMinB for CJK Extensions B–F (fonts-hanazono), BabelStone Han for Extension G.
APT_PACKAGES := python3-venv fonts-noto-cjk fonts-noto-core fonts-hanazono fonts-babelstone-han libharfbuzz-subset0 gettext
# … and what only the tests need: Chromium (browser tests), poppler (reading PDFs), nginx and openssl (the TLS proxy
# test). Installing nginx for the tests does not leave it running as a service.
TEST_APT_PACKAGES := chromium poppler-utils nginx openssl
# pg_dump/pg_restore for manage.py backup/restore (the server's version: PostgreSQL 15 on Debian 12)
APT_PACKAGES += postgresql-client-15
HOST ?= 127.0.0.1
PORT ?= 8000
# The address users type when it is not http://HOST:PORT (e.g. HOST=0.0.0.0 behind a name); printed on documents.
PUBLIC_URL ?=

.PHONY: demo demo-settings test install serve system-packages test-packages app-venv venv messages fonts lint e2e bench \
	bench-load bench-scale bench-venv clean-demo worker scheduler lock

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	  if [[ " $$missing " == *" nginx "* ]] && [ -d /run/systemd/system ]; then $$SUDO systemctl disable --now nginx; fi; \
	fi
endef

system-packages:
	$(call apt_install,$(APT_PACKAGES))

test-packages: system-packages
	$(call apt_install,$(TEST_APT_PACKAGES))

# Python packages come from the lock files of requirements/ (every package, dependencies included, pinned with the
# SHA-256 of its files: pip refuses anything else), then the project itself without dependencies. `make lock` writes
# them from pyproject.toml; tests/test_requirements.py fails when the two disagree.
define pip_install_locked
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r $(1)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
endef

# The application alone (production, demo) …
$(APP_STAMP): pyproject.toml requirements/app.txt
	$(call pip_install_locked,requirements/app.txt)
	touch $(APP_STAMP)

# … and with the test and lint tools (CI runs both).
$(TEST_STAMP): pyproject.toml requirements/test.txt
	$(call pip_install_locked,requirements/test.txt)
	touch $(APP_STAMP) $(TEST_STAMP)

app-venv: $(APP_STAMP)

venv: $(TEST_STAMP)

# ruff (lint, then format check) and mypy; all three run, and the target fails if any of them does.
lint: $(TEST_STAMP)
	@status=0; \
	echo "ruff check"; $(VENV)/bin/ruff check . || status=1; \
	echo "ruff format --check"; $(VENV)/bin/ruff format --check . || status=1; \
	echo "mypy"; $(VENV)/bin/mypy || status=1; \
	exit $$status


# The demo's settings go to var/demo.env (DJANGO_DEBUG=1, a SECRET_KEY made once, ADMISSION_PUBLIC_URL from HOST and
# PORT, ADMISSION_VAR_DIR), which manage.py reads: every command of the README then runs as written in this checkout.
demo: system-packages app-venv demo-settings fonts messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

demo-settings: app-venv
	$(PY) -m config.envfile demo --host '$(HOST)' --port '$(PORT)' --public-url '$(PUBLIC_URL)'

test: test-packages venv messages fonts
	$(PY) -m pytest $(PYTEST_ARGS)

# Production: Debian packages, the virtualenv without test tools, the English catalogue and the cut fonts. Write
# /etc/admission/admission.env first (deploy/admission.env.example): the fonts go to its ADMISSION_VAR_DIR.
install: system-packages app-venv messages fonts
	@echo "已安装。下一步（docs/operations.md）：sudo -u admission $(PY) manage.py migrate，collectstatic，启动服务。"

# The production stack on this machine, in the foreground (Ctrl-C stops it all; when one process ends, the others
# are stopped). Settings: the environment, then /etc/admission/admission.env or var/demo.env (config/envfile.py).
# One process a line of SERVE_PROCESSES; deploy/systemd/ has a unit for each.
# With a broker (CELERY_BROKER_URL, from the environment or the settings file) the worker and the scheduler join.
WEB_COMMAND := $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py config.wsgi:application
serve: app-venv
	@broker=$$(DJANGO_SETTINGS_MODULE=config.settings $(PY) -c \
	  'import django; django.setup(); from django.conf import settings; print(settings.CELERY_BROKER_URL)'); \
	if [ -n "$$broker" ]; then deploy/serve "$(WEB_COMMAND)" "$(WORKER_COMMAND)" "$(SCHEDULER_COMMAND)"; \
	else echo "serve: no CELERY_BROKER_URL: tasks run inside the web processes (docs/operations.md, 第 9 节)" >&2; \
	  deploy/serve "$(WEB_COMMAND)"; fi

messages: app-venv
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages -l en -l zh_Hans --ignore=.venv --ignore=var >/dev/null

# Once per checkout (about a minute, with progress; kept in var/fonts): the document fonts cut to GB 2312.
fonts: system-packages app-venv
	DJANGO_DEBUG=1 $(PY) manage.py prepare_fonts

e2e: test-packages venv
	$(PY) -m pytest -m e2e $(PYTEST_ARGS)

bench: test-packages venv fonts
	$(PY) bench/documents.py

# The load benchmark (docs/benchmarks.md): the production stack (gunicorn, Celery worker and beat) on PostgreSQL at
# 127.0.0.1:5432 (user postgres) and Redis at 127.0.0.1:6379, both running, driven by locust on loopback; it creates
# and drops its own database (admission_load). E.g. `make bench-load BENCH_ARGS="--users 20 --run-time 60"`.
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(APP_STAMP) pyproject.toml requirements/bench.txt
	$(call pip_install_locked,requirements/bench.txt)
	touch $(BENCH_STAMP)

bench-venv: $(BENCH_STAMP)

bench-load: system-packages fonts bench-venv
	$(PY) bench/load.py $(BENCH_ARGS)

# The scale benchmark (issue 15, docs/benchmarks.md "Scale"): S, M and L banners on PostgreSQL (its own database,
# admission_scale, created and dropped), pages per scale and completions per second. E.g. BENCH_ARGS="--scales S,M".
bench-scale: fonts
	$(PY) bench/scale.py $(BENCH_ARGS)

# The task engine (Celery on Redis): set CELERY_BROKER_URL (redis://127.0.0.1:6379/0) for these and for the web
# processes alike. Workers render documents and send notices; run as many as needed, on as many machines. The
# scheduler (Celery beat) runs the daily reminders and the healing sweep: exactly one in the whole installation.
# Without a broker neither is needed: tasks run in the web process. deploy/systemd/ has a unit for each.
WORKER_COMMAND := $(VENV)/bin/celery -A config worker --loglevel INFO
SCHEDULER_COMMAND := $(VENV)/bin/celery -A config beat --loglevel INFO

worker: app-venv
	$(WORKER_COMMAND)

scheduler: app-venv
	$(SCHEDULER_COMMAND)

clean-demo:
	rm -rf var

# The lock files, after a change of pyproject.toml (needs the package index; a minute or two each). Each builds on the
# one before as a constraint, so a package has one version in all three. pip-tools runs in a virtualenv of its own.
LOCK_VENV := .venv-lock
PIP_COMPILE = $(LOCK_VENV)/bin/pip-compile -q --allow-unsafe --generate-hashes --no-emit-index-url --no-emit-find-links \
	--strip-extras --build-deps-for editable pyproject.toml
lock:
	test -d $(LOCK_VENV) || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install -q pip-tools==7.6.2
	@echo "requirements/app.txt (1/3)"
	$(PIP_COMPILE) --output-file=requirements/app.txt
	@echo "requirements/test.txt (2/3)"
	$(PIP_COMPILE) --extra test --extra lint -c requirements/app.txt --output-file=requirements/test.txt
	@echo "requirements/bench.txt (3/3)"
	$(PIP_COMPILE) --extra bench -c requirements/test.txt --output-file=requirements/bench.txt
