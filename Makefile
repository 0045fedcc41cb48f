PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test system-deps bench bench-autogluon bench-statsforecast clean

# Each stamp depends on pyproject.toml, so a second run installs nothing
# unless the dependencies changed.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(STAMP)
	$(BIN)/bizforge demo

test: $(DEVSTAMP) system-deps
	$(BIN)/python -m pytest --durations=25

# The registry tests start a real PostgreSQL (initdb in a temp folder), and the console's
# browser tests drive Debian's chromium (with a CJK font for readable screenshots), so
# those must be here. Installed quietly when root and missing; without root those tests
# skip with the reason (under CI=true they fail instead).
system-deps:
	@missing=""; \
	if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  missing="$$missing postgresql"; \
	fi; \
	if ! command -v chromium >/dev/null 2>&1; then missing="$$missing chromium"; fi; \
	if ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then \
	  missing="$$missing fonts-wqy-microhei"; \
	fi; \
	if [ -z "$$missing" ]; then \
	  :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's$$missing for the registry and browser tests"; \
	  apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $$missing >/dev/null; \
	else \
	  echo "missing$$missing and not root: the PostgreSQL / browser tests will skip"; \
	fi

bench: $(STAMP) bench-autogluon
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/tabular.py

# AutoGluon pins its own pandas/scikit-learn, so it lives in a venv of its own;
# bench/tabular.py runs it in a subprocess on the same files and time limit.
bench-autogluon: .venv-autogluon/.installed
.venv-autogluon/.installed:
	$(PYTHON) -m venv .venv-autogluon
	.venv-autogluon/bin/pip install --quiet torch==2.13.0
	.venv-autogluon/bin/pip install --quiet torch==2.13.0 "autogluon.tabular[all]>=1.6"
	touch $@

# statsforecast caps pandas below 3 (and 2.0.x SciPy below 1.16), so its anchors run in a
# venv of their own; bench/forecast.py calls it in a subprocess on the same cuts.
bench-statsforecast: .venv-statsforecast/.installed
.venv-statsforecast/.installed:
	$(PYTHON) -m venv .venv-statsforecast
	.venv-statsforecast/bin/pip install --quiet statsforecast==2.1.1
	touch $@

clean:
	rm -rf $(VENV) .venv-autogluon .venv-statsforecast build *.egg-info src/*.egg-info
