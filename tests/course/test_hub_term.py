"""A term on a real JupyterHub, end to end: the class edition handed out, submitted, graded, returned.

Ten real accounts on the class's hub (classroom/jupyterhub/jupyterhub_config.py with the test
overrides of benchmarks/bench_class.py, each server run as its student, in their home):

1. the instructor builds the class edition (`make class-edition`) and serves its branch from a git
   server on 127.0.0.1; each student's nbgitpuller link pulls it into ~/lstmkit. No home holds a
   solution;
2. each student hands in one scripted notebook through the hub, as JupyterLab saves it: the solution,
   the untouched release, a typical mistake, a cell that raises, four cheats from
   answer cells, a kernel that exits, and one student who worked in a renamed copy
   (`03_lstm_cell-Copy1.ipynb`);
3. the instructor collects from the homes (`make collect`: the renamed copy is reported, not
   graded), autogrades, and returns the feedback (`make return`);
4. the gradebook holds exactly the points tools/make_classroom.py's rehearsal expects of each
   notebook (the cheats only what they really solved; the dead kernel not graded), and every student
   reads their own feedback through the hub and nobody else's, through the hub or from the shell.

Needs root (CI runs as root), git's daemon and the pinned proxy; about 3 minutes on 2 cores.
"""
import os
import pwd
import secrets
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import nbformat
import pytest
from test_class_edition import _tool
from test_hub import _bench
from test_hub_accounts import _as, _denied, _end_processes, students_environment, system_accounts

from browser_support import ROOT, require

ASSIGNMENT = "03_lstm_cell"
NOTEBOOK = f"lstmkit/exercises/{ASSIGNMENT}.ipynb"
RENAMED = f"lstmkit/exercises/{ASSIGNMENT}-Copy1.ipynb"
FEEDBACK = f"lstmkit/feedback/{ASSIGNMENT}.html"
# each student's notebook: a submission of the rehearsal's plan (tools/make_classroom.py)
CLASS = {"full": "full-marks", "untouched": "untouched", "mistake": "mistake", "raises": "raises",
         "patch": "cheat-patched-checks", "ref": "cheat-calls-reference",
         "agree": "cheat-agreeing", "fake": "cheat-fake-module", "dies": "kernel-dies", "copy": "full-marks"}


@contextmanager
def git_server(base):
    """git's daemon serving the repositories under `base` read-only on 127.0.0.1; yields its URL."""
    port = _bench()._free_port()
    proc = subprocess.Popen(["git", "daemon", "--export-all", f"--base-path={base}", "--listen=127.0.0.1",
                             f"--port={port}", "--reuseaddr", str(base)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        end = time.monotonic() + 20
        while subprocess.run(["git", "ls-remote", f"git://127.0.0.1:{port}/lstmkit.git"],
                             capture_output=True).returncode != 0:
            assert time.monotonic() < end and proc.poll() is None, "git daemon did not start"
            time.sleep(0.2)
        yield f"git://127.0.0.1:{port}/lstmkit.git"
    finally:
        proc.kill()
        proc.wait(timeout=30)


def _pull(hub, name, token, repo, branch):
    """What the student's nbgitpuller link does on the first visit: clone the branch into ~/lstmkit."""
    import requests

    reply = requests.get(f"{hub.url}/user/{name}/git-pull/api", params={
        "repo": repo, "branch": branch, "targetpath": "lstmkit"},
        headers={"Authorization": f"token {token}"}, timeout=120)
    reply.raise_for_status()
    assert '"phase": "finished"' in reply.text, reply.text[-2000:]


def _contents(hub, name, token, path, notebook=None):
    """GET (or PUT, with a notebook) a file of NAME's server through the hub, with `token`."""
    import requests

    url, auth = f"{hub.url}/user/{name}/api/contents/{path}", {"Authorization": f"token {token}"}
    if notebook is None:
        return requests.get(url, headers=auth, params={"content": 1}, timeout=60)
    return requests.put(url, headers=auth, json={"type": "notebook", "content": notebook}, timeout=60)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_term_on_real_accounts(edition, tmp_path, monkeypatch):
    bench, tool = _bench(), _tool()
    require(os.geteuid() == 0, "making system accounts needs root (CI runs as root)")
    require(all(shutil.which(p) for p in ("useradd", "userdel", "runuser", "git")), "useradd, runuser and git")
    require(bench.CHP.exists(), f"{bench.CHP} is missing: run `make hub-proxy`")
    plan = {sub.student: sub for sub in tool.PLAN[ASSIGNMENT]}
    source = tool.source_notebook(ROOT / "solutions" / f"{ASSIGNMENT}.ipynb")

    # 1. the class edition, on its branch, served as a course's repository is
    served = tmp_path / "served"
    subprocess.run(["git", "init", "-q", "--bare", str(served / "lstmkit.git")], check=True)
    branch, _ = tool.commit_edition(edition, repo=served / "lstmkit.git")

    tag = secrets.token_hex(2)
    accounts = {f"lk{tag}{short}": CLASS[short] for short in CLASS}
    names = list(accounts)
    with ExitStack() as stack:
        stack.enter_context(system_accounts({name: ["useradd", "-m"] for name in names}))
        repo = stack.enter_context(git_server(served))
        env = stack.enter_context(students_environment(names[0], extensions=("nbgitpuller",)))
        monkeypatch.setenv("LSTMKIT_STUDENT_ENV", str(env))
        monkeypatch.setenv("LSTMKIT_CELL_TIMEOUT", "10")        # the rehearsal's: a 60 s timeout is the class's
        hub = bench.Hub(tmp_path / "hub", names, system_users=True)
        try:
            hub.start()
            with ThreadPoolExecutor(4) as pool:
                tokens = dict(zip(names, pool.map(lambda n: bench.start_server(hub, n, 240), names), strict=True))
                list(pool.map(lambda n: _pull(hub, n, tokens[n], repo, branch), names))
            homes = {name: Path(pwd.getpwnam(name).pw_dir) for name in names}
            handed_out = (edition / "exercises" / f"{ASSIGNMENT}.ipynb").read_bytes()
            for name, home in homes.items():
                assert (home / NOTEBOOK).read_bytes() == handed_out, f"{name} has the class edition's exercise"
                assert not (home / "lstmkit" / "solutions").exists()
            leaks = subprocess.run(["grep", "-rl", "BEGIN SOLUTION", *map(str, homes.values())],
                                   capture_output=True, text=True)
            assert leaks.stdout == "", f"solutions in the students' homes: {leaks.stdout}"

            # 2. each student saves their notebook through the hub, as JupyterLab does
            for name, submission in accounts.items():
                release = nbformat.from_dict(_contents(hub, name, tokens[name], NOTEBOOK).json()["content"])
                notebook = plan[submission].make(release, source)
                path = RENAMED if name.endswith("copy") else NOTEBOOK
                _contents(hub, name, tokens[name], path, notebook).raise_for_status()

            # 3. collect, grade, return
            course = tmp_path / "course"
            tool.write_sources(course, [ROOT / "solutions" / f"{ASSIGNMENT}.ipynb"])
            tool.nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
            copy = next(n for n in names if n.endswith("copy"))
            found = tool.collect(course, ASSIGNMENT, names)
            assert found == {"collected": names, "missing": [], "renamed": {copy: [Path(RENAMED).name]}}
            graded = tool.nbgrader(course, "autograde", ASSIGNMENT, "--force", check=False)
            scores = tool.gradebook_scores(course, ASSIGNMENT, names)
            tool.nbgrader(course, "generate_feedback", ASSIGNMENT, "--force", check=False)
            returned = tool.give_back(course, ASSIGNMENT, names)

            # 4. exactly the scripted points; each student reads their own feedback and no one else's
            expected = {name: 0 if name == copy else plan[sub].auto_points for name, sub in accounts.items()}
            got = {name: None if scores[name] is None else scores[name][0] for name in names}
            assert got == expected, graded.stderr[-3000:]
            dead = next(n for n in names if n.endswith("dies"))
            assert "DeadKernelError" in (tool.refusal(graded.stderr, dead) or "")
            assert sorted(returned) == sorted(n for n in names if expected[n] is not None)
            failures = []
            for name in returned:
                mine = _contents(hub, name, tokens[name], FEEDBACK)
                if mine.status_code != 200 or f"Score: {expected[name]:.1f}" not in mine.json()["content"]:
                    failures.append(f"{name} cannot read their feedback: {mine.status_code}")
                for other in names:
                    if other != name:
                        theirs = _contents(hub, name, tokens[other], FEEDBACK)
                        if theirs.status_code not in (403, 404):
                            failures.append(f"{other} reads {name}'s feedback through the hub: {theirs.status_code}")
                shell = _as(next(o for o in names if o != name), "cat", str(homes[name] / FEEDBACK))
                if not _denied(shell):
                    failures.append(f"another student reads {name}'s feedback from the shell: {shell}")
            assert not failures, "\n".join(failures) + "\n--- the hub's log ---\n" + hub.tail()
        finally:
            for name in names:
                _end_processes(name)
            bench._stop_everything(hub, names, tmp_path / "hub")
