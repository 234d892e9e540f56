"""A class on one machine: a real JupyterHub on 127.0.0.1, N students running chapter 03 at once.

The hub is classroom/jupyterhub/jupyterhub_config.py with two test overrides: DummyAuthenticator
instead of PAM and SimpleLocalProcessSpawner (a home folder per student under a temporary folder)
instead of system users; its proxy is the pinned configurable-http-proxy (`make hub-proxy`).
Everything happens through the hub's REST API and the kernel protocol, as a browser would do it:

1. login: the hub issues each student a token (the admin service asks for it, as a login does);
2. each student starts a server (POST /hub/api/users/NAME/server) and waits until it is ready,
   uploads chapters/03_lstm_cell.ipynb through jupyter_server's contents API, opens a session and
   runs every code cell over the kernel's websocket (execute_request / iopub), all students at once;
3. each saves the executed notebook with a note of their own, and its SHA-256 is recorded;
4. isolation: student A's token on student B's server and user record and on the share API (B's
   server for A, A's for B), and no token at all on every data endpoint (hub API, contents, kernels,
   files, the proxy's API), must all be refused;
   every socket that the hub, the proxy, the servers and the kernels listen on is on 127.0.0.1;
5. the hub is stopped and started again (the servers keep running: cleanup_servers = False);
   every student's notebook must still be there, unchanged, on disk and through the hub.

Measured: servers started, notebooks executed without an error, p50/p95 of login -> last cell,
the peak resident memory (VmHWM) of the hub, of each student's server and of each kernel.
Everything started here is stopped in a `finally`, also on failure (the students' processes are
found by their home folder under this run's temporary folder, and only those).

    python benchmarks/bench_class.py [--students N]     # 2 <= N <= 30; prints the table for README.md

Sizing (`--chapters` or `--runaway`, 2 <= N <= 60; run_sizing): the same hub, but each student's server
runs in its own cgroup (v1: memory and cpu) limited to the configuration's mem_limit and cpu_limit, as
TLJH's systemd spawner enforces them (`--no-limits`: none; needs root and /sys/fs/cgroup/{memory,cpu}).
N students log in at once (start time per server, the hub's memory); the first K (`--with-chapters`)
open each of `--chapters` in a kernel of its own and run them in turn, all kept open (peak RSS and PSS
per student, each cgroup's peak, the machine's memory in use sampled every 0.5 s); with `--runaway`
the others run `--others-chapter` three times: alone, while student00 spins four processes, and while
student00's kernel allocates without bound (expected: killed inside its cgroup, every server alive).
Every cgroup made is removed at the end, with whatever is still in it.

    python benchmarks/bench_class.py --students 40 --chapters 05,06 --with-chapters 8 --runaway
"""
import argparse
import hashlib
import json
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HUB_CONFIG = ROOT / "classroom" / "jupyterhub" / "jupyterhub_config.py"
CHP = ROOT / "_build" / "jupyterhub" / "node_modules" / ".bin" / "configurable-http-proxy"
NOTEBOOK = ROOT / "chapters" / "03_lstm_cell.ipynb"
MAX_STUDENTS = 30
DEADLINE_S = 420          # the whole run, hub start to the last check


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _vm_hwm_mb(pid):
    """Peak resident memory of a live process, from /proc (MB), or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _ours(marker):
    """pids of the processes that live under this run's folder (their cwd or HOME), this run only."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if cwd == marker or cwd.startswith(marker + "/") or any(e.startswith(f"HOME={marker}/".encode()) for e in env):
            found.append(int(proc.name))
    return found


def _listening(pids):
    """{(pid, 'ip:port')} of every TCP socket those processes listen on (from psutil)."""
    import psutil

    out = set()
    for pid in pids:
        try:
            for conn in psutil.Process(pid).net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN:
                    out.add((pid, f"{conn.laddr.ip}:{conn.laddr.port}"))
        except psutil.Error:
            pass
    return out


class Hub:
    """One JupyterHub process (and the proxy it starts) in `workdir`, for `students`.

    By default each student is simulated: a home folder under `workdir`, the server running as the
    hub's own user. With `system_users=True` the students are real accounts of this machine and the
    class's spawner runs each server as its student, in their home (the hub must run as root).
    """

    def __init__(self, workdir, students, system_users=False, extra_config=""):
        self.workdir, self.students = Path(workdir), students
        self.port, self.hub_port, self.api_port = _free_port(), _free_port(), _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_token = secrets.token_hex(32)
        self.homes = self.workdir / "homes"
        self.homes.mkdir(parents=True, exist_ok=True)
        self.proc = None
        self.log = self.workdir / "hub.log"
        bin_dir = Path(sys.executable).parent
        overrides = f"""
load_subconfig({str(HUB_CONFIG)!r})
# the test's overrides of the class's configuration: ports, a test login, a home per student
c.JupyterHub.port = {self.port}
c.JupyterHub.hub_port = {self.hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.api_port}"
c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]
c.JupyterHub.db_url = "sqlite:///{self.workdir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{self.workdir}/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = "{self.workdir}/proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {set(students)!r}
c.Authenticator.admin_users = set()
c.Spawner.start_timeout = 240
c.Spawner.http_timeout = 240
c.JupyterHub.services.append({{"name": "class-admin", "api_token": {self.admin_token!r}}})
c.JupyterHub.load_roles.append({{"name": "class-admin", "services": ["class-admin"],
    "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users"]}})
"""
        if not system_users:
            overrides += f"""
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{self.homes}/{{username}}"
c.Spawner.pre_spawn_hook = None
c.Spawner.cmd = [{str(bin_dir / "jupyterhub-singleuser")!r}]
c.Spawner.default_url = "/lab"
c.Spawner.args = {["--allow-root"] if os.geteuid() == 0 else []!r}   # the test runs as root, real students never do
"""
        self.config = self.workdir / "jupyterhub_test_config.py"
        self.config.write_text(overrides + extra_config)

    def start(self, timeout=90):
        import requests

        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(self.config)],
                                         cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                if requests.get(f"{self.url}/hub/api/users", headers=self.admin, timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the hub did not answer within {timeout} s:\n{self.tail()}")

    def stop(self, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def tail(self, n=4000):
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    @property
    def admin(self):
        return {"Authorization": f"token {self.admin_token}"}


# ---- one student ------------------------------------------------------------------------------------

def _send_execute(ws, session, code):
    """Send an execute_request for `code` on websocket `ws`; its msg_id."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "session": session, "username": "", "msg_type": "execute_request",
                   "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    return msg_id


def _execute(ws, session, code, timeout):
    """Run `code` on the kernel behind websocket `ws`; return (status, nbformat outputs)."""
    from nbformat.v4 import output_from_msg

    msg_id = _send_execute(ws, session, code)
    outputs, status, idle = [], None, False
    end = time.monotonic() + timeout
    while status is None or not idle:
        if time.monotonic() > end:
            raise TimeoutError(f"no reply within {timeout} s to {code[:60]!r}")
        raw = ws.recv()
        if isinstance(raw, bytes):          # binary frames carry widget buffers: not outputs
            continue
        if not raw:                         # the server closed the channel: the kernel is gone
            raise ConnectionError(f"the kernel's websocket closed while running {code[:60]!r}")
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        if msg["channel"] == "shell" and kind == "execute_reply":
            status = msg["content"]["status"]
        elif kind == "status":
            idle = msg["content"]["execution_state"] == "idle"
        elif kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append(output_from_msg(msg))
    return status, outputs


def start_server(hub, name, timeout=300):
    """Log in as `name` (the hub issues a token), start their server, wait until it is ready; the token."""
    import requests

    reply = requests.post(f"{hub.url}/hub/api/users/{name}/tokens", headers=hub.admin,
                          json={"note": "login", "expires_in": 3600}, timeout=30)
    reply.raise_for_status()
    token = reply.json()["token"]
    auth = {"Authorization": f"token {token}"}
    reply = requests.post(f"{hub.url}/hub/api/users/{name}/server", headers=auth, timeout=60)
    if reply.status_code not in (201, 202):
        raise RuntimeError(f"{name}: the hub refused to start the server: {reply.status_code} {reply.text}")
    end = time.monotonic() + timeout
    while True:
        user = requests.get(f"{hub.url}/hub/api/users/{name}", headers=auth, timeout=30).json()
        server = user.get("servers", {}).get("", {})
        if server.get("ready"):
            return token
        if time.monotonic() > end:
            raise TimeoutError(f"{name}: server not ready within {timeout} s")
        time.sleep(0.5)


class Kernel:
    """A notebook uploaded to a student's server and a session (a kernel) open on it, driven over its websocket."""

    def __init__(self, hub, name, token, path, nb, timeout=300):
        import requests

        self.base, self.auth, self.timeout = f"{hub.url}/user/{name}", {"Authorization": f"token {token}"}, timeout
        self.auth_header = f"Authorization: token {token}"
        requests.put(f"{self.base}/api/contents/{path}", headers=self.auth, timeout=60,
                     json={"type": "notebook", "format": "json", "content": nb}).raise_for_status()
        reply = requests.post(f"{self.base}/api/sessions", headers=self.auth, timeout=120, json={
            "path": path, "type": "notebook", "name": path, "kernel": {"name": "python3"}})
        reply.raise_for_status()
        self.session_id, kernel_id = reply.json()["id"], reply.json()["kernel"]["id"]
        self._ws_url = f"ws://127.0.0.1:{hub.port}/user/{name}/api/kernels/{kernel_id}/channels"
        self._ws = None
        self.client_session = uuid.uuid4().hex

    @property
    def ws(self):
        """The kernel's websocket, opened on first use: the server closes one that answers no ping for
        a minute, as an open chapter's would while the student's other chapter runs."""
        import websocket

        if self._ws is None:
            self._ws = websocket.create_connection(self._ws_url, header=[self.auth_header], timeout=self.timeout)
        return self._ws

    def run(self, code):
        """(status, outputs) of `code`."""
        return _execute(self.ws, self.client_session, code, self.timeout)

    def run_notebook(self, nb):
        """Run every code cell of `nb` in order, storing its outputs; the errors, one string a failed cell."""
        errors = []
        for index, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
            status, outputs = self.run(cell.source)
            cell.outputs, cell.execution_count = outputs, index + 1
            if status != "ok":
                errors.append(f"cell {index}: " + "; ".join(
                    f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.output_type == "error"))
        return errors

    def printed(self, code):
        """What `code` printed (its stream outputs)."""
        _, outputs = self.run(code)
        return "".join(o.get("text", "") for o in outputs if o.output_type == "stream")

    def close(self, shutdown=True):
        import requests

        if self._ws is not None:
            self._ws.close()
        if shutdown:
            requests.delete(f"{self.base}/api/sessions/{self.session_id}", headers=self.auth,
                            timeout=60).raise_for_status()


def student_session(hub, name, notebook_text, timeout=300):
    """Log in, start the server, run chapter 03, save it with a note. Returns the measurements."""
    import nbformat
    import requests

    result = {"name": name, "started": False, "executed": False, "errors": []}
    t0 = time.monotonic()
    token = result["token"] = start_server(hub, name, timeout)
    auth = {"Authorization": f"token {token}"}
    result["started"], result["server_s"] = True, time.monotonic() - t0
    path = NOTEBOOK.name
    nb = nbformat.reads(notebook_text, as_version=4)
    kernel = Kernel(hub, name, token, path, nb, timeout)
    try:
        result["errors"] = kernel.run_notebook(nb)
        result["last_cell_s"] = time.monotonic() - t0
        result["executed"] = not result["errors"]
        peak = kernel.printed("import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
        result["kernel_peak_mb"] = int(peak) / 1024
    finally:
        kernel.close(shutdown=False)
    nb.cells.append(nbformat.v4.new_markdown_cell(f"My notes ({name}): the forget gate keeps the carousel open."))
    requests.put(f"{kernel.base}/api/contents/{path}", headers=auth, timeout=60,
                 json={"type": "notebook", "format": "json", "content": nb}).raise_for_status()
    requests.delete(f"{kernel.base}/api/sessions/{kernel.session_id}", headers=auth, timeout=60).raise_for_status()
    result["sha256"] = _stored_sha(hub, name, token)
    result["disk_sha256"] = hashlib.sha256((hub.homes / name / path).read_bytes()).hexdigest()
    return result


def _stored_sha(hub, name, token):
    import requests

    reply = requests.get(f"{hub.url}/user/{name}/api/contents/{NOTEBOOK.name}", timeout=60,
                         headers={"Authorization": f"token {token}"})
    reply.raise_for_status()
    return hashlib.sha256(json.dumps(reply.json()["content"], sort_keys=True).encode()).hexdigest()


# ---- isolation ---------------------------------------------------------------------------------------

def isolation_failures(hub, a, b, nb=NOTEBOOK.name):
    """Requests that must be refused; returns the ones that were not ([] when isolated).

    `a` and `b` are students ({"name", "token"}); `nb` is the path of B's notebook on B's server.
    """
    import requests

    failures = []

    def refused(method, url, headers, why, json=None):
        reply = requests.request(method, url, headers=headers, json=json, timeout=30, allow_redirects=False)
        # 403/404 refuse; 302/401 send an unauthenticated browser to the login page, with no data
        if reply.status_code not in (302, 401, 403, 404):
            failures.append(f"{why}: {method} {url} answered {reply.status_code}")

    a_auth = {"Authorization": f"token {a['token']}"}
    refused("GET", f"{hub.url}/user/{b['name']}/api/contents/{nb}", a_auth, "A reads B's notebook")
    refused("PUT", f"{hub.url}/user/{b['name']}/api/contents/{nb}", a_auth, "A overwrites B's notebook")
    refused("GET", f"{hub.url}/user/{b['name']}/files/{nb}", a_auth, "A downloads B's notebook")
    refused("GET", f"{hub.url}/user/{b['name']}/api/contents", a_auth, "A lists B's files")
    refused("POST", f"{hub.url}/hub/api/shares/{b['name']}/", a_auth, "A shares B's server with A",
            json={"user": a["name"]})
    refused("POST", f"{hub.url}/hub/api/shares/{a['name']}/", a_auth, "A shares A's server with B",
            json={"user": b["name"]})
    refused("POST", f"{hub.url}/hub/api/share-codes/{a['name']}/", a_auth, "A makes a code to share A's server")
    refused("POST", f"{hub.url}/user/{b['name']}/api/kernels", a_auth, "A starts a kernel on B's server")
    refused("GET", f"{hub.url}/hub/api/users/{b['name']}", a_auth, "A reads B's record")
    refused("DELETE", f"{hub.url}/hub/api/users/{b['name']}/server", a_auth, "A stops B's server")
    refused("POST", f"{hub.url}/hub/api/users/{b['name']}/tokens", a_auth, "A makes a token for B")
    for method, path in [("GET", "/hub/api/users"), ("GET", f"/hub/api/users/{a['name']}"),
                         ("POST", f"/hub/api/users/{a['name']}/server"),
                         ("GET", f"/user/{a['name']}/api/contents/{nb}"), ("GET", f"/user/{a['name']}/files/{nb}"),
                         ("GET", f"/user/{a['name']}/api/kernels"), ("POST", f"/user/{a['name']}/api/kernels"),
                         ("GET", f"/user/{a['name']}/api/sessions")]:
        refused(method, hub.url + path, {}, "no token")
    refused("GET", f"http://127.0.0.1:{hub.api_port}/api/routes", {}, "the proxy's API without its token")
    try:
        import websocket
        websocket.create_connection(f"ws://127.0.0.1:{hub.port}/user/{a['name']}/api/kernels/x/channels", timeout=30)
        failures.append("no token: a kernel websocket opened")
    except websocket.WebSocketBadStatusException:
        pass
    return failures


# ---- the whole class -------------------------------------------------------------------------------

def _percentile(values, q):
    """The nearest-rank q-th percentile: the smallest value with at least q % of the values at or below it."""
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(q / 100 * len(values)) - 1))]


def run_class(n_students=10, workdir=None, log=print, timeout=300):
    """Bring up the hub, run the class, restart the hub, check everything; stop all. Returns figures."""
    if not 2 <= n_students <= MAX_STUDENTS:   # two at least: isolation is checked between two students
        raise ValueError(f"n_students must be between 2 and {MAX_STUDENTS}, got {n_students}")
    if not CHP.exists():
        raise FileNotFoundError(f"{CHP} is missing: run `make hub-proxy` (npm ci of classroom/jupyterhub)")
    own_tmp = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="lstmkit-class-")) if own_tmp else Path(workdir)
    students = [f"student{k:02d}" for k in range(n_students)]
    hub = Hub(workdir, students)
    started_at = time.monotonic()
    figures = {"students": n_students}
    try:
        hub.start()
        log(f"hub on {hub.url}; {n_students} students log in at once")
        text = NOTEBOOK.read_text(encoding="utf-8")
        from tqdm.auto import tqdm

        results, failures = [], []
        with ThreadPoolExecutor(n_students) as pool:
            futures = [pool.submit(student_session, hub, name, text, timeout) for name in students]
            for future in tqdm(futures, desc="students", disable=None):
                try:
                    results.append(future.result(timeout=max(1, DEADLINE_S - (time.monotonic() - started_at))))
                except Exception as exc:   # one student's failure is a finding, not a crash
                    failures.append(repr(exc))
        figures["failures"] = failures
        figures["servers_started"] = sum(r["started"] for r in results)
        figures["notebooks_executed"] = sum(r["executed"] for r in results)
        figures["errors"] = [e for r in results for e in r["errors"]]
        ready = [r["server_s"] for r in results if "server_s" in r]
        figures["login_to_server_s"] = {"p50": statistics.median(ready) if ready else None,
                                        "p95": _percentile(ready, 95) if ready else None}
        times = [r["last_cell_s"] for r in results if "last_cell_s" in r]
        figures["login_to_last_cell_s"] = {"p50": statistics.median(times) if times else None,
                                           "p95": _percentile(times, 95) if times else None}
        figures["kernel_peak_mb"] = max((r["kernel_peak_mb"] for r in results if "kernel_peak_mb" in r), default=None)
        figures["hub_peak_mb"] = _vm_hwm_mb(hub.proc.pid)
        ours = _ours(str(workdir))
        servers = [p for p in ours if b"jupyterhub-singleuser" in Path(f"/proc/{p}/cmdline").read_bytes()]
        figures["server_peak_mb"] = max((m for m in map(_vm_hwm_mb, servers) if m), default=None)
        import psutil
        chp = [p.pid for p in psutil.Process(hub.proc.pid).children(recursive=True)]
        sockets = _listening([hub.proc.pid, *chp, *ours])
        figures["listening"] = sorted(addr for _, addr in sockets)
        figures["not_loopback"] = sorted(addr for _, addr in sockets if not addr.startswith("127.0.0.1:"))
        figures["isolation_failures"] = (isolation_failures(hub, results[0], results[1])
                                         if len(results) >= 2 else ["fewer than two students to compare"])
        log(f"restarting the hub ({len(servers)} student servers keep running)")
        hub.stop()
        hub.start()
        lost = []
        for r in results:
            try:
                now = _stored_sha(hub, r["name"], r["token"])
            except Exception as exc:
                now = repr(exc)
            disk = hub.homes / r["name"] / NOTEBOOK.name
            on_disk = hashlib.sha256(disk.read_bytes()).hexdigest() if disk.exists() else None
            if now != r["sha256"] or on_disk != r["disk_sha256"]:
                lost.append(r["name"])
        figures["lost_after_restart"] = lost
        figures["wall_s"] = time.monotonic() - started_at
        return figures
    finally:
        _stop_everything(hub, students, workdir)
        if own_tmp:
            shutil.rmtree(workdir, ignore_errors=True)


def _stop_everything(hub, students, workdir):
    import requests

    def stop_server(name):
        try:
            requests.delete(f"{hub.url}/hub/api/users/{name}/server", headers=hub.admin, timeout=10)
        except requests.RequestException:
            pass

    if hub.proc is not None and hub.proc.poll() is None:
        with ThreadPoolExecutor(len(students)) as pool:   # all at once: each stop waits for its server
            list(pool.map(stop_server, students))
        end = time.monotonic() + 30
        while time.monotonic() < end and any(b"jupyterhub-singleuser" in _cmdline(p) for p in _ours(str(workdir))):
            time.sleep(0.5)
    hub.stop()
    for pid in _ours(str(workdir)):           # whatever is left of this run (servers, kernels, proxy)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    proxy_pid = workdir / "proxy.pid"
    if proxy_pid.exists():
        try:
            os.kill(int(proxy_pid.read_text().strip()), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


# ---- sizing: a class of N with limits the kernel enforces --------------------------------------------

CGROUP_ROOT = Path("/sys/fs/cgroup")
MAX_SIZING_STUDENTS = 60
CHAPTERS = ROOT / "chapters"
# one student's runaways: memory without bound (each block is written, so it is resident), and
# four processes spinning for `seconds` on a 2-core machine (threads would share one core: the GIL)
RUNAWAY_MEMORY = "hog = []\nwhile True:\n    hog.append(b'x' * (64 << 20))"
RUNAWAY_CPU = """import subprocess, sys
spin = "import time\\nend = time.time() + {seconds}\\nwhile time.time() < end:\\n    pass"
spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(4)]
print(" ".join(str(s.pid) for s in spinners))"""


def parse_flat_keyed(text):
    """A cgroup v1 'key value' file (memory.stat, memory.oom_control, cpu.stat) as {key: int}."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def proc_kb(text, field):
    """The kB value of `field` ('VmHWM', 'Pss', ...) in a /proc status or smaps_rollup text, or None."""
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def cpu_quota(cpus, period_us=100_000):
    """cpu.cfs_quota_us for `cpus` cores at `period_us` (cpu_limit 1.0 -> one period per period)."""
    if not cpus > 0:
        raise ValueError(f"cpus must be > 0, got {cpus}")
    return max(1000, round(cpus * period_us))


def student_cgroups(run, name):
    """The memory and cpu cgroup folders of student `name` in run `run`."""
    return [CGROUP_ROOT / "memory" / run / name, CGROUP_ROOT / "cpu" / run / name]


def make_student_cgroup(run, name, mem_bytes, cpus, period_us=100_000):
    """One cgroup per student (memory and cpu, cgroup v1), limited as TLJH's systemd units are."""
    mem, cpu = student_cgroups(run, name)
    for folder in (mem, cpu):
        folder.mkdir(parents=True, exist_ok=True)
    if mem_bytes:
        (mem / "memory.limit_in_bytes").write_text(str(int(mem_bytes)))
    if cpus:
        (cpu / "cpu.cfs_period_us").write_text(str(period_us))
        (cpu / "cpu.cfs_quota_us").write_text(str(cpu_quota(cpus, period_us)))
    return [mem, cpu]


def limited_spawner_class():
    """SimpleLocalProcessSpawner whose servers (and so their kernels) run in a cgroup each.

    The limits are the configuration's mem_limit and cpu_limit, which LocalProcessSpawner only passes on;
    here the kernel enforces them, as TLJH's systemd spawner does. For the bench only.
    """
    from jupyterhub.spawner import SimpleLocalProcessSpawner
    from traitlets import Unicode

    class CgroupLocalProcessSpawner(SimpleLocalProcessSpawner):
        cgroup_run = Unicode("", config=True, help="this run's folder under /sys/fs/cgroup/{memory,cpu}")

        async def start(self):
            self._cgroups = make_student_cgroup(self.cgroup_run, self.user.name, self.mem_limit, self.cpu_limit)
            return await super().start()

        def make_preexec_fn(self, name):
            inner, folders = super().make_preexec_fn(name), self._cgroups

            def preexec():                  # in the child, before exec: the server starts inside its cgroup
                for folder in folders:
                    (folder / "cgroup.procs").write_text(str(os.getpid()))
                inner()
            return preexec

    return CgroupLocalProcessSpawner


def cgroup_figures(run, name):
    """What the kernel counted for one student's cgroup: peak, limit, OOM kills, CPU throttling."""
    mem, cpu = student_cgroups(run, name)
    oom = parse_flat_keyed((mem / "memory.oom_control").read_text())
    stat = parse_flat_keyed((mem / "memory.stat").read_text())
    cpu_stat = parse_flat_keyed((cpu / "cpu.stat").read_text())
    return {"max_usage_mb": int((mem / "memory.max_usage_in_bytes").read_text()) / 2**20,
            "limit_mb": int((mem / "memory.limit_in_bytes").read_text()) / 2**20,
            "rss_mb": stat.get("total_rss", 0) / 2**20, "cache_mb": stat.get("total_cache", 0) / 2**20,
            "oom_kills": oom.get("oom_kill", 0), "failcnt": int((mem / "memory.failcnt").read_text()),
            "quota_us": int((cpu / "cpu.cfs_quota_us").read_text()),
            "nr_throttled": cpu_stat.get("nr_throttled", 0), "throttled_s": cpu_stat.get("throttled_time", 0) / 1e9}


def remove_cgroups(run):
    """Kill what is left in this run's cgroups and remove them (leaves first). The folders left, if any."""
    tops = [CGROUP_ROOT / "memory" / run, CGROUP_ROOT / "cpu" / run]
    for _ in range(20):
        leaves = [d for top in tops if top.exists() for d in top.iterdir() if d.is_dir()]
        pids = {int(p) for d in leaves + [t for t in tops if t.exists()]
                for p in (d / "cgroup.procs").read_text().split()}
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for d in leaves + [t for t in tops if t.exists()]:
            try:
                d.rmdir()
            except OSError:
                pass
        if not any(t.exists() for t in tops):
            return []
        time.sleep(0.5)
    return [str(t) for t in tops if t.exists()]


class MemorySampler:
    """The machine's memory in use (MemTotal - MemAvailable, MB) every `every` s, in a thread; its peak."""

    def __init__(self, every=0.5):
        import threading

        self.every, self.peak_mb, self.baseline_mb = every, 0.0, self.used_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    @staticmethod
    def used_mb():
        info = {k: v for k, v in parse_flat_keyed(
            Path("/proc/meminfo").read_text().replace(" kB", "").replace(":", "")).items()}
        return (info["MemTotal"] - info["MemAvailable"]) / 1024

    def _loop(self):
        while not self._stop.wait(self.every):
            self.peak_mb = max(self.peak_mb, self.used_mb())

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def _processes_mb(pids):
    """{pid: (cmdline, peak RSS MB, PSS MB or None)} of live processes."""
    out = {}
    for pid in pids:
        try:
            hwm = proc_kb(Path(f"/proc/{pid}/status").read_text(), "VmHWM")
        except OSError:
            continue
        try:
            pss = proc_kb(Path(f"/proc/{pid}/smaps_rollup").read_text(), "Pss")
        except OSError:
            pss = None
        out[pid] = (_cmdline(pid), (hwm or 0) / 1024, None if pss is None else pss / 1024)
    return out


def student_memory(hub, name):
    """One student's processes (server, kernels, whatever they started): summed peak RSS and PSS, MB."""
    procs = _processes_mb(_ours(str(hub.homes / name)))
    server = [v for v in procs.values() if b"jupyterhub-singleuser" in v[0]]
    kernels = [v for v in procs.values() if b"ipykernel" in v[0]]
    return {"server_rss_mb": sum(v[1] for v in server), "kernels_rss_mb": [v[1] for v in kernels],
            "rss_mb": sum(v[1] for v in procs.values()),
            "pss_mb": sum(v[2] for v in procs.values() if v[2] is not None), "processes": len(procs)}


def _spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    return {"n": len(values), "p50": statistics.median(values), "p95": _percentile(values, 95), "max": max(values)}


def open_chapters(hub, name, token, chapters, timeout):
    """Open each chapter in its own kernel and run them one after the other, all kept open.

    Returns (the open kernels, the errors, seconds)."""
    import nbformat

    t0, opened, errors = time.monotonic(), [], []
    for stem in chapters:
        path = next(CHAPTERS.glob(f"{stem}_*.ipynb"))
        nb = nbformat.read(path, as_version=4)
        try:
            opened.append((stem, nb, Kernel(hub, name, token, path.name, nb, timeout)))
        except Exception as exc:   # the server could not start the kernel: a finding
            errors.append(f"{name} {stem} {exc!r}")
    for stem, nb, kernel in opened:
        try:
            errors += [f"{name} {stem} {e}" for e in kernel.run_notebook(nb)]
        except Exception as exc:   # a kernel that died or never answered (under load, at its limit): a finding
            errors.append(f"{name} {stem} {exc!r}")
    return [kernel for _, _, kernel in opened], errors, time.monotonic() - t0


def run_chapter(hub, name, token, stem, tag, timeout):
    """Run chapter `stem` once in a fresh kernel (saved as `tag`-…); (seconds to run its cells or None, errors)."""
    import nbformat

    path = next(CHAPTERS.glob(f"{stem}_*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    try:
        kernel = Kernel(hub, name, token, f"{tag}-{path.name}", nb, timeout)
        try:
            t0 = time.monotonic()
            errors = kernel.run_notebook(nb)
            return time.monotonic() - t0, errors
        finally:
            kernel.close()
    except Exception as exc:     # a kernel that never answered or died: a finding, not a crash
        return None, [f"{name}: {exc!r}"]


def _cpu_seconds(pid):
    """User + system CPU seconds of a live process (from /proc/PID/stat), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return not Path(f"/proc/{pid}/status").read_text().count("State:\tZ")


def runaway_phase(hub, tokens, runaway, others_chapter, run, timeout, log):
    """The others run `others_chapter` while students[0] runs `runaway` (None, 'cpu' or 'memory')."""
    import requests

    names = list(tokens)
    wild, others = names[0], names[1:]
    out, spinners = {"runaway": runaway}, []
    kernel = Kernel(hub, wild, tokens[wild], f"runaway-{runaway}.ipynb", {"cells": [], "metadata": {},
                    "nbformat": 4, "nbformat_minor": 5}, timeout) if runaway else None
    try:
        if runaway == "cpu":
            spinners = [int(p) for p in kernel.printed(RUNAWAY_CPU.format(seconds=timeout)).split()]
            t0 = time.monotonic()
        elif runaway == "memory":
            pid = int(kernel.printed("import os; print(os.getpid())"))
            _send_execute(kernel.ws, kernel.client_session, RUNAWAY_MEMORY)   # no reply: it is to die
            t0 = time.monotonic()
        with ThreadPoolExecutor(len(others)) as pool:
            done = list(pool.map(lambda n: run_chapter(hub, n, tokens[n], others_chapter, f"phase-{runaway}",
                                                       timeout), others))
        out["others"] = _spread([s for s, _ in done])
        out["others_errors"] = [e for _, errs in done for e in errs]
        if runaway == "cpu":   # the cores the spinners got while the others ran
            out["spinners_cores"] = sum(map(_cpu_seconds, spinners)) / (time.monotonic() - t0)
        if runaway == "memory":
            end = t0 + timeout
            while _alive(pid) and time.monotonic() < end:
                time.sleep(0.2)
            out["kernel_died"] = not _alive(pid)
            out["kernel_died_after_s"] = time.monotonic() - t0 if out["kernel_died"] else None
        if runaway:
            out["cgroup"] = cgroup_figures(run, wild) if run else None
        alive = {}
        for n in names:      # every server still answers through the hub, the runaway's included
            try:
                alive[n] = requests.get(f"{hub.url}/user/{n}/api/status", timeout=30,
                                        headers={"Authorization": f"token {tokens[n]}"}).ok
            except requests.RequestException:
                alive[n] = False
        out["servers_alive"] = sum(alive.values())
        out["runaway_server_alive"] = alive[wild]
        log(f"phase {runaway or 'baseline'}: {json.dumps(out, default=str)}")
        return out
    finally:
        if kernel is not None:
            if runaway == "cpu":   # not through the kernel: its websocket, unread meanwhile, was closed
                for pid in spinners:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            try:
                kernel.close()
            except Exception:       # the OOM-killed kernel's session may already be gone
                pass


def run_sizing(n_students=40, chapters=("05", "06"), with_chapters=None, runaway=False, limits=True,
               others_chapter="03", workdir=None, log=print, timeout=900):
    """Start a class of `n_students` at once, open `chapters` for the first `with_chapters` of them and,
    with `runaway`, one student's runaways against the others running `others_chapter`. Returns figures."""
    if not 2 <= n_students <= MAX_SIZING_STUDENTS:
        raise ValueError(f"n_students must be between 2 and {MAX_SIZING_STUDENTS}, got {n_students}")
    if runaway and not limits:
        raise ValueError("runaway=True needs limits=True: an unlimited memory runaway would take the machine")
    for stem in (*chapters, others_chapter):
        if not list(CHAPTERS.glob(f"{stem}_*.ipynb")):
            raise ValueError(f"chapters must name chapters/NN_*.ipynb, got {stem!r}")
    if not CHP.exists():
        raise FileNotFoundError(f"{CHP} is missing: run `make hub-proxy` (npm ci of classroom/jupyterhub)")
    with_chapters = n_students if with_chapters is None else with_chapters
    own_tmp = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="lstmkit-sizing-")) if own_tmp else Path(workdir)
    students = [f"student{k:02d}" for k in range(n_students)]
    run = f"lstmkit-bench-{os.getpid()}" if limits else ""
    extra = ""
    if limits:
        extra = f"""
import sys
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
import bench_class
c.JupyterHub.spawner_class = bench_class.limited_spawner_class()
c.CgroupLocalProcessSpawner.cgroup_run = {run!r}
"""
    hub = Hub(workdir, students, extra_config=extra)
    sampler = MemorySampler()
    figures = {"students": n_students, "chapters": list(chapters), "with_chapters": with_chapters,
               "others_chapter": others_chapter,
               "limits": limits, "baseline_used_mb": sampler.baseline_mb}
    t_start = time.monotonic()
    try:
        hub.start()
        log(f"hub on {hub.url}; {n_students} students log in at once")

        def login(name):
            t0 = time.monotonic()
            return name, start_server(hub, name, timeout), time.monotonic() - t0

        tokens, starts, failures = {}, [], []
        with ThreadPoolExecutor(n_students) as pool:
            for future in [pool.submit(login, n) for n in students]:
                try:
                    name, token, seconds = future.result()
                    tokens[name] = token
                    starts.append(seconds)
                except Exception as exc:
                    failures.append(repr(exc))
        figures["start_s"], figures["start_failures"] = _spread(starts), failures
        figures["hub_peak_mb_after_logins"] = _vm_hwm_mb(hub.proc.pid)
        idle = [student_memory(hub, n) for n in tokens]
        figures["idle_server_rss_mb"] = _spread([m["server_rss_mb"] for m in idle])
        figures["idle_server_pss_mb"] = _spread([m["pss_mb"] for m in idle])
        figures["used_mb_all_idle"] = MemorySampler.used_mb()
        log(f"servers up: {figures['start_s']}; {with_chapters} students open {', '.join(chapters)}")

        busy = [n for n in students if n in tokens][:with_chapters]
        with ThreadPoolExecutor(max(1, len(busy))) as pool:
            opened = list(pool.map(lambda n: open_chapters(hub, n, tokens[n], chapters, timeout), busy))
        per = [student_memory(hub, n) for n in busy]       # while every chapter's kernel is still open
        figures["chapters_s"] = _spread([s for _, _, s in opened])
        figures["chapter_errors"] = [e for _, errs, _ in opened for e in errs]
        figures["student_rss_mb"] = _spread([m["rss_mb"] for m in per])
        figures["student_pss_mb"] = _spread([m["pss_mb"] for m in per])
        figures["student_server_rss_mb"] = _spread([m["server_rss_mb"] for m in per])
        figures["kernel_rss_mb"] = _spread([k for m in per for k in m["kernels_rss_mb"]])
        if limits:
            figures["student_cgroup_peak_mb"] = _spread([cgroup_figures(run, n)["max_usage_mb"] for n in busy])
            figures["cgroup_oom_kills"] = {n: cgroup_figures(run, n)["oom_kills"] for n in busy}
        figures["machine_peak_used_mb"] = sampler.peak_mb
        figures["hub_peak_mb"] = _vm_hwm_mb(hub.proc.pid)
        log(f"chapters: {json.dumps(figures, default=str)}")    # what is measured so far, should a phase fail
        for kernels, _, _ in opened:
            for kernel in kernels:
                try:
                    kernel.close()
                except Exception:       # a kernel killed at its limit may have left with its session
                    pass

        if runaway:
            live = {n: tokens[n] for n in students if n in tokens}
            figures["runaway"] = [runaway_phase(hub, live, kind, others_chapter, run, timeout, log)
                                  for kind in (None, "cpu", "memory")]
        figures["machine_peak_used_mb"] = max(figures["machine_peak_used_mb"], sampler.peak_mb)
        figures["wall_s"] = time.monotonic() - t_start
        return figures
    finally:
        sampler.stop()
        _stop_everything(hub, students, workdir)
        if limits:
            figures["cgroups_left"] = remove_cgroups(run)
        if own_tmp:
            shutil.rmtree(workdir, ignore_errors=True)


def table(f):
    """The figures as the rows of benchmarks/README.md's table."""
    def mb(x):
        return "n/a" if x is None else f"{x:.0f} MB"
    t = {k: float("nan") if v is None else v for k, v in f["login_to_last_cell_s"].items()}
    r = {k: float("nan") if v is None else v for k, v in f["login_to_server_s"].items()}
    return "\n".join([
        "| measured | value |", "|---|---|",
        f"| students (concurrent) | {f['students']} |",
        f"| servers started | {f['servers_started']} / {f['students']} |",
        f"| chapter 03 executed without an error | {f['notebooks_executed']} / {f['students']} |",
        f"| login -> server ready, p50 / p95 | {r['p50']:.0f} s / {r['p95']:.0f} s |",
        f"| login -> last cell of chapter 03, p50 / p95 | {t['p50']:.0f} s / {t['p95']:.0f} s |",
        f"| peak memory: hub | {mb(f['hub_peak_mb'])} |",
        f"| peak memory: one student's server (largest) | {mb(f['server_peak_mb'])} |",
        f"| peak memory: one kernel running chapter 03 (largest) | {mb(f['kernel_peak_mb'])} |",
        f"| notebooks lost or changed across a hub restart | {len(f['lost_after_restart'])} |",
        f"| requests across students or without a token that were served | {len(f['isolation_failures'])} |",
        f"| sockets not on 127.0.0.1 | {len(f['not_loopback'])} of {len(f['listening'])} |",
        f"| whole run (hub start to restart check) | {f['wall_s']:.0f} s |",
    ])


def sizing_table(f):
    """run_sizing's figures as the rows of benchmarks/README.md's table."""
    def spread(d, unit):
        if not d or not d["n"]:
            return "n/a"
        return f"{d['p50']:.0f} / {d['p95']:.0f} / {d['max']:.0f} {unit} (n = {d['n']})"
    n, k = f["students"], f["with_chapters"]
    rows = ["| measured | value |", "|---|---|",
            f"| students logging in at once | {n} (limits enforced by cgroups: {'yes' if f['limits'] else 'no'}) |",
            f"| servers started / failures | {f['start_s']['n']} / {len(f['start_failures'])} |",
            f"| login -> server ready, p50 / p95 / max | {spread(f['start_s'], 's')} |",
            f"| hub: peak RSS after the logins / at the end of the chapters | "
            f"{f['hub_peak_mb_after_logins']:.0f} MB / {f['hub_peak_mb']:.0f} MB |",
            f"| an idle server (no kernel): peak RSS, p50 / p95 / max | {spread(f['idle_server_rss_mb'], 'MB')} |",
            f"| an idle server (no kernel): PSS, p50 / p95 / max | {spread(f['idle_server_pss_mb'], 'MB')} |",
            f"| machine memory in use, all {n} servers idle (baseline before the hub) | "
            f"{f['used_mb_all_idle'] / 1024:.1f} GiB ({f['baseline_used_mb'] / 1024:.1f} GiB) |"]
    if f["chapters"]:
        ch = " and ".join(f["chapters"])
        rows += [f"| students with chapters {ch} open (a kernel each, run in turn) | {k} of {n} |",
                 f"| chapters {ch} executed without an error | {k - len({e.split()[0] for e in f['chapter_errors']})}"
                 f" of {k} |",
                 f"| time to run them, per student, p50 / p95 / max | {spread(f['chapters_s'], 's')} |",
                 f"| one kernel after its chapter: peak RSS, p50 / p95 / max | {spread(f['kernel_rss_mb'], 'MB')} |",
                 f"| one student (server + kernels): summed peak RSS, p50 / p95 / max | "
                 f"{spread(f['student_rss_mb'], 'MB')} |",
                 f"| one student (server + kernels): summed PSS, p50 / p95 / max | "
                 f"{spread(f['student_pss_mb'], 'MB')} |"]
        if f.get("student_cgroup_peak_mb"):
            rows.append(f"| one student's cgroup: peak charged memory, p50 / p95 / max | "
                        f"{spread(f['student_cgroup_peak_mb'], 'MB')} |")
            killed = {n: k for n, k in f["cgroup_oom_kills"].items() if k}
            rows.append(f"| students whose cgroup OOM-killed a process (kills) | {len(killed)} of {k} "
                        f"({sum(killed.values())}) |")
    rows.append(f"| machine memory in use, peak of the run (sampled every 0.5 s) | "
                f"{f['machine_peak_used_mb'] / 1024:.1f} GiB |")
    for phase in f.get("runaway", []):
        kind = phase["runaway"]
        label = {None: "no runaway", "cpu": "one student spins 4 processes",
                 "memory": "one student allocates without bound"}[kind]
        rows.append(f"| {label}: the other {phase['others']['n']} run chapter {f.get('others_chapter', '03')}, "
                    f"p50 / p95 / max | {spread(phase['others'], 's')}, errors {len(phase['others_errors'])} |")
        cg = phase.get("cgroup")
        if kind == "cpu" and cg:
            rows.append(f"| ... the spinners: cores they got meanwhile / their cgroup's throttled periods, time | "
                        f"{phase['spinners_cores']:.2f} / {cg['nr_throttled']}, {cg['throttled_s']:.0f} s "
                        f"(quota {cg['quota_us'] / 1e5:.1f} core) |")
        if kind == "memory" and cg:
            died = "n/a" if phase["kernel_died_after_s"] is None else f"{phase['kernel_died_after_s']:.0f} s"
            rows.append(f"| ... the runaway kernel: dead when checked after the others / at / OOM kills in its cgroup"
                        f" / its peak | "
                        f"{'yes' if phase['kernel_died'] else 'no'} / {died} / {cg['oom_kills']} / "
                        f"{cg['max_usage_mb']:.0f} MB of {cg['limit_mb']:.0f} MB |")
        if kind:
            rows.append(f"| ... servers answering afterwards (the runaway's own included) | "
                        f"{phase['servers_alive']} of {f['start_s']['n']}"
                        f" ({'yes' if phase['runaway_server_alive'] else 'no'}) |")
    rows.append(f"| cgroups left after the run | {len(f.get('cgroups_left', []))} |")
    rows.append(f"| whole run | {f['wall_s']:.0f} s |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=int(os.environ.get("LSTMKIT_HUB_STUDENTS", "10")))
    sizing = parser.add_argument_group("sizing (instead of the chapter 03 class: start, memory, runaways)")
    sizing.add_argument("--chapters", help="chapters each student opens, one kernel each, e.g. 05,06")
    sizing.add_argument("--with-chapters", type=int, help="how many students open them (default: all)")
    sizing.add_argument("--runaway", action="store_true",
                        help="then one student's memory and CPU runaways while the others run --others-chapter")
    sizing.add_argument("--others-chapter", default="03")
    sizing.add_argument("--no-limits", action="store_true", help="no cgroups: the limits are not enforced")
    sizing.add_argument("--workdir", help="keep the hub's folder (its log) here instead of a temporary one")
    args = parser.parse_args(argv)
    if args.chapters or args.runaway:
        figures = run_sizing(args.students, tuple((args.chapters or "").split(",")) if args.chapters else (),
                             args.with_chapters, args.runaway, not args.no_limits, args.others_chapter,
                             workdir=args.workdir)
        print(json.dumps(figures, indent=1, default=str))
        print(sizing_table(figures))
        return 0 if not figures["start_failures"] and not figures["chapter_errors"] else 1
    figures = run_class(args.students)
    print(json.dumps({k: v for k, v in figures.items() if k != "listening"}, indent=1))
    print(table(figures))
    ok = (not figures["failures"] and not figures["errors"] and not figures["lost_after_restart"]
          and not figures["isolation_failures"] and not figures["not_loopback"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
