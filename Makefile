# critmin: two commands on a fresh Debian machine with Python 3.11.
#   make run   - the main job: Japan and Italy's critical-mineral exposure report, from the embedded data
#   make test  - the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: run test lint bench clean pages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all,test,dev]"
	touch $@ $(VENV)/.run-deps

SEED   ?= ../shared/seed/seed-article.txt
DB     := $(OUT)/critmin.duckdb
# One analysis year for the whole run: empty = the latest year of trade data (exposure and report default to
# the same year); `make run YEAR=2023` passes the same year to both.
YEAR   ?=
YEAROPT = $(if $(YEAR),--year $(YEAR),)

# The main job uses its own store in $(OUT). When the seed news article is present it is read first, so the
# report also lists the events it reports (the January 2026 Japan-Italy agreement).
run: $(VENV)/.run-deps
	mkdir -p $(OUT)
	if [ -f "$(SEED)" ]; then $(BIN)/critmin --db $(DB) news ingest "$(SEED)" --published 2026-01-16; fi
	$(BIN)/critmin --db $(DB) exposure --for JPN,ITA,JPN+ITA $(YEAROPT) --out $(OUT)/jpn-ita-exposure.csv
	$(BIN)/critmin --db $(DB) report --for JPN,ITA,JPN+ITA $(YEAROPT) --out $(OUT)/jpn-ita-report.html --pdf $(OUT)/jpn-ita-report.pdf

# The briefing's PDF as PNG pages (out/pages/page-NN.png) to look at; needs pdftoppm (Debian poppler-utils).
pages: $(OUT)/jpn-ita-report.pdf
	mkdir -p $(OUT)/pages
	rm -f $(OUT)/pages/page-*.png
	pdftoppm -r 80 -png $(OUT)/jpn-ita-report.pdf $(OUT)/pages/page

$(OUT)/jpn-ita-report.pdf:
	$(MAKE) run

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(VENV)/.test-deps
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: $(VENV)/.test-deps
	$(BIN)/python benchmarks/foundation.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
