# The two commands: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test check lint typecheck imports pytest catalogues catalogues-update system-deps bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

catalogues: $(STAMP)
	@$(BIN)/python tools/compile_catalogues.py

# Extract the messages marked in src/ (babel.cfg), update the nl/fr/en catalogues, compile,
# and list what still needs translating.
catalogues-update: $(STAMP)
	@$(BIN)/python tools/update_catalogues.py

system-deps:
	@sh tools/system-deps.sh

run: $(STAMP) catalogues
	$(BIN)/privacycrm

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP) catalogues system-deps
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

test: lint typecheck imports pytest

bench: $(STAMP) catalogues
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
