# MesChain — `make run` serves the demo, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# test processes in parallel (pytest-xdist); TEST_WORKERS=0 runs in this process
TEST_WORKERS ?= 2

.PHONY: install run test coverage lint migrate worker clean

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# compiled translations (locale/*/LC_MESSAGES/*.mo) are built here, not committed;
# compilemessages needs GNU gettext's msgfmt and skips catalogues already up to date
install: $(BIN)/.installed
	$(BIN)/python manage.py compilemessages --ignore=$(VENV) --verbosity=0

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py seed_demo
	@echo "MesChain: admin http://$(HOST):$(PORT)/admin/  API http://$(HOST):$(PORT)/api/docs/"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# the suite with coverage, then each app's share of covered lines (at least 90 %)
coverage: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --cov --cov-report= $(PYTEST_ARGS)
	$(BIN)/python .ci/coverage_by_app.py 90

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

worker: install
	$(BIN)/celery -A meschain worker --loglevel=INFO

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache htmlcov .coverage
