"""The environment the notebook kernels run in under pytest --nbval (loaded by the root conftest.py).

The stored outputs were made under matplotlib's defaults and the kernel's inline backend. A user's
MPLBACKEND (Agg is common on headless machines) would replace the inline figures by nothing, and a
user's matplotlibrc (dpi, style) or IPython start-up files would change the text nbval compares.
"""
import atexit
import os
import shutil
import tempfile
from pathlib import Path

IPYTHONDIR = tempfile.mkdtemp(prefix="lstmkit-ipython-")   # an empty profile: no start-up files
atexit.register(shutil.rmtree, IPYTHONDIR, ignore_errors=True)


def notebook_environment(environ):
    """The user's environment less what changes stored outputs: a dict for a kernel's env."""
    env = {k: v for k, v in environ.items() if k != "MPLBACKEND"}
    env["MATPLOTLIBRC"] = str(Path(__file__).resolve().parent / "matplotlibrc")
    env["IPYTHONDIR"] = IPYTHONDIR
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")   # one BLAS thread: oversubscribed threads on 2 cores are 50x slower
    return env


def apply():
    """Set this process's environment, which nbval passes on to every kernel it starts."""
    os.environ.pop("MPLBACKEND", None)
    os.environ.update(notebook_environment(os.environ))


def pytest_collection_modifyitems(items):
    # nbval waits only 5 s for a cell's outputs once the cell has finished; on a loaded two-core
    # machine a training cell's burst of progress-bar messages can take longer to arrive
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = 120
