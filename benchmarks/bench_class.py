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
"""
import argparse
import hashlib
import json
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

    def __init__(self, workdir, students, system_users=False):
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
        self.config.write_text(overrides)

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

def _execute(ws, session, code, timeout):
    """Run `code` on the kernel behind websocket `ws`; return (status, nbformat outputs)."""
    from nbformat.v4 import output_from_msg

    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "session": session, "username": "", "msg_type": "execute_request",
                   "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    outputs, status, idle = [], None, False
    end = time.monotonic() + timeout
    while status is None or not idle:
        if time.monotonic() > end:
            raise TimeoutError(f"no reply within {timeout} s to {code[:60]!r}")
        raw = ws.recv()
        if isinstance(raw, bytes):          # binary frames carry widget buffers: not outputs
            continue
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


def student_session(hub, name, notebook_text, timeout=300):
    """Log in, start the server, run chapter 03, save it with a note. Returns the measurements."""
    import nbformat
    import requests
    import websocket

    result = {"name": name, "started": False, "executed": False, "errors": []}
    t0 = time.monotonic()
    token = result["token"] = start_server(hub, name, timeout)
    auth = {"Authorization": f"token {token}"}
    result["started"], result["server_s"] = True, time.monotonic() - t0
    base = f"{hub.url}/user/{name}"
    path = NOTEBOOK.name
    nb = nbformat.reads(notebook_text, as_version=4)
    requests.put(f"{base}/api/contents/{path}", headers=auth, timeout=60,
                 json={"type": "notebook", "format": "json", "content": nb}).raise_for_status()
    session = requests.post(f"{base}/api/sessions", headers=auth, timeout=120, json={
        "path": path, "type": "notebook", "name": path, "kernel": {"name": "python3"}})
    session.raise_for_status()
    kernel_id = session.json()["kernel"]["id"]
    ws = websocket.create_connection(f"ws://127.0.0.1:{hub.port}/user/{name}/api/kernels/{kernel_id}/channels",
                                     header=[f"Authorization: token {token}"], timeout=timeout)
    try:
        session_id = uuid.uuid4().hex
        for index, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
            status, outputs = _execute(ws, session_id, cell.source, timeout)
            cell.outputs, cell.execution_count = outputs, index + 1
            if status != "ok":
                result["errors"].append(f"cell {index}: " + "; ".join(
                    f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.output_type == "error"))
        result["last_cell_s"] = time.monotonic() - t0
        result["executed"] = not result["errors"]
        _, peak = _execute(ws, session_id, "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)",
                           timeout)
        result["kernel_peak_mb"] = int(peak[0]["text"]) / 1024
    finally:
        ws.close()
    nb.cells.append(nbformat.v4.new_markdown_cell(f"My notes ({name}): the forget gate keeps the carousel open."))
    requests.put(f"{base}/api/contents/{path}", headers=auth, timeout=60,
                 json={"type": "notebook", "format": "json", "content": nb}).raise_for_status()
    requests.delete(f"{base}/api/sessions/{session.json()['id']}", headers=auth, timeout=60).raise_for_status()
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
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=int(os.environ.get("LSTMKIT_HUB_STUDENTS", "10")))
    args = parser.parse_args(argv)
    figures = run_class(args.students)
    print(json.dumps({k: v for k, v in figures.items() if k != "listening"}, indent=1))
    print(table(figures))
    ok = (not figures["failures"] and not figures["errors"] and not figures["lost_after_restart"]
          and not figures["isolation_failures"] and not figures["not_loopback"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
