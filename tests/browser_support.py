"""Helpers for the book and real-browser tests: Chromium, a JupyterLab server, a static server,
and the book built once per test session.

The browser is Debian's /usr/bin/chromium driven by the playwright package (never
`playwright install`). Outside CI a missing Chromium skips these tests; in CI (CI=true) it fails.
"""
import atexit
import functools
import http.server
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER03 = ROOT / "chapters" / "03_lstm_cell.ipynb"
CHROMIUM = "/usr/bin/chromium"
# without the background-networking flags Chromium keeps dialling Google's hosts on a closed network
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI") == "true"
READOUT = re.compile(r"∂c_T/∂c_0 = ([-+0-9.eE]+|nan|inf)")


def require(condition, reason):
    """Skip the test when condition is false, except in CI, where it fails."""
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: this test must run)")
        pytest.skip(reason)


def require_chromium():
    require(os.access(CHROMIUM, os.X_OK),
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium`; .ci/run does)")


def readout_number(text):
    """The number after '∂c_T/∂c_0 = ' in the gate explorer's readout."""
    m = READOUT.search(text)
    assert m, f"no '∂c_T/∂c_0 = <number>' in the readout text {text!r}"
    return float(m.group(1))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def chromium_page(screenshot_on_failure):
    """A fresh headless Chromium page; saves a screenshot to screenshot_on_failure if the body raises."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            try:
                yield page
            except BaseException:
                try:
                    page.screenshot(path=str(screenshot_on_failure), full_page=True, timeout=30_000)
                except Exception as error:   # keep the test's own error, not the screenshot's
                    print(f"no screenshot: {error}")
                raise
        finally:
            browser.close()


def offline_only(page):
    """Abort every request that is not to this machine's loopback: the page must work offline."""
    blocked = []

    def route(r):
        host = re.match(r"^[a-z]+://([^/:]+|\[[^\]]+\])", r.request.url)
        if r.request.url.startswith(("data:", "blob:")) or (
                host and host.group(1) in ("127.0.0.1", "localhost", "[::1]")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return blocked


@contextmanager
def jupyterlab(root_dir, home, log_path):
    """JupyterLab on 127.0.0.1 (free port, random token) in a temporary HOME; yields (URL, token).

    Its JUPYTER_* folders sit under that HOME, but the venv's share/jupyter stays on the data path
    (jupyter always searches sys.prefix), so the ipywidgets lab extension and the kernel are found.
    """
    home = Path(home)
    env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
               JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
               JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
               IPYTHONDIR=str(home / ".ipython"), JUPYTER_PLATFORM_DIRS="1")
    env.pop("JUPYTER_PATH", None)
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root_dir}", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    with open(log_path, "wb") as log:
        server = subprocess.Popen(cmd, env=env, cwd=root_dir, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
                    break
                except OSError as err:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"JupyterLab did not start; log: {log_path}") from err
                    time.sleep(0.5)
            yield base, token
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextmanager
def static_server(directory):
    """Serve directory over HTTP on 127.0.0.1 from a thread; yields the base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def offline_build_possible():
    """True when `unshare --net` works here, so the book build can be run with no network."""
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "--net", "--map-root-user", "true"],
                          capture_output=True).returncode == 0


class Book:
    """A book built by tools/build_book.py into a temporary folder."""

    def __init__(self):
        self.out = Path(tempfile.mkdtemp(prefix="lstmkit-book-"))
        atexit.register(shutil.rmtree, self.out, ignore_errors=True)
        self.html = self.out / "_build" / "html"
        self.log = self.out / "build.log"
        self.offline = offline_build_possible()
        cmd = [sys.executable, str(ROOT / "tools" / "build_book.py"), str(self.out)]
        cmd += ["--offline"] if self.offline else []
        started = time.monotonic()
        with open(self.log, "w") as log:
            self.returncode = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                             timeout=600).returncode
        self.seconds = time.monotonic() - started

    def check(self):
        """Fail, showing the end of the build log, unless the build succeeded."""
        if self.returncode != 0:
            tail = "\n".join(self.log.read_text().splitlines()[-40:])
            pytest.fail(f"tools/build_book.py exited {self.returncode}:\n{tail}")
        return self


@functools.cache
def built_book():
    """The book, built once per test session (offline where possible)."""
    return Book()

