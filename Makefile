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

.PHONY: setup lab test exercises book pdf dist links bench notebooks lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml tools/pip-install
	bash tools/pip-install $(VENV)
	touch $@

lab: setup
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 $(ROOT_FLAG) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/chapters

# pytest for lstmkit, strict nbval (every stored text output compared) for the chapters and solutions
test: setup
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

# the whole book as one PDF, printed by headless Chromium from the built pages: _build/lstmkit.pdf
pdf: book
	$(PY) tools/build_pdf.py _build/book/_build/html _build/lstmkit.pdf

# the sdist and the wheel of lstmkit, checked as PyPI would (dist/)
dist: setup
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

# write the repository address of tools/links.toml into the README, chapters, book and metadata
links: setup
	$(PY) tools/launch_links.py

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
