# Two commands do all the set-up on a fresh machine (Debian, Python 3.11, no conda):
#   make lab    create .venv if needed and open your workspace work/ (untracked) in JupyterLab
#   make test   create .venv if needed and run the whole test suite
# Instructors: `make instructor` opens the nbgrader course folder course/ with the formgrader.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Jupyter refuses to run as root unless told; containers and CI often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

# The student's workspace: never tracked by git, made and refreshed by `make lab`.
WORK   ?= work
# The nbgrader course folder the instructor works in.
COURSE ?= course
# Student sessions read jupyter/student/ first: no formgrader, no create-assignment, no course list.
STUDENT_JUPYTER := PATH="$(abspath $(BIN)):$$PATH" JUPYTER_CONFIG_PATH="$(abspath jupyter/student)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}"

.PHONY: lab test generate reference-lab instructor system-packages clean-venv

# Debian packages: the full Fashion-MNIST (dataset-fashion-mnist), bubblewrap, the sandbox
# the autograder runs student code in, Chromium with its driver for the browser tests, and
# PostgreSQL for the shared-gradebook test (tests/course/test_postgres_gradebook.py starts its own server).
# Installed when we are root; otherwise a note says how.
SYSTEM_PACKAGES := dataset-fashion-mnist bubblewrap chromium chromium-driver postgresql
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "note: could not install$$missing (tests that need them are skipped)"; \
	  else echo "note: optional Debian packages missing:$$missing (sudo apt-get install$$missing)"; fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[course,dev,class]'
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/python -m autograder.workspace $(WORK)
	$(STUDENT_JUPYTER) $(BIN)/jupyter lab --notebook-dir=$(WORK) $(ROOT_FLAG) $(LAB_ARGS)

# Self-learners: the same workspace, with the reference implementation of every exercise.
reference-lab: $(STAMP)
	$(BIN)/python -m autograder.workspace $(WORK)
	MLPLAB_EXERCISES="$(abspath solutions)" $(STUDENT_JUPYTER) \
	  $(BIN)/jupyter lab --notebook-dir=$(WORK) $(ROOT_FLAG) $(LAB_ARGS)

# The instructor's JupyterLab, started inside the course folder so that nbgrader (the formgrader
# and its Autograde button) reads the nbgrader_config.py the course folder ships. Also installs
# bubblewrap, the sandbox autograding needs.
instructor: $(STAMP) system-packages
	$(BIN)/python -c 'from autograder.course import Course; Course("$(COURSE)")'
	cd $(COURSE) && PATH="$(abspath $(BIN)):$$PATH" $(abspath $(BIN))/jupyter lab $(ROOT_FLAG) $(LAB_ARGS)

# JupyterHub's proxy for tests/course/test_jupyterhub.py: npm's configurable-http-proxy, in .npm/.
CHP := .npm/node_modules/.bin/configurable-http-proxy
$(CHP):
	@command -v npm >/dev/null \
	  && npm install --silent --no-audit --no-fund --prefix .npm configurable-http-proxy@5.3.0 \
	  || echo "note: could not install configurable-http-proxy with npm (the JupyterHub test is skipped)"

test: $(STAMP) system-packages $(CHP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# Regenerate everything students receive (stubs in mlplab/, notebooks in labs/) from solutions/.
generate: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m autograder generate

clean-venv:
	rm -rf $(VENV)
