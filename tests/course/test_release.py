"""What a teacher needs to adopt the course: licences, a citation, and a package that works on its own.

1. The licence files exist and the README says which applies where; the version is set once
   (lstmkit/__init__.py) and the package metadata, CITATION.cff and CHANGELOG.md agree with it.
2. CITATION.cff passes `cffconvert --validate` (cffconvert in a virtual environment of its own,
   pinned by tools/requirements-cffconvert.txt: it needs jsonschema 3, the notebooks jsonschema 4);
   a broken file fails it, so the check can fail.
3. `python -m build` makes an sdist and a wheel that `twine check --strict` accepts; the wheel carries
   the corpus, its licence and the widgets, and declares its dependencies and project URLs.
4. The wheel, installed into a fresh virtual environment that cannot see the checkout (no
   --system-site-packages, no editable install, run from a temporary folder with a clean
   PYTHONPATH), imports, passes a gradient check and runs chapter 03's code cells.
The slow ones (a few tens of seconds, mostly pip installing numpy and matplotlib into new
environments, from pip's cache when warm) are marked slow.
"""
import os
import re
import subprocess
import sys
import tomllib
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import yaml

import lstmkit

ROOT = Path(__file__).resolve().parents[2]
VERSION = lstmkit.__version__
CHAPTER = ROOT / "chapters" / "03_lstm_cell.ipynb"   # numpy, matplotlib and ipywidgets; no torch


def clean_env(**extra):
    """The environment minus anything that would let a child find the checkout or the shared venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(MPLBACKEND="Agg", PYTHONNOUSERSITE="1", **extra)
    return env


def new_venv(path):
    """A plain virtual environment (no system site-packages); returns its python."""
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(path)
    return Path(path) / "bin" / "python"


def pip_install(python, *args, env=None, lock=True):
    """pip install into python's environment, pinned by the course's lock where it names a package."""
    cmd = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           *(["-c", str(ROOT / "requirements.txt")] if lock else []), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env or clean_env(), timeout=600)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


# ------------------------------------------------------------------ licences, version, citation

def test_licence_files_and_where_they_apply():
    mit = (ROOT / "LICENSE").read_text()
    assert mit.startswith("MIT License") and "Permission is hereby granted, free of charge" in mit
    cc = (ROOT / "LICENSE-CC-BY-4.0").read_text()
    assert cc.startswith("Creative Commons Attribution 4.0 International")
    assert "Section 1 – Definitions." in cc and "Section 8 – Interpretation." in cc
    psf = (ROOT / "lstmkit" / "data" / "LICENSE-PSF").read_text()
    assert psf.startswith("PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2")
    readme = (ROOT / "README.md").read_text()
    licences = readme[readme.index("## Licences"):]
    for folder in ("lstmkit/", "tools/", "tests/", "benchmarks/", "chapters/", "exercises/",
                   "solutions/", "book/", "lstmkit/data"):
        assert f"`{folder}" in licences, f"the README's Licences section does not place {folder}"
    assert "LICENSE-CC-BY-4.0" in licences and "PSF" in licences
    # the LICENSE file places the same code folders under MIT as the README
    code = re.search(r"\*\*Code\*\* — (.*?)\(and the code cells", licences, re.S).group(1)
    mit_list = mit[mit.index("Which licence applies where"):].split("\n- ")[1]
    for folder in re.findall(r"`([\w-]+/)`", code):
        assert folder in mit_list, f"LICENSE's MIT list does not name {folder}, which the README puts under MIT"


def test_the_version_is_set_once_and_everything_agrees():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"], "pyproject.toml must read the version, not repeat it"
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "lstmkit.__version__"}
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert str(cff["version"]) == VERSION, f"CITATION.cff says {cff['version']}, lstmkit says {VERSION}"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    first = re.search(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d\d-\d\d)$", changelog, re.M)
    assert first and first.group(1) == VERSION, "CHANGELOG.md's newest entry is not this version"
    assert str(cff["date-released"]) == first.group(2), "CITATION.cff and CHANGELOG.md disagree on the date"


@pytest.fixture(scope="session")
def cffconvert(tmp_path_factory):
    python = new_venv(tmp_path_factory.mktemp("cffconvert") / "venv")
    pip_install(python, "--no-deps", "-r", str(ROOT / "tools" / "requirements-cffconvert.txt"), lock=False)
    return python.parent / "cffconvert"


@pytest.mark.slow
def test_citation_cff_is_valid(cffconvert, tmp_path):
    ok = subprocess.run([str(cffconvert), "--validate", "-i", str(ROOT / "CITATION.cff")],
                        capture_output=True, text=True, env=clean_env())
    assert ok.returncode == 0, f"cffconvert rejects CITATION.cff:\n{ok.stdout}\n{ok.stderr}"
    # the validator does reject a file without authors: this check can fail
    bad = tmp_path / "CITATION.cff"
    bad.write_text("cff-version: 1.2.0\nmessage: m\ntitle: t\n")
    assert subprocess.run([str(cffconvert), "--validate", "-i", str(bad)],
                          capture_output=True, env=clean_env()).returncode != 0


# ------------------------------------------------------------------ the package

@pytest.fixture(scope="session")
def dist(tmp_path_factory):
    """sdist and wheel from `python -m build` (the wheel is built from the sdist, as on PyPI).

    The tracked files are copied to a temporary folder first, so the build leaves nothing in the
    checkout and proves the sdist needs only what git holds. --no-isolation: setuptools comes from
    the course's environment, so no build environment is fetched.
    """
    src = tmp_path_factory.mktemp("src")
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in files.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes((ROOT / name).read_bytes())
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
                            capture_output=True, text=True)
    assert result.returncode == 0, f"python -m build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, f"expected one wheel and one sdist, got {sorted(out.iterdir())}"
    return wheels[0], sdists[0]


@pytest.mark.slow
def test_build_makes_an_sdist_and_a_wheel_twine_accepts(dist):
    wheel, sdist = dist
    assert wheel.name == f"lstmkit-{VERSION}-py3-none-any.whl" and sdist.name == f"lstmkit-{VERSION}.tar.gz"
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
                            capture_output=True, text=True)
    assert result.returncode == 0, f"twine check:\n{result.stdout}\n{result.stderr}"


@pytest.mark.slow
def test_the_wheel_carries_data_widgets_dependencies_and_urls(dist):
    wheel, _ = dist
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = Parser().parsestr(z.read(f"lstmkit-{VERSION}.dist-info/METADATA").decode())
    for needed in ("lstmkit/data/stdlib_docstrings.txt", "lstmkit/data/LICENSE-PSF",
                   "lstmkit/widgets/__init__.py", "lstmkit/widgets/gates.py", "lstmkit/widgets/decay.py",
                   f"lstmkit-{VERSION}.dist-info/licenses/LICENSE"):
        assert needed in names, f"the wheel lacks {needed}"
    assert not [n for n in names if n.startswith(("tests/", "chapters/", "tools/"))]
    requires = meta.get_all("Requires-Dist")
    assert any(re.fullmatch(r"numpy>=[\d.]+", r) for r in requires), requires
    for extra, pkg in (("torch", "torch"), ("course", "matplotlib"), ("course", "ipywidgets"), ("course", "tqdm")):
        assert any(r.startswith(f"{pkg}>=") and f'extra == "{extra}"' in r for r in requires), \
            f"no lower-bounded {pkg} in the extra [{extra}]: {requires}"
    assert not any(r.startswith("torch") and "extra" not in r for r in requires), "torch must stay optional"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    links = tomllib.loads((ROOT / "tools" / "links.toml").read_text())
    assert urls["Source"] == links["repository"], urls


@pytest.mark.slow
def test_the_wheel_works_outside_the_checkout(dist, tmp_path):
    wheel, _ = dist
    python = new_venv(tmp_path / "venv")
    pip_install(python, f"{wheel}[course]")
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE.format(root=str(ROOT), chapter=str(CHAPTER)))
    result = subprocess.run([str(python), str(probe)], cwd=tmp_path, env=clean_env(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"the installed wheel failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "chapter 03: all code cells ran" in result.stdout, result.stdout[-2000:]


PROBE = '''
import json, sys
from pathlib import Path

root = Path({root!r}).resolve()
assert not any(Path(p or ".").resolve() == root for p in sys.path), sys.path

import numpy as np
import lstmkit
from lstmkit import lstm
from lstmkit.charlm import load_corpus
from lstmkit.gradcheck import check_gradients

here = Path(lstmkit.__file__).resolve()
assert "site-packages" in here.parts and root not in here.parents, here
print("lstmkit", lstmkit.__version__, "from", here.parent)
assert len(load_corpus()) > 10_000                      # the corpus travels in the wheel

# a gradient check of the LSTM, against centred finite differences in float64
rng = np.random.default_rng(0)
params = lstm.init_params(3, 4, rng=rng)
x = rng.standard_normal((5, 2, 3))
dout = rng.standard_normal((5, 2, 4))
hs, _, cache = lstm.forward(x, None, params)
dx, _, grads = lstm.backward(dout, cache)
loss = lambda: float(np.sum(lstm.forward(x, None, params)[0] * dout))
errors = check_gradients(loss, {{**params, "x": x}}, {{**grads, "x": dx}}, verbose=False)
assert max(errors.values()) < 1e-6, errors
print("gradient check: max relative error", f"{{max(errors.values()):.1e}}")

# chapter 03's code cells, in order, in one IPython shell (display() and widgets work as in Jupyter)
from IPython.core.interactiveshell import InteractiveShell
import matplotlib
matplotlib.use("Agg")
shell = InteractiveShell.instance()
nb = json.loads(Path({chapter!r}).read_text())
for k, cell in enumerate(nb["cells"]):
    if cell["cell_type"] == "code":
        result = shell.run_cell("".join(cell["source"]), silent=True)
        if not result.success:
            sys.exit(f"chapter 03 cell {{k}} failed: {{result.error_before_exec or result.error_in_exec!r}}")
print("chapter 03: all code cells ran")
'''


# ------------------------------------------------------------------ Colab, simulated

STAND_IN = '"""A stand-in for Colab\'s own module: only its presence in sys.modules matters."""\n'


@pytest.mark.slow
def test_the_colab_cell_installs_this_release_only_on_colab(dist, tmp_path):
    """A fresh environment with what Colab preinstals (numpy here), and a local wheel index."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import launch_links
    finally:
        sys.path.remove(str(ROOT / "tools"))
    wheel, _ = dist
    python = new_venv(tmp_path / "venv")
    pip_install(python, "numpy")
    cell = tmp_path / "first_cell.py"
    cell.write_text(launch_links.colab_cell_source())
    # pip inside the cell may use nothing but the folder holding the wheel just built
    env = clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheel.parent), PIP_DISABLE_PIP_VERSION_CHECK="1")
    import_lstmkit = [str(python), "-c", "import lstmkit; print(lstmkit.__version__, lstmkit.__file__)"]

    # not on Colab: the cell prints nothing and installs nothing
    elsewhere = subprocess.run([str(python), str(cell)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert elsewhere.returncode == 0 and elsewhere.stdout == elsewhere.stderr == "", elsewhere
    assert subprocess.run(import_lstmkit, cwd=tmp_path, env=env, capture_output=True).returncode != 0

    # on "Colab": google.colab is imported at start-up, as Colab's kernel does
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "google" / "colab").mkdir(parents=True)
    (site / "google" / "colab" / "__init__.py").write_text(STAND_IN)
    (site / "colab_stand_in.pth").write_text("import google.colab\n")
    on_colab = subprocess.run([str(python), str(cell)], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)
    assert on_colab.returncode == 0, f"the Colab cell failed:\n{on_colab.stdout}\n{on_colab.stderr}"
    found = subprocess.run(import_lstmkit, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    got_version, where = found.stdout.split()
    assert got_version == VERSION and "site-packages" in where and str(ROOT) not in where, found.stdout
