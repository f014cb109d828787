# Two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
GISAPP := $(VENV)/bin/gisapp
TEST_DB ?= gisapp_test

.PHONY: run test lint stop setup system python node assets db bench clean-db help

help:
	@echo "make run   - set up everything, start the embedded PostGIS, load the demo county, serve :5000"
	@echo "make test  - set up everything and run the whole test suite against a real PostGIS"
	@echo "make lint  - ruff (lint, import order, format) and mypy on the pure layers"
	@echo "make stop  - stop the embedded PostGIS"

run: setup db
	$(GISAPP) demo load --if-empty
	@# the supervision worker (督办) and the demo county's simulation run beside the app and stop with it; the worker
	@# escalates overdue level-1 events to the county center unless GISAPP_ESCALATE_OVERDUE=0
	$(GISAPP) supervise --interval 60 & pid=$$!; $(GISAPP) demo simulate & sim=$$!; trap "kill $$pid $$sim 2>/dev/null" EXIT INT TERM; $(GISAPP) serve

test: setup
	@if [ -z "$$TEST_DATABASE_URL" ] && [ -z "$$DATABASE_URL" ]; then $(GISAPP) db start; fi
	$(PY) -m pytest $(PYTEST_ARGS)

lint: system python
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

stop:
	@if [ -x $(GISAPP) ]; then $(GISAPP) db stop; fi

setup: system python node assets

# System packages: PostgreSQL + PostGIS 3, venv, Node.js, chromium, GDAL's tools, a CJK font; only the missing ones,
# installed with apt when run as root (a machine's own Node.js, e.g. NodeSource's, conflicts with Debian's npm)
system:
	@pkgs=""; \
	if [ -z "$$DATABASE_URL" ]; then \
	  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || pkgs="$$pkgs postgresql postgresql-contrib postgresql-postgis"; fi; \
	command -v npm >/dev/null || pkgs="$$pkgs nodejs npm"; \
	command -v chromium >/dev/null || pkgs="$$pkgs chromium"; \
	command -v chromedriver >/dev/null || pkgs="$$pkgs chromium-driver"; \
	command -v ogrinfo >/dev/null || pkgs="$$pkgs gdal-bin"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || pkgs="$$pkgs fonts-wqy-zenhei"; \
	python3 -c 'import ensurepip, venv' 2>/dev/null || pkgs="$$pkgs python3-venv"; \
	if [ -n "$$pkgs" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$pkgs"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$pkgs; \
	  else \
	    echo "missing system packages:$$pkgs. As root run: apt-get install$$pkgs"; exit 1; \
	  fi; \
	fi

python: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

node: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: python node
	$(GISAPP) assets build

db: setup
	$(GISAPP) db start
	$(GISAPP) db upgrade

bench: setup db
	$(PY) -m bench.run

clean-db: stop
	rm -rf var/pg
