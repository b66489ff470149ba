# The two commands of the README: `make demo` and `make test`. Both install what they need.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

CHROMIUM ?= /usr/bin/chromium
APT_ENV := DEBIAN_FRONTEND=noninteractive

.PHONY: demo test lint install browser

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/bigsync demo

# Debian's Chromium, which the browser tests (tests/browser) drive through Playwright; no
# browser is ever downloaded. Nothing to do when it is there. Otherwise apt installs it when
# apt can be used here (root, or sudo without a password), running `apt-get update` only if
# the install fails on a stale package list. Where it cannot be installed the browser tests
# skip with the reason, except under CI=true, where this target (and they) fail.
browser:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else sudo=none; fi; \
	if ! command -v apt-get >/dev/null 2>&1 || [ "$$sudo" = none ]; then \
		echo "make browser: $(CHROMIUM) is missing and apt-get cannot be used here;" \
			"install Debian's chromium package (browser tests skip without it)"; \
		[ "$$CI" != true ] || exit 1; exit 0; \
	fi; \
	echo "make browser: installing Debian's chromium"; \
	$$sudo env $(APT_ENV) apt-get install -y -qq --no-install-recommends chromium \
	|| { $$sudo env $(APT_ENV) apt-get update -qq \
		&& $$sudo env $(APT_ENV) apt-get install -y -qq --no-install-recommends chromium; } \
	|| { echo "make browser: could not install chromium"; [ "$$CI" != true ] || exit 1; }

# Coverage of the pure modules has a floor (pyproject.toml, [tool.coverage.report]); the
# slowest tests are listed at the end, to keep the suite short. Two workers (pytest-xdist),
# each test file on one of them (its module-scoped servers and browser built once).
test: $(BIN)/.installed browser
	$(BIN)/pytest -n 2 --dist loadfile --cov --cov-report=term --durations=25

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

