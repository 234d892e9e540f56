# JupyterHub for the lstmkit course on ONE machine: plain JupyterHub, the machine's own users.
#
# Which deployment when (README, "For instructors"): up to a few dozen students on one server, this
# file (or The Littlest JupyterHub, notes below); a larger class or several servers, Zero to
# JupyterHub on Kubernetes with z2jh-values.yaml next to this file.
#
#   sudo mamba env create -p /opt/lstmkit/student -f environment.yml
#        (the student environment: Binder's, so no nbgrader)
#   sudo bash tools/pip-install /opt/lstmkit/instructor
#        (the instructor's: everything, nbgrader and its JupyterLab extensions included)
#   make hub-proxy                          # the pinned configurable-http-proxy, in _build/jupyterhub
#   cd /srv/jupyterhub && \
#     sudo /opt/lstmkit/instructor/bin/jupyterhub -f /path/to/lstmkit/classroom/jupyterhub/jupyterhub_config.py
#
# Students log in with their system account (PAM); each one's server runs as that user, in that
# user's home, and the operating system keeps one student's files from another: before each server
# starts, the hub makes the home and ~/lstmkit 0700 (however the account was made: a `useradd -m`
# home is 0755), and the server runs with umask 077, so a saved notebook is 0600 (student_homes.py).
# Put TLS in front (nginx or caddy on 443 -> 127.0.0.1:8000): the hub itself listens on 127.0.0.1 only.
#
# The Littlest JupyterHub (TLJH 2.0.0) does the same with less to write, and adds what this file
# leaves to others (memory and CPU limits that systemd enforces, HTTPS from Let's Encrypt), but it
# does not read this file: the private homes and the umask are not promised there.
# Its settings are classroom/tljh/config.yaml. The course goes into TLJH's user environment from
# the class edition's branch, non-editable, with only what the chapters import
# (classroom/tljh/requirements.txt): Python, JupyterHub and JupyterLab stay TLJH's own.
#   curl -L https://tljh.jupyter.org/bootstrap.py | sudo python3 - --version 2.0.0 --admin instructor
#   git clone --branch class-v0.2.0 https://github.com/lstmkit/lstmkit && cd lstmkit
#   sudo -E /opt/tljh/user/bin/pip install -r classroom/tljh/requirements.txt
#   sudo cp classroom/tljh/config.yaml /opt/tljh/config/config.yaml
#   sudo tljh-config set auth.GenericOAuthenticator.client_secret THE-SECRET-FROM-YOUR-SSO
#   xargs -n1 sudo tljh-config add-item users.allowed < students.txt     # the roster, a name a line
#   sudo tljh-config reload proxy && sudo tljh-config reload
# and give the students the nbgitpuller link printed by `python classroom/jupyterhub/links.py`.
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (traitlets defines it while it loads this file)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
from links import nbgitpuller_path  # noqa: E402
from student_homes import PrivateLocalProcessSpawner  # noqa: E402

# ---- network: the hub and every student server listen on 127.0.0.1 only ----
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ.get("LSTMKIT_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.Spawner.ip = "127.0.0.1"
_chp = REPO / "_build" / "jupyterhub" / "node_modules" / ".bin" / "configurable-http-proxy"
if _chp.exists():                      # `make hub-proxy`; otherwise the one on PATH
    c.ConfigurableHTTPProxy.command = [str(_chp)]

# ---- who: the machine's users; the instructors are the hub's admins ----
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.admin_users = set(os.environ.get("LSTMKIT_INSTRUCTORS", "instructor").split(","))
_roster = HERE / "students.txt"        # one user name a line; not in git (a class's roster is private)
if _roster.exists():
    c.Authenticator.allowed_users = {line.strip() for line in _roster.read_text().splitlines() if line.strip()}
    c.LocalAuthenticator.create_system_users = True   # `useradd` for a new name on the roster

# ---- what each student gets ----
# LocalProcessSpawner (the server runs as the student), with a private home and umask 077
c.JupyterHub.spawner_class = PrivateLocalProcessSpawner
c.Spawner.notebook_dir = "~"
# The first visit pulls the course into ~/lstmkit (nbgitpuller: later visits merge, never overwrite
# the student's edits) and opens chapter 01 in JupyterLab.
c.Spawner.default_url = nbgitpuller_path()
# One BLAS thread per kernel: the course's matrices are small; a class shares the cores.
c.Spawner.environment = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Sized from the measured peaks (benchmarks/README.md): a chapter's kernel peaks at 120-450 MB and
# a student's server at about 100 MB more; 1 GB leaves room for two open chapters. LocalProcessSpawner
# only passes these on (MEM_LIMIT, CPU_LIMIT in the server's environment, shown by
# jupyter-resource-usage); TLJH's systemd spawner and Kubernetes enforce them.
c.Spawner.mem_limit = "1G"
c.Spawner.cpu_limit = 1.0
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

STUDENT_ENV = Path(os.environ.get("LSTMKIT_STUDENT_ENV", "/opt/lstmkit/student"))
INSTRUCTOR_ENV = Path(os.environ.get("LSTMKIT_INSTRUCTOR_ENV", "/opt/lstmkit/instructor"))


def _environment_for(spawner):
    """Students run the course environment (no nbgrader); instructors the one with nbgrader's extensions.

    An instructor's Formgrader reads classroom/nbgrader_config.py (its folder is put on the Jupyter
    config path) and finds the course in LSTMKIT_CLASSROOM_ROOT, which must lie inside the
    instructor's server root (their home): ~/lstmkit-course unless the hub was started with it set.
    `make collect`, `grade` and `return` (as root) take the same LSTMKIT_CLASSROOM_ROOT.
    """
    import pwd

    env = INSTRUCTOR_ENV if spawner.user.admin else STUDENT_ENV
    spawner.cmd = [str(env / "bin" / "jupyterhub-singleuser")]
    if spawner.user.admin:
        home = pwd.getpwnam(spawner.user.name).pw_dir
        spawner.default_url = "/lab"
        spawner.environment = dict(
            spawner.environment, JUPYTER_CONFIG_PATH=str(REPO / "classroom"),
            LSTMKIT_CLASSROOM_ROOT=os.environ.get("LSTMKIT_CLASSROOM_ROOT", os.path.join(home, "lstmkit-course")))


c.Spawner.pre_spawn_hook = _environment_for

# ---- the hub's own state; a restart (upgrade, new roster) leaves the students' servers running ----
c.JupyterHub.cleanup_servers = False

# ---- stop servers idle for an hour (a forgotten tab holds a kernel's memory all night) ----
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600", "--cull-every=300"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
