# Two commands: `make demo` and `make test`. Each sets itself up on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
APT_PACKAGES := python3-venv fonts-noto-cjk libharfbuzz-subset0 poppler-utils chromium gettext
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test system-packages venv messages fonts lint e2e bench clean-demo

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

LINT_STAMP := $(VENV)/.installed-lint

$(LINT_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install -q -e '.[test,lint]'
	touch $(LINT_STAMP)

# ruff (lint, then format check) and mypy; all three run, and the target fails if any of them does.
lint: $(LINT_STAMP)
	@status=0; \
	echo "ruff check"; $(VENV)/bin/ruff check . || status=1; \
	echo "ruff format --check"; $(VENV)/bin/ruff format --check . || status=1; \
	echo "mypy"; $(VENV)/bin/mypy || status=1; \
	exit $$status

demo: system-packages venv fonts
	mkdir -p var
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	$(MAKE) messages
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: system-packages venv messages fonts
	$(PY) -m pytest $(PYTEST_ARGS)

messages: venv
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages -l en --ignore=.venv --ignore=var >/dev/null

# Once per checkout (about a minute; kept in var/fonts): the document fonts cut to GB 2312, for faster renders.
fonts: system-packages venv
	DJANGO_DEBUG=1 $(PY) manage.py prepare_fonts

e2e: system-packages venv
	$(PY) -m pytest -m e2e $(PYTEST_ARGS)

bench: system-packages venv fonts
	$(PY) bench/documents.py

clean-demo:
	rm -rf var
