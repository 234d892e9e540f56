"""Shared set-up for the lstmkit tests (the environment of every test and kernel: ../conftest.py)."""
import os

# one BLAS thread: oversubscribed threads on a 2-core machine slow small matmuls by 50x
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# (T, N, D, H), with every size 1 somewhere
SHAPES = [(1, 1, 1, 1), (3, 2, 4, 5), (5, 1, 3, 2), (2, 4, 1, 3), (4, 3, 2, 1)]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)

