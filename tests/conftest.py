"""Shared set-up for the lstmkit tests."""
import atexit
import os
import shutil
import tempfile
from pathlib import Path

# one BLAS thread: oversubscribed threads on a 2-core machine slow small matmuls by 50x
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")


def notebook_environment(environ):
    """The environment the notebook kernels run in: the user's, less what changes stored outputs.

    The outputs were stored under matplotlib's defaults and the kernel's inline backend. A user's
    MPLBACKEND (Agg is common on headless machines) would replace the inline figures by nothing, a
    user's matplotlibrc (dpi, style) or IPython start-up files would change the text nbval compares.
    """
    env = {k: v for k, v in environ.items() if k != "MPLBACKEND"}
    env["MATPLOTLIBRC"] = str(Path(__file__).resolve().parent / "matplotlibrc")
    env["IPYTHONDIR"] = IPYTHONDIR
    return env


IPYTHONDIR = tempfile.mkdtemp(prefix="lstmkit-ipython-")   # an empty profile: no start-up files
atexit.register(shutil.rmtree, IPYTHONDIR, ignore_errors=True)
# nbval starts each notebook's kernel with this process's environment
os.environ.pop("MPLBACKEND", None)
os.environ.update(notebook_environment(os.environ))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# (T, N, D, H), with every size 1 somewhere
SHAPES = [(1, 1, 1, 1), (3, 2, 4, 5), (5, 1, 3, 2), (2, 4, 1, 3), (4, 3, 2, 1)]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_collection_modifyitems(items):
    # nbval waits only 5 s for a cell's outputs once the cell has finished; on a loaded two-core
    # machine a training cell's burst of progress-bar messages can take longer to arrive
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = 120
