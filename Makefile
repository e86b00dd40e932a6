# The README's two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test bench clean

# A new venv's own pip and setuptools are whatever the Python came with (setuptools 65.5
# on 3.11, none on 3.12): pip is upgraded here, the build's setuptools comes from
# pyproject.toml (build isolation) and the tests' from the test extra.
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

# Every script the README's Measured table comes from (several minutes; the browser
# ones need Chromium). bench/wsproxy.py is a tool for browser_latency, not a benchmark.
BENCHES := engine_speed diagnostics_speed cells_speed attribution_speed \
           attribution_dashboard dashboard_speed cost_calibration soak browser_latency \
           first_screen

bench: $(VENV)/.installed-test $(VENV)/.plotly-bundle
	set -e; for b in $(BENCHES); do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py; done

clean:
	rm -rf $(VENV) build dist *.egg-info
