# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
# `make serve`: gunicorn on this address (behind a reverse proxy keep it on loopback; see docs/deploy.md).
BIND ?= 127.0.0.1:8000
export FLASK_APP := wellbeing

.PHONY: demo test install sysdeps serve translations clean security lint

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Debian packages the browser tests need (Debian's chromium, driven by Playwright's Python package).
sysdeps:
	@bash scripts/sysdeps.sh

demo: install
	$(BIN)/flask setup
	$(BIN)/flask demo seed --if-empty
	($(BIN)/flask cache warm >/dev/null 2>&1 &)  # released tables, in the background
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Production server: secrets and migrations (`flask setup`, idempotent), then gunicorn with the committed
# configuration wellbeing/gunicorn_conf.py (workers = CPUs, no survey lines or addresses in the logs).
serve: install
	$(BIN)/flask setup
	WELLBEING_BIND='$(BIND)' $(BIN)/gunicorn -c python:wellbeing.gunicorn_conf 'wellbeing:create_app()'

# The suite on every core (pytest-xdist, work stealing: an idle worker takes tests from a busy one; a
# module or session fixture may then be built once per worker). PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test: install sysdeps
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal

# Extract every interface string, merge into the kk and ru catalogues, compile the .mo files (committed,
# so a fresh clone needs no compile step). tests/test_i18n.py fails on any empty or fuzzy msgstr.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --no-wrap \
		-o wellbeing/translations/messages.pot .
	$(BIN)/pybabel update -i wellbeing/translations/messages.pot -d wellbeing/translations --no-fuzzy-matching --no-wrap \
		--ignore-obsolete
	$(BIN)/pybabel compile -d wellbeing/translations --statistics

# bandit (fails on medium+ findings not justified inline) and pip-audit (says so when it cannot run).
security: install
	bash scripts/security.sh

# ruff (lint + import order) and mypy on wellbeing/core, as CI runs them (configuration in pyproject.toml).
lint: install
	bash scripts/lint.sh

clean:
	rm -rf $(VENV) .pytest_cache
