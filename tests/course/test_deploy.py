"""The class's deployments, each checked by the tool (or the schema) that reads its file.

1. The Kubernetes image: Zero to JupyterHub mounts each student's volume over /home/jovyan, where
   repo2docker put the repository. Installed as environment.yml's pip line says, from a copy of the
   repository that is then removed, lstmkit must still import, with its data, from a home laid out
   as nbgitpuller leaves it (~/lstmkit is the course's repository root, not the package).
2. classroom/jupyterhub/z2jh-values.yaml, merged into the chart's defaults as Helm merges it, against
   the chart's own values schema (both vendored, with their provenance); a typo'd key fails it.
3. classroom/tljh/config.yaml against The Littlest JupyterHub's config schema (vendored likewise), and
   classroom/tljh/requirements.txt, which installs the course and leaves TLJH its own Python and Jupyter.
4. classroom/jupyterhub/jupyterhub_config.py loaded by JupyterHub itself, whose traits take every value.
All fast: pip installs lstmkit alone (--no-deps, no build isolation), nothing is downloaded.
"""
import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import numpy
import pytest
import yaml

import lstmkit

ROOT = Path(__file__).resolve().parents[2]
HUB = ROOT / "classroom" / "jupyterhub"
TLJH = ROOT / "classroom" / "tljh"
CLASS_BRANCH = f"class-v{lstmkit.__version__}"   # the branch `make class-edition` commits to
REPOSITORY = tomllib.loads((ROOT / "tools" / "links.toml").read_text())["repository"]   # where the course lives


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


def with_typo(tree, path):
    """A copy of a config tree with a value at dotted path, a key the tool does not know (a typo)."""
    tree = copy.deepcopy(tree)
    *parents, key = path.split(".")
    node = tree
    for part in parents:
        node = node[part]
    node[key] = "1G"
    return tree


# ------------------------------------------------------------------ Zero to JupyterHub

def helm_merge(base, override):
    """Values as Helm merges them: maps key by key, anything else (lists too) replaced, null deletes."""
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def z2jh_values():
    return yaml.safe_load((HUB / "z2jh-values.yaml").read_text())


def z2jh_errors(values):
    """What the chart's schema finds wrong in values merged into the chart's defaults (as `helm` does)."""
    schema = json.loads((HUB / "z2jh-values.schema.json").read_text())
    defaults = yaml.safe_load((HUB / "z2jh-chart-defaults.yaml").read_text())
    merged = helm_merge(helm_merge(defaults, values), yaml.safe_load((HUB / "z2jh-roster.example.yaml").read_text()))
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in jsonschema.Draft7Validator(schema).iter_errors(merged)]


def chart_header():
    """The chart version of the `helm upgrade` line in z2jh-values.yaml's header, and what the schema names."""
    version = re.search(r"helm upgrade .*?--version (\S+)", (HUB / "z2jh-values.yaml").read_text(), re.S).group(1)
    comment = json.loads((HUB / "z2jh-values.schema.json").read_text())["$comment"]
    return version, comment


def test_z2jh_values_pass_the_charts_schema():
    assert z2jh_errors(z2jh_values()) == []
    version, comment = chart_header()
    assert f"Helm chart {version}," in comment and f"at tag {version} " in comment, \
        f"the helm line installs chart {version}; the vendored schema is: {comment[:120]}"
    defaults = (HUB / "z2jh-chart-defaults.yaml").read_text()
    assert f"Helm chart {version} " in defaults.splitlines()[0]
    assert "z2jh-values.schema.LICENSE" in comment and "z2jh-values.schema.LICENSE" in defaults[:500]
    assert (HUB / "z2jh-values.schema.LICENSE").read_text().startswith("BSD 3-Clause License")


@pytest.mark.parametrize("path", ["singleuser.memory.limt", "proxy.https.letsencrypt.contactEmial",
                                  "singleuser.imagee", "hub.confg", "culll"])
def test_the_charts_schema_rejects_a_typo(path):
    errors = z2jh_errors(with_typo(z2jh_values(), path))
    assert errors and any(repr(path.split(".")[-1]) in e for e in errors), errors


def test_z2jh_values_log_in_the_roster_over_https_with_enforced_limits():
    values = z2jh_values()
    config = values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "oauthenticator.generic.GenericOAuthenticator"
    assert "client_secret" not in config["GenericOAuthenticator"], "a secret does not belong in git"
    assert config["GenericOAuthenticator"]["oauth_callback_url"] == \
        f"https://{values['proxy']['https']['hosts'][0]}/hub/oauth_callback"
    auth = config["Authenticator"]
    assert auth["allow_all"] is False and auth["admin_users"]
    roster = yaml.safe_load((HUB / "z2jh-roster.example.yaml").read_text())
    assert helm_merge(values, roster)["hub"]["config"]["Authenticator"]["allowed_users"] == ["alice", "bob"]
    assert helm_merge(values, roster)["hub"]["config"]["Authenticator"]["admin_users"] == auth["admin_users"]
    https = values["proxy"]["https"]
    assert https["enabled"] is True and https["type"] == "letsencrypt" and https["letsencrypt"]["contactEmail"]
    single = values["singleuser"]
    assert single["memory"]["limit"] and single["cpu"]["limit"]


def test_the_image_and_its_build_name_the_class_edition_branch():
    values = z2jh_values()
    assert values["singleuser"]["image"]["tag"] == CLASS_BRANCH
    header = (HUB / "z2jh-values.yaml").read_text().split("\nsingleuser:")[0]
    build = re.search(r"jupyter-repo2docker (.*?)\n#\s*docker push", header, re.S).group(1)
    args = shlex.split(build.replace("\\\n#", " "))
    assert args[args.index("--ref") + 1] == CLASS_BRANCH
    assert args[args.index("--target-repo-dir") + 1] == "/srv/lstmkit"
    assert args[args.index("--image-name") + 1] == f"{values['singleuser']['image']['name']}:{CLASS_BRANCH}"
    assert args[-1] == REPOSITORY
    assert f"docker push {values['singleuser']['image']['name']}:{CLASS_BRANCH}" in header


@pytest.mark.xfail(strict=True, reason="no Zero to JupyterHub release with JupyterHub 6 was found (4.4.0 runs 5.5.0)")
def test_the_charts_hub_runs_the_images_jupyterhub_major():
    _, comment = chart_header()
    hub = re.search(r"whose hub runs JupyterHub (\d+)\.", comment).group(1)
    image = re.search(r"jupyterhub==(\d+)\.", (ROOT / "environment.yml").read_text()).group(1)
    assert hub == image, f"the chart's hub runs JupyterHub {hub}.x, the image's jupyterhub-singleuser {image}.x"


# ------------------------------------------------------------------ The Littlest JupyterHub

def tljh_config():
    return yaml.safe_load((TLJH / "config.yaml").read_text())


def tljh_errors(config):
    """What `tljh-config` finds wrong in config (TLJH's jsonschema.validate call), and what its schema misses.

    TLJH's schema puts its `additionalProperties: False` inside `properties`, so it checks the keys of
    each section but not the sections' names; TLJH's configurer reads `auth` (class name -> settings)
    outside the schema and stops on a key there that is not a class name with a mapping.
    """
    schema = json.loads((TLJH / "config.schema.json").read_text())
    try:
        jsonschema.validate(instance=config, schema=schema)
        errors = []
    except jsonschema.ValidationError as e:
        errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"]
    sections = set(schema["properties"]) - {"additionalProperties"} | {"auth"}
    errors += [f"{key!r} is not a section TLJH reads" for key in set(config) - sections]
    errors += [f"auth.{key!r} is not a class name with its settings" for key, value in config.get("auth", {}).items()
               if key != "type" and not (key[:1].isupper() and isinstance(value, dict))]
    return errors


def test_tljh_config_passes_tljhs_schema():
    assert tljh_errors(tljh_config()) == []
    comment = json.loads((TLJH / "config.schema.json").read_text())["$comment"]
    version = re.search(r"The Littlest JupyterHub (\S+) ", comment).group(1)
    recipe = (HUB / "jupyterhub_config.py").read_text()
    assert f"bootstrap.py | sudo python3 - --version {version} " in recipe, "install the TLJH whose schema is vendored"
    assert "config.schema.LICENSE" in comment
    assert (TLJH / "config.schema.LICENSE").read_text().startswith("BSD 3-Clause License")


@pytest.mark.parametrize("path", ["limits.memroy", "https.letsencrypt.emial", "users.alowed",
                                  "services.cull.timout", "limit", "auth.client_id"])
def test_tljh_schema_rejects_a_typo(path):
    errors = tljh_errors(with_typo(tljh_config(), path))
    assert errors and any(repr(path.split(".")[-1]) in e for e in errors), errors


def test_tljh_config_logs_in_the_roster_over_https_with_enforced_limits():
    config = tljh_config()
    assert config["auth"]["type"] == "oauthenticator.generic.GenericOAuthenticator"
    oauth = config["auth"]["GenericOAuthenticator"]
    assert "client_secret" not in oauth, "a secret does not belong in git"
    assert oauth["oauth_callback_url"] == f"https://{config['https']['letsencrypt']['domains'][0]}/hub/oauth_callback"
    # an empty roster with a login provider lets only the admins in (TLJH opens the hub to everyone
    # only with its default authenticator)
    assert config["users"]["allowed"] == [] and config["users"]["admin"]
    assert config["https"]["enabled"] is True and config["https"]["letsencrypt"]["email"]
    assert config["services"]["cull"] == {**z2jh_values()["cull"], "enabled": True}
    limits = z2jh_values()["singleuser"]
    assert config["limits"] == {"memory": limits["memory"]["limit"], "cpu": limits["cpu"]["limit"]}


def test_tljh_installs_the_class_edition_and_leaves_tljh_its_own_jupyter():
    from packaging.requirements import Requirement

    lines = [line for line in (TLJH / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    options = [line for line in lines if line.startswith("--")]
    assert options == ["--extra-index-url https://download.pytorch.org/whl/cpu"]
    reqs = [Requirement(line) for line in lines if not line.startswith("--")]   # as pip parses each line
    course = next(r for r in reqs if r.name == "lstmkit")
    assert course.extras == {"all"}
    assert course.url == f"git+{REPOSITORY}@{CLASS_BRANCH}", "not the class edition's branch"
    pins = {r.name: str(r.specifier).removeprefix("==") for r in reqs if r.name != "lstmkit"}
    lock = {r.name: str(r.specifier).removeprefix("==") for r in map(Requirement, pinned_lines("requirements.txt"))}
    assert {name: lock.get(name) for name in pins} == pins, "the versions differ from requirements.txt"
    # what lstmkit[all] needs (pyproject), and the puller; nothing of TLJH's own environment
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = [*project["dependencies"], *project["optional-dependencies"]["course"],
              *project["optional-dependencies"]["torch"]]
    assert {Requirement(r).name for r in needed} | {"nbgitpuller"} == set(pins)
    assert not set(pins) & {"python", "jupyterhub", "jupyterlab", "notebook", "jupyter-server"}


def pinned_lines(path):
    return [line.split(";")[0].split(" ")[0] for line in (ROOT / path).read_text().splitlines()
            if re.match(r"^[A-Za-z0-9_.\-\[\]]+==", line)]


def test_the_tljh_recipe_installs_the_course_not_environment_yml():
    recipe = (HUB / "jupyterhub_config.py").read_text().split("\nimport ")[0]
    assert "environment.yml" not in recipe.split("The Littlest JupyterHub (TLJH")[1]
    assert "mamba env update" not in recipe
    assert "pip install -r classroom/tljh/requirements.txt" in recipe
    assert "cp classroom/tljh/config.yaml /opt/tljh/config/config.yaml" in recipe
    assert f"git clone --branch {CLASS_BRANCH} {REPOSITORY} " in recipe


# ------------------------------------------------------------------ one machine, plain JupyterHub

def test_jupyterhub_loads_the_single_machine_config_with_its_own_traits(tmp_path, monkeypatch):
    # tests/course/test_hub.py reads the raw values; here JupyterHub's own loader and trait types take
    # them (the spawner and authenticator classes resolved, "1G" parsed), with a roster beside the file
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import PAMAuthenticator

    monkeypatch.delenv("LSTMKIT_INSTRUCTORS", raising=False)
    monkeypatch.delenv("LSTMKIT_HUB_PORT", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))          # the config puts its folder on sys.path
    folder = tmp_path / "classroom" / "jupyterhub"
    shutil.copytree(HUB, folder, ignore=shutil.ignore_patterns("students.txt", "__pycache__"))
    (folder / "students.txt").write_text("alice\nbob\n\n")
    (tmp_path / "lstmkit").mkdir()           # links.py names the class edition after the checkout's version
    shutil.copy(ROOT / "lstmkit" / "__init__.py", tmp_path / "lstmkit")
    hub = JupyterHub()
    hub.load_config_file("jupyterhub_config.py", path=str(folder))
    assert (hub.ip, hub.port, hub.hub_ip) == ("127.0.0.1", 8000, "127.0.0.1")
    assert hub.spawner_class.__name__ == "PrivateLocalProcessSpawner"
    assert hub.authenticator_class is PAMAuthenticator
    spawner = hub.spawner_class(config=hub.config)
    assert (spawner.mem_limit, spawner.cpu_limit, spawner.ip) == (1024**3, 1.0, "127.0.0.1")
    assert spawner.environment["OMP_NUM_THREADS"] == "1"
    login = hub.authenticator_class(config=hub.config)
    assert login.admin_users == {"instructor"} and login.allowed_users == {"alice", "bob"}
    assert login.create_system_users is True
    assert [s["name"] for s in hub.services] == ["idle-culler"]
