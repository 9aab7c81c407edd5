# isamm — two commands: `make demo` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all install bench bench-trial clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/isamm demo --output-dir demo_output

test: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q

test-all: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -m ''

bench: $(STAMP)
	$(BIN)/python benchmarks/pk_engine.py

bench-trial: $(STAMP)
	$(BIN)/python benchmarks/trial.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache
