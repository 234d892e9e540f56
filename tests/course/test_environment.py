"""The three lists of packages agree: requirements.in, requirements.txt (the lock) and environment.yml."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^\s*(?:-\s+)?([A-Za-z0-9_.\-]+)==(\S+)\s*$")


def pins(path):
    found = {}
    for line in (ROOT / path).read_text().splitlines():
        m = PIN.match(line)
        if m:
            found[m.group(1).lower().replace("_", "-")] = m.group(2)
    return found


def test_requirements_in_is_pinned_by_the_lock():
    direct, lock = pins("requirements.in"), pins("requirements.txt")
    assert direct, "requirements.in lists no pins"
    assert {k: lock.get(k) for k in direct} == direct


def test_environment_yml_matches_the_lock():
    env, lock = pins("environment.yml"), pins("requirements.txt")
    assert "torch" in env and "numpy" in env
    assert {k: lock.get(k) for k in env} == env


def test_every_direct_dependency_reaches_binder():
    # Binder needs what the chapters import; the tools that only build or test locally may stay out
    local_only = {"nbgrader", "jupyter-book", "jupyter-repo2docker", "playwright", "ruff", "build", "twine",
                  "jupyterhub-idle-culler"}   # the hub's service, not the student's image
    missing = set(pins("requirements.in")) - set(pins("environment.yml")) - local_only
    assert not missing, f"in requirements.in but not in environment.yml: {sorted(missing)}"


def test_setup_stops_early_on_a_python_the_lock_cannot_serve(tmp_path):
    # a stand-in interpreter that reports Python 3.10: set-up must stop with a message before pip runs
    import subprocess

    fake = tmp_path / "python3.10"
    fake.write_text('#!/bin/sh\necho 3.10\n')
    fake.chmod(0o755)
    venv = tmp_path / "venv"
    result = subprocess.run(["bash", str(ROOT / "tools" / "pip-install"), str(venv)], cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "PYTHON": str(fake)}, capture_output=True, text=True)
    assert result.returncode == 1
    assert "for Python 3.11, and" in result.stderr and "Python 3.10" in result.stderr
    assert "Traceback" not in result.stderr
    assert not venv.exists()


def test_setup_names_a_missing_python(tmp_path):
    import subprocess

    result = subprocess.run(["bash", str(ROOT / "tools" / "pip-install"), str(tmp_path / "venv")], cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "PYTHON": str(tmp_path / "no-such-python")},
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "cannot run" in result.stderr and "PYTHON=" in result.stderr


def test_notebook_kernels_ignore_the_users_matplotlib_set_up(tmp_path):
    # MPLBACKEND=Agg and a matplotlibrc with another backend and dpi, as on many headless machines:
    # the kernels the notebooks are compared in must still draw inline at matplotlib's default dpi
    import nbformat
    from nbclient import NotebookClient

    from notebook_env import notebook_environment

    rc = tmp_path / ".config" / "matplotlib"
    rc.mkdir(parents=True)
    (rc / "matplotlibrc").write_text("backend: Agg\nfigure.dpi: 72\n")
    hostile = {**__import__("os").environ, "HOME": str(tmp_path), "MPLBACKEND": "Agg"}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()")])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute(env=notebook_environment(hostile))
    outputs = nb.cells[0].outputs
    figures = [o for o in outputs if o.get("output_type") == "display_data"]
    assert len(figures) == 1 and "image/png" in figures[0]["data"]
    assert figures[0]["data"]["text/plain"] == "<Figure size 640x480 with 1 Axes>"


def test_pre_commit_runs_the_pinned_ruff_on_what_make_lint_checks():
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    rev = re.search(r"ruff-pre-commit\s*\n\s*rev:\s*v(\S+)", config)
    assert rev, ".pre-commit-config.yaml has no ruff-pre-commit repository with a rev"
    assert rev.group(1) == pins("requirements.in")["ruff"], "pre-commit's ruff is not the one requirements.in pins"
    files = re.compile(re.search(r"files:\s*(\S+)", config).group(1))
    lint = re.search(r"ruff check (.+)", (ROOT / "Makefile").read_text()).group(1).split()
    for target in lint:
        sample = target if target.endswith(".py") else f"{target}/example.py"
        assert files.search(sample), f"pre-commit does not lint {target}, which make lint does"
    assert not files.search("chapters/example.py")
