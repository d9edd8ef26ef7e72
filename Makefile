# segprof: `make demo` runs the pipeline on the bundled CDNOW data; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= segprof.yaml
CUSTOMERS ?= 100000
SEED ?= 42

.PHONY: setup demo test test-slow test-all mutate dev synthetic validate clean browser bench bench-50m

setup: $(STAMP)

# Reinstalls only when the dependency files change; safe to run again.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/segprof run --config $(CONFIG)

validate: $(STAMP)
	$(BIN)/segprof validate --config $(CONFIG)

test: $(STAMP) browser
	$(BIN)/pytest -m "not slow" -q

test-slow: $(STAMP) browser
	$(BIN)/pytest -m slow -q

test-all: $(STAMP) browser
	$(BIN)/pytest -q

# Deliberate mistakes in the profit and CLV SQL and in models/, one at a time, each against the fast
# tests that cover it (tests/mutation/mutate.py); prints the mutation score. Not part of make test.
mutate: $(STAMP)
	$(BIN)/python tests/mutation/mutate.py

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "The browser tests need Chromium: sudo apt-get install chromium chromium-driver" >&2; exit 1; fi; }

synthetic: $(STAMP)
	$(BIN)/segprof generate --customers $(CUSTOMERS) --seed $(SEED) --out data/synthetic
	$(BIN)/segprof run --config configs/synthetic.yaml

# Benchmark against the plain lifetimes + pandas way; writes bench/results.md (not part of make test).
bench: $(STAMP)
	$(BIN)/python bench/run.py --sizes 1000000 10000000

bench-50m: $(STAMP)
	$(BIN)/python bench/run.py --sizes 1000000 10000000 50000000

# The Dagster UI on http://localhost:3000, with the runs of `segprof run` and `make demo`: all kept in .dagster/
dev: $(STAMP)
	$(BIN)/python -c 'from pipelines.orchestration.instance import dagster_home; dagster_home("$(CONFIG)")'
	DAGSTER_HOME=$(CURDIR)/.dagster SEGPROF_CONFIG=$(CONFIG) $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf out configs/out warehouse data scorecards bench/data .dagster .pytest_cache
