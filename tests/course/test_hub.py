"""A class on one machine: a real JupyterHub on 127.0.0.1 (benchmarks/bench_class.py does the work).

N students (LSTMKIT_HUB_STUDENTS, default 6, 2 to 30; a class of 40 is measured in
benchmarks/README.md, and tests/course/test_hub_term.py runs a term for ten real accounts) log in
at once, start their servers and run chapter 03 over the kernel protocol; the hub is restarted;
everything is stopped at the end.
The test asserts what must hold on any machine: every server started, every notebook ran without
an error, nothing was lost or changed across the restart, no request across students or without a
token was served, nothing listened beyond 127.0.0.1. The times and memory are printed (and recorded
in benchmarks/README.md), never asserted. About a minute for 6 students on 2 cores.
"""
import importlib.util
import os
import pwd
import subprocess
import sys

import pytest

from browser_support import ROOT, require

STUDENTS = int(os.environ.get("LSTMKIT_HUB_STUDENTS", "6"))


def _bench():
    spec = importlib.util.spec_from_file_location("bench_class", ROOT / "benchmarks" / "bench_class.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_class_size_is_bounded():
    bench = _bench()
    for bad in (1, bench.MAX_STUDENTS + 1):
        with pytest.raises(ValueError, match="n_students must be between 2 and 30, got"):
            bench.run_class(bad)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_class_on_one_jupyterhub(tmp_path):
    bench = _bench()
    require(bench.CHP.exists(), f"{bench.CHP} is missing: run `make hub-proxy`")
    figures = bench.run_class(STUDENTS, workdir=tmp_path / "hub", log=print, timeout=240)
    print(bench.table(figures))
    assert figures["failures"] == []
    assert figures["servers_started"] == STUDENTS
    assert figures["errors"] == []
    assert figures["notebooks_executed"] == STUDENTS
    assert figures["lost_after_restart"] == []
    assert figures["isolation_failures"] == []
    assert figures["listening"] and figures["not_loopback"] == []
    assert not bench._ours(str(tmp_path / "hub")), "a process of the class outlived the test"


def _hub_config():
    from traitlets.config import PyFileConfigLoader

    return PyFileConfigLoader("jupyterhub_config.py", path=str(ROOT / "classroom" / "jupyterhub")).load_config()


def _links():
    spec = importlib.util.spec_from_file_location("links", ROOT / "classroom" / "jupyterhub" / "links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_single_machine_config_keeps_the_hub_local_and_pulls_the_course():
    c = _hub_config()
    assert c.JupyterHub.ip == c.JupyterHub.hub_ip == c.Spawner.ip == "127.0.0.1"
    assert c.JupyterHub.cleanup_servers is False, "a hub restart must not stop the students' servers"
    assert c.Spawner.default_url == _links().nbgitpuller_path()
    assert c.Spawner.mem_limit == "1G" and c.Spawner.cpu_limit == 1.0
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")
    assert "jupyterhub_idle_culler" in culler["command"] and "--timeout=3600" in culler["command"]
    assert {"delete:servers", "read:users:activity"} <= set(c.JupyterHub.load_roles[0]["scopes"])


def _spawn(admin, monkeypatch):
    """The environment the hub's pre-spawn hook gives a server of this machine's user."""
    from types import SimpleNamespace

    monkeypatch.delenv("LSTMKIT_CLASSROOM_ROOT", raising=False)
    c = _hub_config()
    user = SimpleNamespace(admin=admin, name=pwd.getpwuid(os.getuid()).pw_name)
    spawner = SimpleNamespace(user=user, environment={}, default_url="/x", cmd=None)
    c.Spawner.pre_spawn_hook(spawner)
    return spawner


def test_instructors_get_nbgrader_students_do_not(monkeypatch):
    for admin, env in ((True, "instructor"), (False, "student")):
        spawner = _spawn(admin, monkeypatch)
        assert spawner.cmd == [f"/opt/lstmkit/{env}/bin/jupyterhub-singleuser"]
        assert ("LSTMKIT_CLASSROOM_ROOT" in spawner.environment) == admin
    # the students' environment is Binder's: no nbgrader, so none of its JupyterLab extensions
    text = (ROOT / "environment.yml").read_text()
    assert "nbgrader" not in text and "jupyterhub==" in text and "nbgitpuller==" in text


def test_an_instructors_formgrader_finds_the_course(monkeypatch, tmp_path):
    """Formgrader (nbgrader's own code, in a process with the instructor server's environment, run
    from their home as the server is) reads classroom/nbgrader_config.py and finds the course inside
    the server's root; nbgrader never reads the NBGRADER_COURSE that the hub used to set."""
    spawner = _spawn(True, monkeypatch)
    home = pwd.getpwuid(os.getuid()).pw_dir
    probe = ("from nbgrader.coursedir import CourseDirectory\n"
             "from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension\n"
             "ext = FormgradeExtension()\n"
             "ext.coursedir = CourseDirectory(parent=ext)   # as the extension's start does\n"
             f"ext.root_dir = {home!r}\n"
             "print(ext.url_prefix)\n"
             "print(ext.load_config().CourseDirectory.course_id)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "LSTMKIT"))}
    out = subprocess.run([sys.executable, "-c", probe], cwd=home, capture_output=True, text=True, timeout=120,
                         env=dict(env, **spawner.environment))
    assert out.returncode == 0, out.stderr[-2000:]
    url_prefix, course_id = out.stdout.split()
    assert (url_prefix, course_id) == ("lstmkit-course", "lstmkit"), out.stdout
    # and outside the home, as a config in the home once put it, Formgrader cannot work
    outside = subprocess.run([sys.executable, "-c", probe], cwd=home, capture_output=True, text=True, timeout=120,
                             env={**env, **spawner.environment, "LSTMKIT_CLASSROOM_ROOT": str(tmp_path)})
    assert not str(tmp_path).startswith(home + os.sep)
    assert outside.stdout.startswith("../"), (outside.stdout, outside.stderr[-2000:])


def test_z2jh_values_match_the_single_machine_config():
    import yaml

    values = yaml.safe_load((ROOT / "classroom" / "jupyterhub" / "z2jh-values.yaml").read_text())
    c = _hub_config()
    single = values["singleuser"]
    assert single["defaultUrl"] == _links().nbgitpuller_path()
    assert single["memory"]["limit"] == c.Spawner.mem_limit and single["cpu"]["limit"] == c.Spawner.cpu_limit
    assert values["cull"] == {"enabled": True, "timeout": 3600, "every": 300}
    assert single["cmd"] == "jupyterhub-singleuser"


def test_link_for_the_class():
    link = _links().nbgitpuller_link("https://hub.example.edu/")
    assert link.startswith("https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com")
    assert "urlpath=lab%2Ftree%2Flstmkit%2Fchapters%2F01_rnn_bptt.ipynb" in link


def test_proxy_is_pinned():
    import json

    folder = ROOT / "classroom" / "jupyterhub"
    wanted = json.loads((folder / "package.json").read_text())["dependencies"]["configurable-http-proxy"]
    lock = json.loads((folder / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == wanted == "5.3.0"


def test_sizing_reads_cgroup_and_proc_files():
    bench = _bench()
    oom = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"
    assert bench.parse_flat_keyed(oom) == {"oom_kill_disable": 0, "under_oom": 0, "oom_kill": 2}
    assert bench.parse_flat_keyed("nr_periods 10\nthrottled_time 5000000000\nbad line here\n") == {
        "nr_periods": 10, "throttled_time": 5000000000}
    status = "Name:\tpython\nVmPeak:\t  900 kB\nVmHWM:\t  123456 kB\n"
    assert bench.proc_kb(status, "VmHWM") == 123456
    assert bench.proc_kb(status, "VmRSS") is None
    assert bench.proc_kb("Rss:  2048 kB\nPss:  1024 kB\nPss_Anon:  512 kB\n", "Pss") == 1024
    assert bench.cpu_quota(1.0) == 100_000 and bench.cpu_quota(0.5, 50_000) == 25_000
    with pytest.raises(ValueError, match="cpus must be > 0, got 0"):
        bench.cpu_quota(0)
    # nearest rank: p95 of 1..100 is 95 (round-half-even once made it 96), of 1..10 the largest
    assert bench._percentile(list(range(1, 101)), 95) == 95 and bench._percentile(list(range(1, 11)), 95) == 10
    assert bench._percentile([3.0], 95) == 3.0 and bench._percentile([4, 1, 3, 2], 50) == 2


def test_sizing_refuses_an_unlimited_runaway_and_unknown_chapters():
    bench = _bench()
    with pytest.raises(ValueError, match="runaway=True needs limits=True"):
        bench.run_sizing(4, runaway=True, limits=False)
    with pytest.raises(ValueError, match="chapters must name chapters/NN_.*got '99'"):
        bench.run_sizing(4, chapters=("99",))
    with pytest.raises(ValueError, match="n_students must be between 2 and 60, got 61"):
        bench.run_sizing(61)
