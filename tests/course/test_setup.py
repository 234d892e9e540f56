"""`make setup` and `make lock` (tools/pip-install): uv when it can be had, pip when not, one lock.

1. The lock: requirements.txt is what `make lock` writes from requirements.in (a rerun changes no
   byte). It asks the package index (PyPI), but the answer cannot drift: packages uploaded after
   the date in the lock's header are left out.
2. uv reads none of pip's configuration, so the script hands pip's sources to it: the index, the
   extra indexes, the wheelhouse (--find-links), pip's certificate; and PyTorch's CPU index
   (TORCH_INDEX_URL) only when the wheelhouse lacks torch's wheel. A stand-in uv records what it is
   given, so this runs in seconds.
3. Where uv cannot be had, set-up still succeeds, with pip, and says why on one line (slow: a real
   environment of the whole lock, from pip's cache when warm: 2-4 minutes).
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_environment import pins

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "pip-install"
UV_VERSION = re.search(r"^uv_version=(\S+)$", SCRIPT.read_text(), re.M).group(1)


def run_script(*args, env, timeout=600):
    return subprocess.run(["bash", str(SCRIPT), *map(str, args)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "INSTALLER", "UPGRADE")}
    env.update(PYTHON=sys.executable, **extra)
    return env


def test_the_lock_is_what_make_lock_writes(tmp_path):
    # the uv that `make setup` put next to this Python, or (a pip set-up) one installed for the test
    venv = Path(sys.prefix)
    if not (venv / "bin" / "uv").exists():
        venv = tmp_path / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    lock = tmp_path / "requirements.txt"
    lock.write_bytes((ROOT / "requirements.txt").read_bytes())
    result = run_script("--lock", venv, lock, env=base_env())
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"uv {UV_VERSION}" in subprocess.run([str(venv / "bin" / "uv"), "--version"], capture_output=True,
                                                text=True).stdout
    if lock.read_text() != (ROOT / "requirements.txt").read_text():
        diff = subprocess.run(["diff", str(ROOT / "requirements.txt"), str(lock)], capture_output=True, text=True)
        pytest.fail(f"requirements.txt is not what `make lock` writes; run `make lock`:\n{diff.stdout[:3000]}")
    header = lock.read_text().splitlines()[:3]
    assert any(re.search(r"uploaded after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ are not considered", h) for h in header)
    assert pins("requirements.txt")["torch"].endswith("+cpu")


FAKE_UV = """#!/bin/sh
# a stand-in uv: reports the pinned version, records every other call, and finds torch's wheel
# locally only when TORCH_IS_LOCAL=1
[ "$1" = --version ] && { echo "uv {version} (stand-in)"; exit 0; }
echo "SSL_CERT_FILE=$SSL_CERT_FILE $*" >> "{log}"
case " $* " in *" --dry-run "*) [ "$TORCH_IS_LOCAL" = 1 ]; exit $? ;; esac
exit 0
"""


@pytest.mark.parametrize("torch_is_local", [True, False], ids=["wheelhouse-has-torch", "torch-from-its-index"])
def test_uv_gets_pips_sources_and_the_torch_index_only_when_needed(tmp_path, torch_is_local):
    venv, log, wheels = tmp_path / "venv", tmp_path / "uv.log", tmp_path / "wheels"
    wheels.mkdir()
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (venv / "bin" / "uv").write_text(FAKE_UV.replace("{version}", UV_VERSION).replace("{log}", str(log)))
    (venv / "bin" / "uv").chmod(0o755)
    env = base_env(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL="https://mirror.example/simple",
                   PIP_EXTRA_INDEX_URL="file:///srv/extra/simple", PIP_FIND_LINKS=str(wheels),
                   PIP_CERT="/etc/ssl/course-ca.pem", TORCH_INDEX_URL="https://torch-mirror.example/cpu",
                   TORCH_IS_LOCAL="1" if torch_is_local else "0")
    for name in ("PIP_CONSTRAINT", "PIP_NO_INDEX", "SSL_CERT_FILE"):
        env.pop(name, None)
    result = run_script(venv, env=env)
    assert result.returncode == 0, result.stderr
    assert f"installing with uv {UV_VERSION}" in result.stdout and "pip instead" not in result.stderr
    calls = log.read_text().splitlines()
    dry_run = [c for c in calls if " --dry-run " in c]
    install = [c for c in calls if " pip install " in c and "--dry-run" not in c]
    assert len(dry_run) == 1 and f"--find-links {wheels}" in dry_run[0] and "--no-index" in dry_run[0]
    assert re.search(r" torch==\S+\+cpu$", dry_run[0])
    assert len(install) == 1
    call = install[0]
    for part in ("SSL_CERT_FILE=/etc/ssl/course-ca.pem ", "--index-url https://mirror.example/simple",
                 "--extra-index-url file:///srv/extra/simple", f"--find-links {wheels}",
                 "--index-strategy unsafe-best-match", "-r requirements.txt -e .", f"--python {venv}/bin/python"):
        assert part in call, f"{part!r} missing from {call!r}"
    assert ("--extra-index-url https://torch-mirror.example/cpu" in call) is not torch_is_local
    # the venv was made without pip: uv adds the pip that `python -m venv` would have installed
    import ensurepip
    assert call.endswith(f" pip=={ensurepip.version()}")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_setup_falls_back_to_pip_when_uv_cannot_be_had(tmp_path):
    # pip cannot install uv here (a constraint no uv release meets, as when the index has no uv for
    # this machine or is out of reach): set-up must say so on one line and install everything with pip
    constraint = tmp_path / "no-uv.txt"
    constraint.write_text("uv<0.0.1\n")
    venv = tmp_path / "venv"
    result = run_script(venv, env=base_env(PIP_CONSTRAINT=str(constraint)), timeout=1700)
    assert result.returncode == 0, f"set-up failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    said = [line for line in result.stderr.splitlines() if "installing with pip instead" in line]
    assert len(said) == 1, result.stderr
    assert said[0].startswith(f"uv {UV_VERSION} could not be installed (") and "uv" in said[0].split("(", 1)[1]
    assert "installing with uv" not in result.stdout
    assert not (venv / "bin" / "uv").exists()
    # every pin of the lock is installed at its version, and lstmkit is the checkout's (editable)
    probe = ("import importlib.metadata as m, lstmkit, torch\n"
             "print(lstmkit.__file__)\n"
             "for d in m.distributions(): print(d.metadata['Name'], d.version)")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True,
                         cwd=tmp_path, env=base_env())
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert Path(lines[0]).resolve() == ROOT / "lstmkit" / "__init__.py"
    installed = {}
    for line in lines[1:]:
        name, version = line.split()
        installed[re.sub(r"[-_.]+", "-", name).lower()] = version
    lock = {re.sub(r"[-_.]+", "-", k): v for k, v in pins("requirements.txt").items()}
    assert {k: installed.get(k) for k in lock} == lock
