"""One student cannot reach another's work: real system accounts on a real JupyterHub on 127.0.0.1.

The hub is classroom/jupyterhub/jupyterhub_config.py with benchmarks/bench_class.py's test overrides
(a test login instead of PAM, ports of its own) and the class's own spawner, which runs each server
as its student, in their home. Three accounts, made as a class's accounts get made:

- `adduser`: JupyterHub's own `LocalAuthenticator.add_user_cmd` (`create_system_users`);
- `useradd -m`: a plain `useradd -m`, as provisioning scripts do (a 0755 home on Debian 12);
- `useradd -m` with work in it from before the hub: a 0755 home, a course folder and a notebook
  saved under umask 022 (0644). The test first checks that another account can read that work.

Each student starts a server and saves a notebook into their course folder through the hub; one
also opens a kernel and a terminal. Then: every home, course folder and notebook is private (0700,
0700, 0600 or stricter; nothing in the course folder, nor in a home that was open, grants group or
others anything), every process of every student runs with umask 077; for every pair, the other
student cannot list, read or overwrite any of it from the shell (`runuser -u OTHER`: each attempt
fails with "Permission denied"), finds nothing of it in /tmp, /var/tmp, /dev/shm or /home, and
cannot reach it through the hub with their token. The accounts' names are new in every run; the
accounts, their homes and every process they own are removed at the end, also on failure. Needs
root (CI runs as root); about 20 s of CPU time, 90 s of wall time on a 2-core machine shared with
other jobs.

The fast tests check the config's steps without root, on a folder standing for a home: an open home
and course folder become 0700, a missing home is made, a link is not followed, a home another
account owns (or `/`) stops the spawn, and the spawner's servers start with umask 077.
"""
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_hub import _bench, _hub_config

from browser_support import ROOT, require

HUB_DIR = ROOT / "classroom" / "jupyterhub"
NOTEBOOK = "lstmkit/exercises/03_lstm_cell.ipynb"       # in the course folder, where the class works


def _homes():
    if str(HUB_DIR) not in sys.path:                     # as the hub's config does, before it imports it
        sys.path.insert(0, str(HUB_DIR))
    import student_homes

    return student_homes


# ---- the config's parts, without root --------------------------------------------------------------

def _fake_account(monkeypatch, home, uid):
    """student_homes, looking up every account as one named 'student' with this home and uid."""
    homes = _homes()
    entry = pwd.struct_passwd(("student", "x", uid, os.getgid(), "", str(home), "/bin/sh"))
    monkeypatch.setattr(homes, "pwd", SimpleNamespace(getpwnam=lambda name: entry, getpwuid=pwd.getpwuid))
    return homes


def test_an_open_home_and_its_course_folder_become_private(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "lstmkit").mkdir(parents=True)
    home.chmod(0o755)
    (home / "lstmkit").chmod(0o755)
    homes = _fake_account(monkeypatch, home, os.getuid())
    assert homes.make_home_private("student") is True, "a 0755 home was open"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "lstmkit").stat().st_mode) == 0o700
    assert homes.make_home_private("student") is False, "the second time it was already private"


def test_a_missing_home_is_made_private(tmp_path, monkeypatch):
    homes = _fake_account(monkeypatch, tmp_path / "new", os.getuid())
    assert homes.make_home_private("student") is False
    info = (tmp_path / "new").stat()
    assert stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()


def test_a_link_in_the_home_is_not_followed(tmp_path, monkeypatch):
    # a student who points ~/lstmkit at a folder elsewhere must not get the hub (root) to change it
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    elsewhere.chmod(0o755)
    (home / "lstmkit").symlink_to(elsewhere)
    homes = _fake_account(monkeypatch, home, os.getuid())
    homes.make_home_private("student")
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_a_home_someone_else_owns_stops_the_spawn(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    homes = _fake_account(monkeypatch, home, os.getuid() + 4242)
    with pytest.raises(PermissionError, match="is owned by .*, not by student"):
        homes.make_home_private("student")
    assert stat.S_IMODE(home.stat().st_mode) == 0o755, "nothing is changed in a folder that is not the student's"
    homes = _fake_account(monkeypatch, "/", os.getuid())
    with pytest.raises(ValueError, match="must be a folder of its own, got '/'"):
        homes.make_home_private("student")


def test_the_servers_start_with_umask_077():
    spawner = _hub_config().JupyterHub.spawner_class()
    assert spawner.__class__.__name__ == "PrivateLocalProcessSpawner"
    me = pwd.getpwuid(os.getuid()).pw_name
    out = subprocess.run(["sh", "-c", "umask"], preexec_fn=spawner.make_preexec_fn(me),
                         capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.strip() == "0077"


# ---- real accounts on a real hub --------------------------------------------------------------------

def _as(user, *cmd, input=None):
    """Run cmd as `user` (no groups but theirs), from /."""
    return subprocess.run(["runuser", "-u", user, "--", *cmd], input=input, capture_output=True, cwd="/",
                          timeout=60)


def _pids_of(uid):
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and proc.stat().st_uid == uid:
                pids.append(int(proc.name))
        except OSError:
            pass
    return pids


def _end_processes(name):
    """Kill every process of the account `name` (by pid, found by their owner)."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        return None
    end = time.monotonic() + 20
    while (pids := _pids_of(account.pw_uid)) and time.monotonic() < end:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.2)
    return account


def _remove_account(name):
    """Kill every process of `name`, then remove the account, its group and its home."""
    account = _end_processes(name)
    if account is None:
        return
    subprocess.run(["userdel", "-r", name], capture_output=True, timeout=60)
    subprocess.run(["groupdel", name], capture_output=True, timeout=60)   # if userdel left it
    if Path(account.pw_dir).name == name:
        shutil.rmtree(account.pw_dir, ignore_errors=True)


@contextmanager
def system_accounts(makers):
    """Create the accounts {name: command}; remove them all at the end, also on failure."""
    made = []
    try:
        for name, command in makers.items():
            made.append(name)
            subprocess.run([*command, name], check=True, capture_output=True, timeout=60)
        yield list(makers)
    finally:
        for name in made:
            _remove_account(name)


# what a student's server and kernel do not import, and is large to copy
NOT_FOR_THE_SERVER = ("torch", "torch-*", "functorch", "playwright", "playwright-*", "sympy", "sympy-*",
                      "nvidia*", "triton*", "__pycache__")


def _readable_copy(packages, to):
    """The test's packages where every account can read them: hard links where the file system allows
    (no copy, the same files), else copies. Only for an environment inside a folder others cannot enter."""
    def link_or_copy(source, target):
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        os.chmod(target, 0o644 | (os.stat(source).st_mode & 0o111))

    shutil.copytree(packages, to, symlinks=True, copy_function=link_or_copy,
                    ignore=shutil.ignore_patterns(*NOT_FOR_THE_SERVER))
    for folder, _, _ in os.walk(to):
        os.chmod(folder, 0o755)
    return str(to)


@contextmanager
def students_environment(account, extensions=()):
    """A folder to stand for the students' environment (LSTMKIT_STUDENT_ENV), readable by all; its
    servers load jupyter_server_terminals and the server `extensions` named.

    Its bin/jupyterhub-singleuser runs this test's packages with a Python that `account` can run: this
    one, or the system's of the same version (a virtualenv's interpreter may live where only root can
    enter, as under /root/.pyenv), and the test's packages, or a readable copy of them when they too
    live where only root can enter (a clone under /root). Removed at the end.
    """
    import sysconfig

    folder = Path(tempfile.mkdtemp(prefix="lstmkit-students-env-"))
    try:
        folder.chmod(0o755)
        (folder / "bin").mkdir(mode=0o755)
        (folder / "etc").mkdir(mode=0o755)          # the servers' one extension: terminals
        (folder / "etc" / "jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": dict.fromkeys(("jupyter_server_terminals", *extensions), True)}}))
        script = folder / "bin" / "jupyterhub-singleuser"
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        packages = sysconfig.get_paths()["purelib"]
        if _as(account, "test", "-r", f"{packages}/jupyterhub/__init__.py").returncode != 0:
            packages = _readable_copy(packages, folder / "site-packages")   # e.g. a clone under /root
        for python in (os.path.realpath(sys.executable), shutil.which(version, path="/usr/local/bin:/usr/bin")):
            if python:
                script.write_text(f"#!{python}\nimport os\nimport site\nimport sys\n"
                                  f"site.addsitedir({packages!r})\n"
                                  f"os.environ['PYTHONPATH'] = {packages!r}   # for the kernels it starts\n"
                                  f"os.environ['JUPYTER_CONFIG_PATH'] = {str(folder / 'etc')!r}\n"
                                  "from jupyterhub.singleuser import main\nsys.exit(main())\n")
                script.chmod(0o755)
                if _as(account, python, "-c", "pass").returncode == 0:
                    yield folder
                    return
        require(False, f"no {version} that {account} may run: the students' servers need one")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _save(hub, name, token, secret):
    """Save a notebook holding `secret` into NAME's course folder through the hub; returns its path."""
    import nbformat
    import requests

    base, auth = f"{hub.url}/user/{name}/api/contents", {"Authorization": f"token {token}"}
    for folder in ("lstmkit", "lstmkit/exercises"):
        requests.put(f"{base}/{folder}", headers=auth, json={"type": "directory"}, timeout=60).raise_for_status()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"{name}'s answer: {secret}")])
    requests.put(f"{base}/{NOTEBOOK}", headers=auth, json={"type": "notebook", "content": nb},
                 timeout=60).raise_for_status()
    return Path(pwd.getpwnam(name).pw_dir) / NOTEBOOK


def _denied(result):
    return result.returncode != 0 and b"Permission denied" in result.stderr


def _private_failures(name, saved, secret, was_open):
    """What of NAME's files or servers is not private.

    Everything in the course folder must grant group and others nothing; if the home was open before
    the hub, everything in the home (a private home may hold the account's 0644 skeleton files: no one
    else can reach them).
    """
    failures = []
    account = pwd.getpwnam(name)
    for path, mode in ((account.pw_dir, 0o700), (Path(account.pw_dir) / "lstmkit", 0o700)):
        info = os.stat(path)
        if (stat.S_IMODE(info.st_mode), info.st_uid) != (mode, account.pw_uid):
            failures.append(f"{path}: mode {stat.S_IMODE(info.st_mode):o}, uid {info.st_uid}, "
                            f"expected {mode:o} and {name}'s")
    info = saved.stat()
    if stat.S_IMODE(info.st_mode) & 0o077 or info.st_uid != account.pw_uid or secret not in saved.read_text():
        failures.append(f"{saved}: mode {stat.S_IMODE(info.st_mode):o}, uid {info.st_uid}; expected 0600 "
                        f"or stricter, {name}'s, holding the saved answer")
    where = account.pw_dir if was_open else f"{account.pw_dir}/lstmkit"
    found = subprocess.run(["find", where, "!", "-type", "l", "-perm", "/077"], capture_output=True,
                           text=True, check=True, timeout=60).stdout.split()
    if found:
        failures.append(f"{name}: these grant group or others a right: {found}")
    processes = _processes(account.pw_uid)
    umasks = {pid: umask for pid in processes if (umask := _umask(pid)) is not None}
    if not any(b"jupyterhub-singleuser" in cmd for cmd in processes.values()) or set(umasks.values()) != {"0077"}:
        failures.append(f"{name}: processes {processes} with umasks {umasks}, expected a server, all 0077")
    return failures


def _umask(pid):
    """The umask of a running process, or None once it has exited (a zombie's status has no Umask line)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return status.split("Umask:")[1].split()[0] if "Umask:" in status else None


def _processes(uid):
    """{pid: command line} of the processes that `uid` owns."""
    found = {}
    for pid in _pids_of(uid):
        try:
            found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            pass
    return found


def _open_kernel_and_terminal(hub, name, token, timeout=90):
    """Start a kernel and a terminal on NAME's server; wait until both run (as NAME)."""
    import requests

    base, auth = f"{hub.url}/user/{name}/api", {"Authorization": f"token {token}"}
    requests.post(f"{base}/kernels", headers=auth, json={"name": "python3"}, timeout=60).raise_for_status()
    requests.post(f"{base}/terminals", headers=auth, timeout=60).raise_for_status()
    uid, end = pwd.getpwnam(name).pw_uid, time.monotonic() + timeout
    while True:
        running = _processes(uid)        # the server, the kernel and the terminal's shell
        if any(b"ipykernel" in cmd for cmd in running.values()) and len(running) >= 3:
            return
        if time.monotonic() > end:
            raise TimeoutError(f"{name}: no kernel and terminal within {timeout} s: {running}")
        time.sleep(0.5)


def _reach_failures(other, saved):
    """What of the others' files ({name: saved notebook}) the student OTHER reaches from the shell."""
    failures = []
    for name, notebook in saved.items():
        home = pwd.getpwnam(name).pw_dir
        attempts = {
            "lists the home": ("ls", home),
            "lists the course folder": ("ls", f"{home}/lstmkit"),
            "reads the notebook": ("cat", str(notebook)),
            "overwrites the notebook": ("sh", "-c", f"printf x > {notebook}"),
            "adds a file to the course folder": ("touch", f"{home}/lstmkit/exercises/planted.ipynb"),
            "adds a file to the home": ("touch", f"{home}/planted"),
        }
        results = {what: _as(other, *cmd) for what, cmd in attempts.items()}
        failures += [f"{other} {what} of {name}: {result}" for what, result in results.items() if not _denied(result)]
    # the places every account may write to: nothing of the others' there that OTHER may read or change
    owners = [arg for name in saved for arg in ("-o", "-user", name)][1:]
    shared = _as(other, "find", "/tmp", "/var/tmp", "/dev/shm", "/home", "(", *owners, ")",
                 "(", "-readable", "-o", "-writable", ")", "-print")
    if shared.stdout.strip():
        failures.append(f"{other} reaches these of the others': {shared.stdout.decode().split()}")
    return failures


def _crossing_failures(bench, hub, tokens, saved, other):
    """What the student OTHER reaches of every other student's, from the shell and through the hub."""
    others = {name: path for name, path in saved.items() if name != other}
    failures = _reach_failures(other, others)
    for name in others:
        failures += bench.isolation_failures(hub, {"name": other, "token": tokens[other]},
                                             {"name": name, "token": tokens[name]}, nb=NOTEBOOK)
    return failures


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_students_on_real_accounts_cannot_reach_each_other(tmp_path, monkeypatch):
    bench = _bench()
    require(os.geteuid() == 0, "making system accounts needs root (CI runs as root)")
    require(all(shutil.which(p) for p in ("adduser", "useradd", "userdel", "runuser")),
            "adduser, useradd, userdel and runuser are needed")
    require(bench.CHP.exists(), f"{bench.CHP} is missing: run `make hub-proxy`")
    from jupyterhub.auth import LocalAuthenticator

    tag = secrets.token_hex(3)
    made_by = {f"lk{tag}add": LocalAuthenticator().add_user_cmd,     # JupyterHub's create_system_users
               f"lk{tag}use": ["useradd", "-m"],
               f"lk{tag}old": ["useradd", "-m"]}                       # with work from before the hub
    with ExitStack() as stack:
        names = stack.enter_context(system_accounts(made_by))
        first, second, old = names
        # the old account's home is open as `useradd -m` leaves it on Debian 12 (and older Ubuntu's
        # adduser): 0755, and a notebook saved under umask 022
        old_home = Path(pwd.getpwnam(old).pw_dir)
        old_home.chmod(0o755)
        _as(old, "sh", "-c", f"umask 022 && mkdir -p {old_home}/lstmkit/exercises && cat > {old_home}/{NOTEBOOK}",
            input=b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}').check_returncode()
        assert _as(first, "cat", str(old_home / NOTEBOOK)).returncode == 0, \
            "before the hub, another account can read the old account's notebook"
        was_open = {name: bool(os.stat(pwd.getpwnam(name).pw_dir).st_mode & 0o077) for name in names}
        env = stack.enter_context(students_environment(first))
        monkeypatch.setenv("LSTMKIT_STUDENT_ENV", str(env))   # read by the config
        hub = bench.Hub(tmp_path / "hub", names, system_users=True)
        try:
            hub.start()
            with ThreadPoolExecutor(len(names)) as pool:
                tokens = dict(zip(names, pool.map(lambda n: bench.start_server(hub, n, 120), names), strict=True))
            secrets_ = {name: secrets.token_hex(8) for name in names}
            saved = {name: _save(hub, name, tokens[name], secrets_[name]) for name in names}
            _open_kernel_and_terminal(hub, first, tokens[first])   # they must inherit the umask too
            digests = {name: hashlib.sha256(saved[name].read_bytes()).hexdigest() for name in names}

            failures = [f for name in names
                        for f in _private_failures(name, saved[name], secrets_[name], was_open[name])]
            with ThreadPoolExecutor(len(names)) as pool:
                for found in pool.map(lambda other: _crossing_failures(bench, hub, tokens, saved, other), names):
                    failures += found
            assert not failures, "\n".join(failures) + "\n--- the hub's log ---\n" + hub.tail()
            changed = [n for n in names if hashlib.sha256(saved[n].read_bytes()).hexdigest() != digests[n]]
            assert changed == [], "these students' notebooks were changed by someone else"
        finally:
            for name in names:         # first the servers (the hub would give each 10 s to stop)
                _end_processes(name)
            bench._stop_everything(hub, names, tmp_path / "hub")
    for name in names:
        with pytest.raises(KeyError):
            pwd.getpwnam(name)
