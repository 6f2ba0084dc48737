# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench check-browser fixture clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)  ## poll the bundled replay Hub, write the report, print where it is
	$(BIN)/lineupwatch demo

# Test files are spread over every core (pytest-xdist), a file per worker at a time: the slowest
# file, not the sum, bounds the wait. TEST_WORKERS=0 runs in one process (for pdb).
TEST_WORKERS ?= auto
test: $(STAMP)  ## the whole test suite, offline
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

bench: $(STAMP)  ## benchmarks: print the tables recorded in benchmarks/RESULTS.md (takes ~25 min)
	$(BIN)/python benchmarks/bench_poll.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_stream.py

fixture: $(STAMP)  ## rebuild the bundled Hub state from the facts CSVs
	$(BIN)/python scripts/build_hub_state.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache

# The demo writes its reports under demo-out/reports/; the newest week's page, its data page and the index are
# checked at 1280 and 390 px, light and dark, and in print; screenshots go to reports/screenshots/.
check-browser: $(STAMP)  ## open the demo's newest week, its data page and the index in headless Chromium at two widths, both colour schemes and print; fail on any problem
	test -x /usr/bin/chromium || { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO apt-get install -y chromium; }
	test -f demo-out/reports/index.html || $(BIN)/lineupwatch demo --out demo-out
	report="$$(ls demo-out/reports/*-W[0-9][0-9].html | sort | tail -n 1)"; \
		$(BIN)/python scripts/check_browser.py reports/screenshots "$$report" "$${report%.html}-data.html" \
		demo-out/reports/index.html
