"""Shared fixtures for the lstmkit tests. The environment of every test and kernel (one BLAS thread,
matplotlib's defaults) is set by ../conftest.py, which pytest loads first."""
import warnings

import numpy as np
import pytest

# (T, N, D, H), with every size 1 somewhere
SHAPES = [(1, 1, 1, 1), (3, 2, 4, 5), (5, 1, 3, 2), (2, 4, 1, 3), (4, 3, 2, 1)]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)



@pytest.fixture
def agg_figures():
    """For the plot and widget tests: matplotlib draws on Agg (no window, and plt.show() quietly does
    nothing) and every figure the test opened is closed after it, so pyplot does not pile them up.
    A test module asks for it with ``pytestmark = pytest.mark.usefixtures("agg_figures")``."""
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "FigureCanvasAgg is non-interactive", UserWarning)
        yield plt
    plt.close("all")


@pytest.fixture(scope="session")
def edition(tmp_path_factory):
    """The class edition of the checkout (tools/make_classroom.py), built once for the tests that read it."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "make_classroom", Path(__file__).resolve().parent.parent / "tools" / "make_classroom.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool.build_edition(tmp_path_factory.mktemp("class") / "edition")
