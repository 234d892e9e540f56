"""The class's deployments, each checked by the tool (or the schema) that reads its file.

1. The Kubernetes image: Zero to JupyterHub mounts each student's volume over /home/jovyan, where
   repo2docker put the repository. Installed as environment.yml's pip line says, from a copy of the
   repository that is then removed, lstmkit must still import, with its data, from a home laid out
   as nbgitpuller leaves it (~/lstmkit is the course's repository root, not the package).
All fast: pip installs lstmkit alone (--no-deps, no build isolation), nothing is downloaded.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy
import yaml

ROOT = Path(__file__).resolve().parents[2]


def course_pip_line():
    """The line of environment.yml's pip section that installs the course itself."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    local = [line for line in pip if "==" not in line and not line.startswith("--")]
    assert len(local) == 1, f"expected one line installing the course in environment.yml's pip section, got {local}"
    return local[0]


def tracked(*paths):
    """The files git tracks (under paths), relative to the repository."""
    listed = subprocess.run(["git", "ls-files", "-z", *paths], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in listed.decode().split("\0") if name]


def tracked_copy(dest):
    """The files git tracks, copied to dest (what repo2docker copies into the image)."""
    for rel in tracked():
        if (ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    return dest


# ------------------------------------------------------------------ the image under a home volume

def sweeps_loaded_by(chapter):
    """The stored sweeps a chapter loads: the names in its `sweeps.load("...")` calls."""
    nb = json.loads((ROOT / "chapters" / chapter).read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    return sorted(set(re.findall(r'sweeps\.load\("(\w+)"\)', code)))


PROBE = """
import site, sys
site.addsitedir({site!r})          # what the image's site-packages is: its .pth files are read too
sys.path.append({deps!r})          # numpy and tqdm, as the image has them
from pathlib import Path
import lstmkit
from lstmkit import charlm, sweeps
here = Path(lstmkit.__file__).resolve()
assert Path({site!r}) in here.parents, f"lstmkit came from {{here}}, not from where pip installed it"
for name in {names!r}:
    assert sweeps.load(name), name
assert len(charlm.load_corpus()) > 10_000
data = sorted(str(p.relative_to(here.parent)) for p in (here.parent / "data").rglob("*") if p.is_file())
print("data:", ",".join(data))
"""


def test_the_image_imports_lstmkit_when_a_volume_hides_the_repository(tmp_path):
    line = course_pip_line()
    repo, site = tracked_copy(tmp_path / "repo"), tmp_path / "site"
    # as repo2docker runs it: pip, in the repository, with environment.yml's line; --no-deps and no build
    # isolation keep it offline and fast (the dependencies are environment.yml's other lines)
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                             "--disable-pip-version-check", "--target", str(site), *shlex.split(line)],
                            cwd=repo, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"pip install {line} failed:\n{result.stdout}\n{result.stderr}"
    shutil.rmtree(repo)                              # the volume now hides where repo2docker put it

    # the student's home after nbgitpuller: ~/lstmkit is the course's root, not a package (no __init__.py)
    home = tmp_path / "home"
    for folder in ("chapters", "exercises"):
        (home / "lstmkit" / folder).mkdir(parents=True)
    names = sweeps_loaded_by("05_long_time_lags.ipynb")
    assert len(names) >= 4, f"chapter 05 loads fewer sweeps than expected: {names}"
    probe = PROBE.format(site=str(site), deps=str(Path(numpy.__file__).parents[1]), names=names)
    # -S: this checkout's own environment (whose lstmkit is an editable install of the checkout) stays out
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "PYTHONPATH": str(site), "PYTHONNOUSERSITE": "1"}
    result = subprocess.run([sys.executable, "-S", "-c", probe], cwd=home / "lstmkit" / "chapters", env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"lstmkit did not import from the image:\n{result.stdout}\n{result.stderr}"
    # every file of lstmkit/data travels (pyproject's package-data)
    shipped = set(result.stdout.split("data: ", 1)[1].strip().split(","))
    data = {name.removeprefix("lstmkit/") for name in tracked("lstmkit/data")}
    assert data <= shipped, f"not in the installed package: {sorted(data - shipped)}"
