"""The explorers' figures read cleanly at every corner of their sliders.

A legend never covers a plotted point (checked on the drawn figure: every point of every line of a
panel, in screen coordinates, lies outside every legend box of the figure), a log axis shows powers of
ten rather than 2 × 10⁰ and 3 × 10⁰ when the curve is flat, and numbers in titles read as × 10ⁿ,
not e-notation. The corners are each slider's ends, in both modes of chapter 03's explorer and for
every activation of chapter 02's.
"""
import itertools

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402

from lstmkit.decay import ACTIVATION_GAMMA  # noqa: E402
from lstmkit.plots import tex_number  # noqa: E402
from lstmkit.widgets import frames  # noqa: E402

GATE_CORNERS = (
    [{"mode": "values", "f": f, "i": i, "o": o, "g": g, "T": T}
     for f, i, o, g, T in [(0.0, 1.0, 1.0, 1.0, 50), (1.0, 1.0, 1.0, 1.0, 50), (1.0, 0.0, 0.0, -1.0, 10),
                           (0.9, 1.0, 0.0, 1.0, 500), (1.0, 1.0, 1.0, -1.0, 500), (0.5, 0.5, 0.5, 0.0, 10)]]
    + [{"mode": "biases", "b_f": bf, "b_i": bi, "b_o": bo, "b_g": bg, "T": T}
       for bf, bi, bo, bg, T in [(8.0, 8.0, 8.0, 8.0, 500), (-8.0, -8.0, -8.0, -8.0, 10), (3.0, -4.0, 2.0, 0.0, 500),
                                 (8.0, -8.0, 8.0, -8.0, 50), (-8.0, 8.0, -8.0, 8.0, 500)]])
DECAY_ENDS = [(0.1, 40, 1.0), (3.0, 150, 1.0), (1.0, 5, 0.0), (3.0, 150, 5.0)]   # (sigma_max, T, input scale)
DECAY_CORNERS = [{"sigma_max": s, "activation": a, "steps": T, "input_scale": x}
                 for (s, T, x), a in itertools.product(DECAY_ENDS, ACTIVATION_GAMMA)]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def covered_points(fig):
    """[(legend's first label, panel title, point)] for every plotted point inside a legend's box."""
    fig.canvas.draw()
    legends = fig.findobj(Legend)
    assert legends, "the figure has no legend to check"
    boxes = [(lg, lg.get_window_extent()) for lg in legends]
    hits = []
    for ax in fig.findobj(Axes):
        for line in ax.get_lines():
            xy = line.get_xydata()
            xy = xy[np.all(np.isfinite(xy), axis=1)]
            if not len(xy):
                continue
            screen = ax.transData.transform(xy)
            inside_axes = ax.bbox.contains
            for lg, box in boxes:
                for px, py in screen:
                    if box.contains(px, py) and inside_axes(px, py):
                        hits.append((lg.get_texts()[0].get_text(), ax.get_title(), (round(px), round(py))))
                        break
    return hits


@pytest.mark.parametrize("values", GATE_CORNERS, ids=lambda v: "-".join(f"{k}{v[k]}" for k in v))
def test_the_gate_explorer_legends_cover_no_data(values):
    fig, _, _ = frames.gate_frame(**values)
    assert covered_points(fig) == []


@pytest.mark.parametrize("values", DECAY_CORNERS, ids=lambda v: "-".join(f"{k}{v[k]}" for k in v))
def test_the_decay_explorer_legend_covers_no_data(values):
    fig, _, _ = frames.decay_frame(**values)
    assert covered_points(fig) == []


def test_a_flat_cell_path_is_labelled_in_powers_of_ten():
    fig, _, _ = frames.gate_frame(mode="values", f=1.0)
    fig.canvas.draw()
    (panel,) = [ax for ax in fig.findobj(Axes) if ax.get_title().startswith("cell path")]
    bottom, top = panel.get_ylim()
    assert top / bottom >= 100, "less than two decades: matplotlib labels 2 and 3 × 10⁰ instead of powers of ten"
    labels = [t.get_text() for t in panel.get_yticklabels(minor=True) if t.get_visible() and t.get_text()]
    assert labels == [], f"minor ticks are labelled: {labels}"


def test_numbers_in_titles_read_as_powers_of_ten():
    fig, _, _ = frames.gate_frame(mode="values", f=0.9)
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert not [t for t in texts if "e-0" in t or "e−0" in t], [t for t in texts if "e-0" in t]
    assert any(r"5.154 \times 10^{-3}" in t for t in texts)    # 0.9^50


@pytest.mark.parametrize("x, text", [(0.9, "0.900"), (5.154e-3, r"5.154 \times 10^{-3}"), (0.0, "0"),
                                     (12.5, "12.50"), (9.99961e-4, r"1.000 \times 10^{-3}"),
                                     (-3.2e5, r"-3.200 \times 10^{5}")])
def test_tex_number(x, text):
    assert tex_number(x) == text
