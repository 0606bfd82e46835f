# The two commands of the README. Each creates .venv itself and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# grid processes of `make reproduce` (empty: dlhw's default, every core; 1 with --quick)
JOBS   ?=
# pytest-xdist workers of `make test` (TEST_JOBS=0: one process, no workers)
TEST_JOBS ?= 2
# Extras installed into .venv: the test tools and Ray (so the Ray tests run, not skip).
EXTRAS ?= dev,distributed
# torch is pinned. On Linux, PyPI's torch wheel is the CUDA build (gigabytes of nvidia-* wheels),
# so the default there is PyTorch's CPU-only index; where that index cannot be reached, the plain
# package index is used instead (with a note). For the CUDA build on Linux:
#   make test TORCH_INDEX=https://download.pytorch.org/whl/cu128   (or TORCH_INDEX= for PyPI's)
TORCH_VERSION := 2.13.0
ifeq ($(shell uname -s),Linux)
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
else
TORCH_INDEX ?=
endif
# Floors: a separate venv with the oldest supported versions (constraints/minimum.txt).
MIN_VENV := .venv-min
MIN_TORCH = $(shell sed -n 's/^torch==//p' constraints/minimum.txt)
# A second interpreter for `make test-py312` (pyenv, uv or the system's python3.12).
PYTHON312 ?= python3.12
PY312_VENV := .venv-py312
# DLHW_DATA_DIR may point at a folder with the data sets (CI: ../shared/data).
export DLHW_DATA_DIR

.PHONY: reproduce test lint test-min test-py312 venv clean

# $(call install_torch,VENV_BIN,VERSION): torch==VERSION from $(TORCH_INDEX) if it answers, else
# from the default index (which on this project's CI finds the CPU wheel on disk).
define install_torch
	@if [ -n "$(TORCH_INDEX)" ] && $(1)/python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)' "$(TORCH_INDEX)/torch/" >/dev/null 2>&1; then \
		echo "installing torch==$(2) from $(TORCH_INDEX)"; \
		$(1)/pip install --quiet --index-url "$(TORCH_INDEX)" torch==$(2); \
	else \
		if [ -n "$(TORCH_INDEX)" ]; then echo "note: $(TORCH_INDEX) cannot be reached; installing torch==$(2) from the default package index (on Linux, PyPI's wheel is the CUDA build)"; fi; \
		$(1)/pip install --quiet torch==$(2); \
	fi
endef

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(call install_torch,$(BIN),$(TORCH_VERSION))
	$(BIN)/pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

venv: $(STAMP)

reproduce: $(STAMP)
	$(BIN)/dlhw reproduce $(if $(JOBS),--jobs $(JOBS)) $(REPRODUCE_ARGS)

lint: $(STAMP)
	# ruff pinned in the dev extra; the rules are in pyproject.toml's [tool.ruff]
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) --dist loadgroup $(PYTEST_ARGS)

# The dependency floors, proven: a fresh venv pinned to constraints/minimum.txt, then the tests.
test-min:
	rm -rf $(MIN_VENV)
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/pip install --quiet --upgrade pip
	$(call install_torch,$(MIN_VENV)/bin,$(MIN_TORCH))
	$(MIN_VENV)/bin/pip install --quiet -c constraints/minimum.txt -e '.[$(EXTRAS)]'
	$(MIN_VENV)/bin/pip freeze --exclude-editable > $(MIN_VENV)/freeze.txt
	$(MIN_VENV)/bin/python -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) --dist loadgroup $(PYTEST_ARGS)

# The same tests under Python 3.12 (needs a python3.12; PYTHON312=/path/to/python3.12 to choose one).
test-py312:
	@command -v $(PYTHON312) >/dev/null || { echo "no $(PYTHON312) found: install Python 3.12 (pyenv install 3.12, uv python install 3.12, apt install python3.12) or pass PYTHON312=/path/to/python3.12"; exit 2; }
	rm -rf $(PY312_VENV)
	$(PYTHON312) -m venv $(PY312_VENV)
	$(PY312_VENV)/bin/pip install --quiet --upgrade pip
	$(call install_torch,$(PY312_VENV)/bin,$(TORCH_VERSION))
	$(PY312_VENV)/bin/pip install --quiet -e '.[$(EXTRAS)]'
	$(PY312_VENV)/bin/python -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) --dist loadgroup $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(MIN_VENV) $(PY312_VENV) runs reports
