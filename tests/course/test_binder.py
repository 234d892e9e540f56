"""Binder builds the course from environment.yml, installs lstmkit and opens the chapters.

repo2docker (the tool that builds Binder images) runs here with --no-build: it writes the
Dockerfile without Docker or network, and the test reads it. The pins themselves are compared with
requirements.in / requirements.txt in tests/course/test_environment.py.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from browser_support import ROOT, offline_build_possible, require

pytestmark = pytest.mark.slow

REPO2DOCKER = Path(sys.executable).parent / "repo2docker"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def pip_lines(env):
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)


def repo_copy(dest):
    """The files git would commit (tracked, or new and not ignored), copied to dest."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def dockerfile(tmp_path):
    """The Dockerfile repo2docker would build for a copy of this repository (no Docker, no network)."""
    repo = repo_copy(tmp_path / "repo")
    cmd = [str(REPO2DOCKER), "--no-build", "--debug", str(repo)]
    if offline_build_possible():
        cmd = ["unshare", "--net", "--map-root-user", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, f"repo2docker failed:\n{result.stdout}\n{result.stderr}"
    assert "FROM " in result.stdout, f"repo2docker printed no Dockerfile:\n{result.stdout}"
    return result.stdout


def test_environment_yml_is_python_311_with_cpu_torch_and_lstmkit():
    env = environment()
    assert "python=3.11" in env["dependencies"]
    pip = pip_lines(env)
    assert "." in pip and "-e ." not in pip, \
        "the image must install lstmkit itself, not editable (a hub's home volume hides the repository)"
    assert f"--extra-index-url {TORCH_CPU_INDEX}" in pip
    assert any(re.fullmatch(r"torch==[\d.]+\+cpu", line) for line in pip), "torch must be the CPU build"
    # widgets in JupyterLab 4 come as a prebuilt extension inside jupyterlab_widgets: no lab build
    assert any(line.startswith("ipywidgets==8.1.") for line in pip)
    assert any(line.startswith("jupyterlab==4.") for line in pip)


def test_no_other_binder_config_overrides_environment_yml():
    # a binder/ or .binder/ folder would make repo2docker ignore the top-level files;
    # postBuild would be a place for a slow `jupyter lab build` that ipywidgets 8 does not need
    for name in ("binder", ".binder", "postBuild", "apt.txt", "runtime.txt", "Dockerfile"):
        assert not (ROOT / name).exists(), f"{name} changes how Binder builds; environment.yml is the spec"


def test_repo2docker_installs_lstmkit_from_environment_yml(tmp_path):
    require(REPO2DOCKER.exists(), f"{REPO2DOCKER} is missing (it is pinned in requirements.txt)")
    text = dockerfile(tmp_path)
    # the conda build pack with its Python 3.11 base environment
    # (repo2docker escapes the file's path: '.' -> '-2e', '-' -> '-2d')
    assert re.search(r"environment-2epy-2d3-2e11-2dlinux-2d64-2elock"
                     r"|environment\.py-3\.11-linux-64\.lock", text)
    copy = re.search(r"^COPY --chown=\S+ src/ \$\{REPO_DIR\}/$", text, re.M)
    workdir = re.search(r"^WORKDIR \$\{REPO_DIR\}$", text, re.M)
    update = re.search(r'env update -p \$\{NB_PYTHON_PREFIX\} --file "environment.yml"', text)
    assert copy and workdir and update, f"unexpected Dockerfile:\n{text}"
    # `.` resolves because the repository is copied, and is the working directory, before the update
    assert workdir.start() < copy.start() < update.start()
    # and nothing else installs packages behind environment.yml's back
    steps = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "requirements.txt" not in steps and "postBuild" not in steps


def test_readme_binder_badge_opens_an_existing_chapter():
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"https://mybinder\.org/v2/gh/[^/\s]+/[^/\s]+/main\?urlpath=lab/tree/(\S+?\.ipynb)\)",
                  readme)
    assert m, "README has no Binder badge of the form .../v2/gh/OWNER/REPO/main?urlpath=lab/tree/chapters/..."
    require((ROOT / m.group(1)).exists(), f"the badge opens {m.group(1)}, which does not exist yet")
