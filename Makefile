# Two commands do everything on a fresh machine: `make lab` opens the course, `make test` runs
# every test. Both create .venv first (`make setup`), which is quick when nothing changed.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# the Python that creates .venv: 3.11, the version requirements.txt pins packages for
PYTHON ?= python3
# One BLAS thread per process: on a 2-core machine oversubscribed threads made a 0.3 s loop take 17 s.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
NOTEBOOKS := $(wildcard chapters/*.ipynb solutions/*.ipynb)

.PHONY: setup lab test test-other-cpus experiments exercises book bench notebooks lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml tools/pip-install
	PYTHON=$(PYTHON) bash tools/pip-install $(VENV)
	touch $@

lab: setup
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 $(ROOT_FLAG) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/chapters

NBVAL := $(PY) -m pytest --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg
# Other CPUs, simulated: OpenBLAS's kernels for other processors round sums in another order, as a
# student's laptop would (Haswell: AVX2, most laptops; Sandybridge: AVX), and torch is held to AVX2.
OTHER_CPUS ?= Haswell Sandybridge

# pytest for lstmkit, strict nbval (every stored text output compared) for the chapters and solutions;
# then strict nbval again under each of OTHER_CPUS, with a hostile user set-up (MPLBACKEND=Agg and a
# matplotlibrc in HOME that changes the backend and the dpi) that the stored outputs must not notice
test: setup
	$(PY) -m pytest tests $(NOTEBOOKS) --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg
	$(MAKE) --no-print-directory test-other-cpus

test-other-cpus: setup
	@home=$$(mktemp -d) && trap 'rm -rf "$$home"' EXIT && mkdir -p "$$home/.config/matplotlib" && \
	printf 'backend: Agg\nfigure.dpi: 72\n' > "$$home/.config/matplotlib/matplotlibrc" && \
	for cpu in $(if $(filter x86_64,$(shell uname -m)),$(OTHER_CPUS)); do \
	  echo "== strict nbval with OpenBLAS's $$cpu kernels, MPLBACKEND=Agg and a user matplotlibrc"; \
	  HOME=$$home MPLBACKEND=Agg OPENBLAS_CORETYPE=$$cpu ONEDNN_MAX_CPU_ISA=AVX2 $(NBVAL) -q $(NOTEBOOKS) || exit 1; \
	done

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

# the training runs too long for a notebook, over many seeds: each script in experiments/ rewrites its
# results file in lstmkit/data/results/, which the chapters load (about 20 minutes in all)
experiments: setup
	for script in experiments/[a-z]*.py; do $(PY) $$script || exit 1; done

# speed and memory against torch, every notebook's run time, import time (benchmarks/README.md);
# `make bench QUICK=1`: one shape and one thread, the chapters only
bench: setup
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_layers.py $(if $(QUICK),--quick)
	$(PY) benchmarks/bench_notebooks.py $(if $(QUICK),--quick)

lock: setup
	$(PY) -m pip freeze --exclude-editable | sed '1i # The full, pinned set of packages for the course (Python 3.11). Regenerate with `make lock`;\n# the direct dependencies and their reasons are in requirements.in.' > requirements.txt

clean:
	rm -rf $(VENV) _build
