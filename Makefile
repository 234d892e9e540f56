# Two commands do everything on a fresh machine: `make lab` opens the course, `make test` runs
# every test. Both create .venv first (`make setup`), which is quick when nothing changed.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# One BLAS thread per process: on a 2-core machine oversubscribed threads made a 0.3 s loop take 17 s.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
NOTEBOOKS := $(wildcard chapters/*.ipynb solutions/*.ipynb)

.PHONY: setup lab test exercises book bench notebooks lock clean classroom hub-proxy bench-class

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml tools/pip-install
	bash tools/pip-install $(VENV)
	touch $@

lab: setup
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 $(ROOT_FLAG) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/chapters

# pytest for lstmkit, strict nbval (every stored text output compared) for the chapters and solutions
test: setup hub-proxy
	$(PY) -m pytest tests $(NOTEBOOKS) --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg

# the exercise notebooks are generated from the solutions (nbgrader's ClearSolutions), never edited
exercises: setup
	$(PY) tools/make_exercises.py

# re-execute every chapter and solution in place, top to bottom on a fresh kernel, then the exercises
notebooks: setup
	for nb in $(NOTEBOOKS); do \
	  $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False $$nb || exit 1; \
	done
	$(PY) tools/make_exercises.py

# the static book of the stored, executed notebooks: _build/book/_build/html/index.html (npm needed once)
book: setup
	$(PY) tools/build_book.py _build/book

# speed and memory against torch, every notebook's run time, import time (benchmarks/README.md);
# `make bench QUICK=1`: one shape and one thread, the chapters only
bench: setup
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_layers.py $(if $(QUICK),--quick)
	$(PY) benchmarks/bench_notebooks.py $(if $(QUICK),--quick)

# nbgrader for a class (README, "For instructors"): the source assignments from solutions/ into
# _build/classroom/source, then a rehearsal in _build/classroom-rehearsal: every chapter released,
# simulated submissions autograded, the gradebook's points compared with the expected ones, feedback
classroom: setup
	$(PY) tools/make_classroom.py source
	$(PY) tools/make_classroom.py rehearse

# the pinned configurable-http-proxy (npm) that JupyterHub runs in front of a class, in _build/jupyterhub
HUB_PROXY := _build/jupyterhub/node_modules/.bin/configurable-http-proxy
hub-proxy: $(HUB_PROXY)

# without npm this says so and goes on: the JupyterHub test then skips (in CI, CI=true, it fails)
$(HUB_PROXY): classroom/jupyterhub/package.json classroom/jupyterhub/package-lock.json
	@if ! command -v npm >/dev/null; then echo "npm not found: no configurable-http-proxy, the JupyterHub test will skip"; exit 0; fi; \
	mkdir -p _build/jupyterhub && cp $^ _build/jupyterhub/ && \
	(cd _build/jupyterhub && npm ci --no-audit --no-fund --loglevel=error) && touch $@

# a class of N students (default 10) on a real JupyterHub on 127.0.0.1 (benchmarks/README.md)
bench-class: setup hub-proxy
	$(PY) benchmarks/bench_class.py $(if $(STUDENTS),--students $(STUDENTS))

lock: setup
	$(PY) -m pip freeze --exclude-editable | sed '1i # The full, pinned set of packages for the course (Python 3.11). Regenerate with `make lock`;\n# the direct dependencies and their reasons are in requirements.in.' > requirements.txt

clean:
	rm -rf $(VENV) _build
