# critmin: two commands on a fresh Debian machine with Python 3.11.
#   make run   - the main job: Japan and Italy's critical-mineral exposure report, from the embedded data
#   make test  - the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all,test,dev]"
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	$(BIN)/critmin exposure --for JPN,ITA,JPN+ITA --out $(OUT)/jpn-ita-exposure.csv
	$(BIN)/critmin report --for JPN,ITA,JPN+ITA --out $(OUT)/jpn-ita-report.html --pdf $(OUT)/jpn-ita-report.pdf

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(VENV)/.test-deps
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: $(VENV)/.test-deps
	$(BIN)/python benchmarks/foundation.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
