"""The three lists of packages agree: requirements.in, requirements.txt (the lock) and environment.yml."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
    local_only = {"nbgrader", "jupyter-book", "jupyter-repo2docker", "playwright", "build", "twine"}
    missing = set(pins("requirements.in")) - set(pins("environment.yml")) - local_only
    assert not missing, f"in requirements.in but not in environment.yml: {sorted(missing)}"
