"""The cell diagrams of chapters 03 and 04 and the gate panels: what a reader must be able to see.

Each helper returns a Figure (or draws on an Axes) with the labels, routes and legends the chapters
quote; the live diagram's arrow widths follow lstmkit.cell_demos.route_gains.
"""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lstmkit import cell_demos, plots

pytestmark = pytest.mark.usefixtures("agg_figures")   # Agg, and every figure closed


def texts(ax):
    return " ".join(t.get_text() for t in ax.texts)


def test_cell_diagram_has_the_gates_in_torch_order_and_the_cell_line():
    fig, ax = plt.subplots()
    routes = plots.lstm_cell_diagram(ax)
    labels = [t.get_text() for t in ax.texts]
    gates = [lab for lab in labels if lab in ("$i_t$", "$f_t$", "$g_t$", "$o_t$")]
    assert gates == ["$i_t$", "$f_t$", "$g_t$", "$o_t$"]            # drawn left to right in torch's order
    xs = {t.get_text(): t.get_position()[0] for t in ax.texts}
    assert xs["$i_t$"] < xs["$f_t$"] < xs["$g_t$"] < xs["$o_t$"]
    for sym in ("$c_{t-1}$", "$c_t$", "$h_{t-1}$", "$h_t$", "$x_t$", "$i_t g_t$", r"$\times$", "$+$", "tanh"):
        assert sym in labels, sym
    assert set(routes) == {"cell", "write", "out"}
    # the cell path is highlighted: its own colour, thicker than the other routes
    assert routes["cell"].get_edgecolor() != routes["out"].get_edgecolor()
    assert routes["cell"].get_linewidth() > routes["write"].get_linewidth()


@pytest.mark.parametrize("f", [0.0, 0.5, 0.9, 1.0])
def test_live_diagram_widths_follow_the_gradient_factors(f):
    gains = cell_demos.route_gains(cell_demos.simulate_gates(f=f, T=20))
    _, ax = plt.subplots()
    routes = plots.lstm_cell_diagram(ax, gains)
    assert routes["cell"].get_linewidth() == pytest.approx(plots._width(f))
    assert f"f_t = {f:.3f}" in texts(ax) and plots.tex_number(gains['carousel']) in texts(ax)


def test_live_diagram_cell_arrow_grows_with_f():
    widths = []
    for f in (0.1, 0.5, 0.99):
        _, ax = plt.subplots()
        gains = cell_demos.route_gains(cell_demos.simulate_gates(f=f))
        widths.append(plots.lstm_cell_diagram(ax, gains)["cell"].get_linewidth())
    assert widths[0] < widths[1] < widths[2]


def test_unrolled_lstm_shows_both_routes():
    fig, ax = plt.subplots()
    legend = plots.unrolled_lstm(ax, steps=3)
    assert [t.get_text() for t in legend.get_texts()] == ["cell path", "h path"]
    words = texts(ax)
    for sym in ("$c_{t-3}$", "$c_{t}$", "$h_{t-1}$", r"$\times f_{t}$", "W_{hh}^\\top"):
        assert sym in words, sym
    assert r"\mathtt{dc}_{t-1} = \mathtt{dc}_t \odot f_t" in words     # dc as in the code, not delta (= dL/da)


def lines_by_label(ax):
    return {ln.get_label(): ln for ln in ax.get_lines()}


def test_gate_panel_keeps_the_candidate_apart_and_every_line_visible():
    d = cell_demos.simulate_gates(f=1.0, o=1.0, g=1.0)          # f, o and g all at 1: nothing may hide
    fig = plots.plot_gate_run(d, "t")
    ax_s, ax_g, ax_z, ax_d = fig.axes
    gates = lines_by_label(ax_g)
    assert set(gates) == {"forget $f_t$", "input $i_t$", "output $o_t$"}   # g is not a gate
    assert "candidate $g_t$" in lines_by_label(ax_z)
    styles = {(ln.get_linestyle(), ln.get_marker(), ln.get_color()) for ln in gates.values()}
    assert len(styles) == 3                               # no two gate lines drawn alike
    assert ax_g.get_ylim()[1] > 1.05                      # a gate at exactly 1 is not on the frame
    fig.canvas.draw()
    # the legend sits above every gate value (all in [0, 1]): it covers no line
    box = ax_g.get_legend().get_window_extent().transformed(ax_g.transData.inverted())
    assert box.y0 > 1.0
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert fig.get_size_inches()[0] * fig.dpi <= 680


def test_gate_panel_draws_on_a_subfigure():
    fig = plt.figure()
    sub = fig.subfigures(1, 1)
    assert plots.plot_gate_run(cell_demos.simulate_gates(), fig=sub) is sub
    assert len(fig.axes) == 4 and np.isclose(fig.axes[3].get_lines()[0].get_ydata()[0], 0.9 ** 50)
