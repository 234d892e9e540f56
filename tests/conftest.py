"""Shared fixtures for the lstmkit tests. The environment of every test and kernel (one BLAS thread,
matplotlib's defaults) is set by ../conftest.py, which pytest loads first."""
import numpy as np
import pytest

# (T, N, D, H), with every size 1 somewhere
SHAPES = [(1, 1, 1, 1), (3, 2, 4, 5), (5, 1, 3, 2), (2, 4, 1, 3), (4, 3, 2, 1)]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)

