# Two commands for a newcomer: `make run` and `make test`. Both create .venv and install the project first.
PYTHON ?= python3
VENV ?= .venv
STAMP := $(VENV)/.installed-stamp
# `make run PORT=8101 HOST=0.0.0.0` serves elsewhere than 127.0.0.1:8000.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "qiaobot needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev,embeddings]'
	@touch $(STAMP)

## Run the service on embedded defaults (SQLite, embedded Redis, fake WeChat + simulator) on $(HOST):$(PORT).
run: $(STAMP)
	$(VENV)/bin/qiaobot serve --host $(HOST) --port $(PORT)

## The whole suite: embedded defaults, then the storage tests again on PostgreSQL + Redis if they answer.
test: $(STAMP)
	VENV=$(VENV) scripts/test.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/python bench/webhook.py
	$(VENV)/bin/python bench/faq.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
