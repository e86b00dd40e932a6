# The README's two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

# plotly's smaller cartesian bundle (dashboard/plotly_bundle.py), tried once per .venv:
# without it (offline) the charts load the full plotly.js, a slower first screen.
$(VENV)/.plotly-bundle: | $(VENV)/.installed
	$(BIN)/python -m dashboard.plotly_bundle
	touch $@

run: $(VENV)/.installed $(VENV)/.plotly-bundle
	$(BIN)/streamlit run dashboard --server.port $(PORT)

test: $(VENV)/.installed-test $(VENV)/.plotly-bundle
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/engine_speed.py
	$(BIN)/python bench/diagnostics_speed.py
	$(BIN)/python bench/dashboard_speed.py
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) build *.egg-info
