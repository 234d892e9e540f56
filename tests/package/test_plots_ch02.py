"""The plot helpers of chapters 01 and 02: each returns or fills a figure with the artists and labels
the chapters' text refers to (run on the Agg backend)."""
import numpy as np
import pytest

from lstmkit import decay, plots

pytestmark = pytest.mark.usefixtures("agg_figures")   # Agg, and every figure closed


def texts(ax):
    return [t.get_text() for t in ax.texts]


def test_unrolled_rnn_labels_the_backward_arrows_with_what_they_carry():
    fig, ax = plots.new_figure()
    plots.unrolled_rnn(ax, steps=3, backward=True)
    labels = texts(ax)
    # between h_{t-1} and h_t the gradient handed back is W_hh^T delta_t, for t = 1..3
    for t in (1, 2, 3):
        assert f"$W_{{hh}}^\\top\\delta_{{{t}}}$" in labels
    assert "$\\delta$" not in labels
    forward_only = plots.new_figure()[1]
    plots.unrolled_rnn(forward_only, steps=3, backward=False)
    assert not any("delta" in t for t in texts(forward_only))
    assert len(ax.patches) > len(forward_only.patches)      # the red arrows are extra patches


def curve(sigma, act="tanh", steps=20, scale=1.0):
    return decay.decay_curve(sigma, scale, steps, act, hidden_size=8, batch=4)


def test_decay_panel_lists_the_threshold_only_when_it_is_visible():
    fig, (ax_in, ax_out) = plots.new_figure(1, 2)
    vanishing = curve(0.5)                                   # falls far below 1e-3
    plots.decay_panel(ax_in, vanishing, label="vanishing")
    labels = [t.get_text() for t in ax_in.get_legend().get_texts()]
    assert "0.001 (threshold)" in labels and "vanishing" in labels
    lo, hi = ax_in.get_ylim()
    assert lo <= 1e-3 <= hi

    alive = decay.decay_curve(1.0, 1.0, 20, "identity", hidden_size=8, batch=4, init="orthogonal")
    plots.decay_panel(ax_out, alive, label="alive")           # every norm is 1: 1e-3 is off the axis
    lo, hi = ax_out.get_ylim()
    assert lo > 1e-3
    labels = [t.get_text() for t in ax_out.get_legend().get_texts()]
    assert labels == ["alive", "bound for alive"]
    assert all(line.get_ydata()[0] != 1e-3 for line in ax_out.lines)


def test_decay_ylim_covers_the_data_and_ignores_non_finite_values():
    lo, hi = plots.decay_ylim(np.array([[1.0, 0.5], [1e-6, 1e-5]]))
    assert lo == pytest.approx(5e-7) and hi == 10.0
    lo, hi = plots.decay_ylim(np.array([[1.0, np.inf], [1e3, np.nan]]))
    assert lo == pytest.approx(0.5) and hi == pytest.approx(2e3)


def test_decay_small_multiple_has_one_panel_per_case_on_shared_axes():
    sigmas, acts = [0.5, 2.0], ["tanh", "sigmoid", "identity"]
    curves = {(a, s): curve(s, a) for a in acts for s in sigmas}
    fig = plots.decay_small_multiple(curves, sigmas, acts)
    axes = np.array(fig.axes).reshape(3, 2)
    for r, a in enumerate(acts):
        for c, s in enumerate(sigmas):
            ax = axes[r, c]
            assert ax.get_title().startswith(f"{a}, σ_max={s:g}")
            assert f"γσ_max={decay.ACTIVATION_GAMMA[a] * s:g}" in ax.get_title()
            assert ax.get_ylim() == pytest.approx((1e-12, 1e4))
            np.testing.assert_allclose(ax.lines[0].get_ydata(), curves[a, s]["median"])   # median drawn
            assert any(line.get_linestyle() == ":" for line in ax.lines)                  # threshold
    assert axes[-1, 0].get_xlabel().startswith("lag") and "partial" in axes[0, 0].get_ylabel()
    legend_labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_labels[0] == "median over sequences" and "bound" in legend_labels[1]


def test_norms_vs_lag_styles_tell_lines_apart():
    fig, ax = plots.new_figure()
    a = plots.norms_vs_lag(ax, np.arange(3), np.ones((3, 2)), label="a", ls="--", marker="o")
    b = plots.norms_vs_lag(ax, np.arange(3), np.ones((3, 2)), label="b")
    c = plots.norms_vs_lag(ax, np.arange(3), np.ones((3, 2)), label="c")
    assert a.get_linestyle() == "--" and a.get_marker() == "o"
    # without a style, new_figure's cycle gives each line its own colour and style
    assert (b.get_color(), b.get_linestyle()) != (c.get_color(), c.get_linestyle())
