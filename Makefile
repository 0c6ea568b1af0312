# Two commands do all the set-up on a fresh machine (Debian, Python 3.11, no conda):
#   make lab    create .venv if needed and open the course in JupyterLab at labs/
#   make test   create .venv if needed and run the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Jupyter refuses to run as root unless told; containers and CI often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test generate reference-lab system-packages clean-venv

# Debian packages: the full Fashion-MNIST (dataset-fashion-mnist) and bubblewrap, the sandbox
# the autograder runs student code in. Installed when we are root; otherwise a note says how.
SYSTEM_PACKAGES := dataset-fashion-mnist bubblewrap
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
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

lab: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab --notebook-dir=labs $(ROOT_FLAG) $(LAB_ARGS)

# Self-learners: the same course, with the reference implementation of every exercise.
reference-lab: $(STAMP)
	MLPLAB_REFERENCE=1 MLPLAB_SOLUTIONS="$(abspath solutions)" PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab --notebook-dir=labs $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP) system-packages
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# Regenerate everything students receive (stubs in mlplab/, notebooks in labs/) from solutions/.
generate: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m autograder generate

clean-venv:
	rm -rf $(VENV)
