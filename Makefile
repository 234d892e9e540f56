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

.PHONY: setup lab work lint test test-fast test-core-without-torch test-other-cpus experiments exercises book pdf dist links \
	bench notebooks lock clean classroom hub-proxy bench-class \
	class-edition collect grade return grades

# with uv (pinned in tools/pip-install, installed into .venv by pip), or with pip where uv cannot be
# had or cannot install (it says why); `make setup INSTALLER=pip` skips uv
setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml tools/pip-install
	PYTHON=$(PYTHON) $(if $(INSTALLER),INSTALLER=$(INSTALLER)) bash tools/pip-install $(VENV)
	touch $@

# the students' JupyterLab: jupyter-config/ turns nbgrader's menus and server extensions off;
# `make lab GRADER=1` keeps them (instructors). It opens the reader's own copies in $(WORK)/, so
# running and saving a chapter never changes the checkout and a `git pull` never meets an edit.
lab: setup work
	$(if $(GRADER),,JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter-config$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))) \
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 $(ROOT_FLAG) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/$(WORK)/chapters

# copy the chapters, exercises and solutions into $(WORK)/ (git ignores it); a file already there is
# the reader's and is kept, so a chapter updated by `git pull` reaches $(WORK)/ once its copy is deleted
WORK ?= work
work: setup
	$(PY) tools/copy_course.py $(WORK)

# A check that passed is not run again until a file it reads changes: its stamp in $(STAMPS) is newer
# (CI runs lint and the core tests first, to fail fast, and `make test` then finds them done).
STAMPS := _build/stamps

# ruff, configured in pyproject.toml; no formatter (it would flatten the aligned shape comments)
lint: $(STAMPS)/lint
$(STAMPS)/lint: $(VENV)/.installed pyproject.toml conftest.py \
		$(shell find lstmkit tests tools benchmarks experiments classroom -name '*.py' 2>/dev/null)
	$(VENV)/bin/ruff check lstmkit tests tools benchmarks experiments classroom conftest.py
	@mkdir -p $(@D) && touch $@

NBVAL := $(PY) -m pytest --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg
# Other CPUs, simulated: OpenBLAS's kernels for other processors round sums in another order, as a
# student's laptop would (Haswell: AVX2, most laptops; Sandybridge: AVX), and torch is held to AVX2.
OTHER_CPUS ?= Haswell Sandybridge

# lint, the core tests without torch, then pytest for lstmkit and strict nbval (every stored text
# output compared) for the chapters and solutions; then strict nbval again under each of OTHER_CPUS
# (side by side, each in a HOME of its own, one BLAS thread each), with a hostile user set-up (MPLBACKEND=Agg and a matplotlibrc in HOME that changes the backend and
# the dpi) that the stored outputs must not notice
test: setup lint test-core-without-torch hub-proxy
	$(PY) -m pytest tests $(NOTEBOOKS) --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg
	$(MAKE) --no-print-directory test-other-cpus

test-other-cpus: setup
	@top=$$(mktemp -d) && trap 'rm -rf "$$top"' EXIT && \
	for cpu in $(if $(filter x86_64,$(shell uname -m)),$(OTHER_CPUS)); do \
	  home=$$top/$$cpu && mkdir -p "$$home/.config/matplotlib" && \
	  printf 'backend: Agg\nfigure.dpi: 72\n' > "$$home/.config/matplotlib/matplotlibrc" && \
	  (HOME=$$home MPLBACKEND=Agg OPENBLAS_CORETYPE=$$cpu ONEDNN_MAX_CPU_ISA=AVX2 $(NBVAL) -q $(NOTEBOOKS) \
	    > "$$top/$$cpu.log" 2>&1; echo $$? > "$$top/$$cpu.rc") & \
	done; wait; failed=0; \
	for cpu in $(if $(filter x86_64,$(shell uname -m)),$(OTHER_CPUS)); do \
	  echo "== strict nbval with OpenBLAS's $$cpu kernels, MPLBACKEND=Agg and a user matplotlibrc"; \
	  cat "$$top/$$cpu.log"; [ "$$(cat "$$top/$$cpu.rc")" = 0 ] || failed=1; \
	done; exit $$failed

# the inner loop: lint and every test not marked slow (no browser, book or Binder build, no notebooks),
# the package's first
test-fast: setup lint
	$(PY) -m pytest tests/package tests/course -m "not slow"

# the package's tests (tests/package; tests/course holds the book, browser, hub, Binder, classroom,
# release and set-up tests) where torch is absent: an import hook makes `import torch` fail, so the
# torch parity tests skip one by one and everything else (finite differences included) still runs
test-core-without-torch: $(STAMPS)/core-without-torch
$(STAMPS)/core-without-torch: $(VENV)/.installed pyproject.toml conftest.py \
		$(shell find lstmkit tests/package tests/without_torch -type f -not -path '*/__pycache__/*' 2>/dev/null) \
		$(wildcard tests/*.py tests/*.cfg)
	PYTHONPATH=tests/without_torch$(if $(PYTHONPATH),:$(PYTHONPATH)) $(PY) -m pytest -q -m "not slow" tests/package
	@mkdir -p $(@D) && touch $@

# the exercise notebooks are generated from the solutions (nbgrader's ClearSolutions), never edited
exercises: setup
	$(PY) tools/make_exercises.py

# re-execute every chapter and solution in place, top to bottom on a fresh kernel, then the exercises
notebooks: setup
	for nb in $(NOTEBOOKS); do \
	  $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False $$nb || exit 1; \
	done
	$(PY) tools/launch_links.py          # the launch cells store no run: the Colab cell did nothing here
	$(PY) tools/normalize_notebooks.py
	$(PY) tools/make_exercises.py

# the static book of the stored, executed notebooks: _build/book/_build/html/index.html (npm needed once)
BOOK ?= _build/book
BOOK_SOURCES := $(NOTEBOOKS) $(wildcard exercises/*.ipynb chapters/*.md book/* book/*/* lstmkit/*.py lstmkit/widgets/*.py \
	tools/build_book.py tools/static_sliders.py tools/static_sliders.js)
book: setup
	$(PY) tools/build_book.py $(BOOK)

# `make pdf` reuses a book that is newer than everything it is built from
$(BOOK)/_build/html/index.html: $(BOOK_SOURCES) | setup
	$(PY) tools/build_book.py $(BOOK)

# the training runs too long for a notebook, over many seeds: each script in experiments/ rewrites its
# results file in lstmkit/data/results/, which the chapters load (about 20 minutes in all)
experiments: setup
	for script in experiments/[a-z]*.py; do $(PY) $$script || exit 1; done

# the whole book as one PDF, printed by headless Chromium from the built pages: _build/lstmkit.pdf
pdf: $(BOOK)/_build/html/index.html
	$(PY) tools/build_pdf.py $(BOOK)/_build/html _build/lstmkit.pdf

# lecture slides made from the chapters, nothing written twice (tools/build_slides.py: each heading with
# its equations and the folds' summary lines, then its figures), reveal.js: _build/slides/NN_name.slides.html
.PHONY: slides
slides: setup
	$(PY) tools/build_slides.py $(wildcard chapters/[0-9][0-9]_*.ipynb)

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

# nbgrader for a class (README, "For instructors"): the source assignments from solutions/ into
# _build/classroom/source, then a rehearsal in _build/classroom-rehearsal: every chapter released,
# simulated submissions autograded, the gradebook's points compared with the expected ones, feedback
classroom: setup
	$(PY) tools/make_classroom.py source
	$(PY) tools/make_classroom.py rehearse

# A term (classroom/README.md): the class edition (branch class-v<version>: no solutions, the exercises
# as nbgrader's release notebooks), then per assignment, as root on the hub machine, collect from the
# rostered students' homes, grade (autograde and feedback), return the feedback into their homes,
# and export grades.csv. The venv's bin is on PATH for nbgrader (its gradebook runs `alembic`).
class-edition: setup
	$(PY) tools/make_classroom.py edition

collect grade return grades: setup
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) tools/make_classroom.py $@ $(ASSIGNMENT)

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

# requirements.txt from requirements.in with uv pip compile (the installer's own resolver), the same
# on every machine and every day: packages newer than the date in its header are left out, and the
# versions it pins stay while requirements.in allows them (tests/course/test_setup.py checks that a rerun
# changes nothing). `make lock UPGRADE=1` moves the date to today and upgrades every package.
lock: setup
	PYTHON=$(PYTHON) $(if $(UPGRADE),UPGRADE=1) bash tools/pip-install --lock $(VENV) requirements.txt

clean:
	rm -rf $(VENV) _build
