# The two commands: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DIST_STAMP := $(VENV)/.dist-installed-stamp
# Every package's exact version, for the app, the checks and the bundle (refresh: make lock).
LOCK   := requirements/lock.txt
# Test processes: one more than the cores. The suite waits on programs it starts, on lock
# timeouts and on the PostgreSQL server; a third process keeps two cores busy meanwhile
# (on two cores: 547 s of pytest instead of 583 s).
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)

.PHONY: run test check lint typecheck imports pytest catalogues catalogues-update system-deps bench clean
.PHONY: bytecode
.PHONY: bundle dist dist-check lock
.PHONY: screenshots

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

catalogues: $(STAMP)
	@$(BIN)/python tools/compile_catalogues.py

# The app's modules byte-compiled ahead, as an installer leaves them: where Python writes no
# byte code of its own (PYTHONDONTWRITEBYTECODE, a read-only checkout), every start of the
# app or the CLI compiled ~150 modules again (0.2 s of each CLI call in the tests).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q src

# Extract the messages marked in src/ (babel.cfg), update the nl/fr/en catalogues, compile,
# and list what still needs translating.
catalogues-update: $(STAMP)
	@$(BIN)/python tools/update_catalogues.py

# Pin anew every package pyproject.toml asks for (all platforms, Python 3.11), after a change
# of its dependencies or to take newer releases; commit the lock file with the change.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra dist --universal --python-version 3.11 \
		--no-header --quiet -o $(LOCK)

system-deps:
	@sh tools/system-deps.sh

run: $(STAMP) catalogues bytecode
	$(BIN)/privacycrm

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

# The service and CLI tests run on SQLite and on a throw-away PostgreSQL server (issue 10).
pytest: $(STAMP) catalogues bytecode system-deps
	PRIVACYCRM_TEST_PG_ADMIN="$$(sh tools/pg-test-server.sh start)" && export PRIVACYCRM_TEST_PG_ADMIN && \
	port="$$(echo "$$PRIVACYCRM_TEST_PG_ADMIN" | sed 's|.*:\([0-9]*\)/postgres$$|\1|')" && \
	status=0 && QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile --no-loadscope-reorder --max-worker-restart=0 \
		|| status=$$?; \
	[ -n "$$PRIVACYCRM_TEST_PG_PORT" ] || sh tools/pg-test-server.sh stop "$$port"; exit $$status

test: lint typecheck imports pytest dist-check

# The quick loop while working: static checks and the SQLite half of the unit tests
# (no PostgreSQL server, no bundle, nothing marked slow): under a minute.
check: lint typecheck imports catalogues
	env -u PRIVACYCRM_TEST_PG_ADMIN QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder --max-worker-restart=0 \
		-q -p no:cacheprovider -m "not slow and not postgresql" tests/unit

# Packaging (installers/README.md): PyInstaller from the optional "dist" dependencies.
$(DIST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev,dist]'
	touch $(DIST_STAMP)

# The one-folder bundle dist/privacycrm/ with both executables (privacycrm, privacycrm-cli).
bundle: $(DIST_STAMP) system-deps
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		installers/privacycrm.spec

# The bundle, then the Linux tarball dist/privacycrm-VERSION-linux-ARCH.tar.gz.
dist: bundle
	@sh installers/linux/make-tarball.sh $(VERSION)

# The bundle's --self-test, its CLI, and install.sh/uninstall in a throw-away home (CI).
dist-check: bundle
	@sh installers/linux/check-bundle.sh $(VERSION)

# The user guide's pictures (docs/guide/img/<lang>/) from demo data, offscreen.
screenshots: $(STAMP) catalogues system-deps
	$(BIN)/python tools/screenshots.py

bench: $(STAMP) catalogues
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
