"""The chapter 02 explorer: building it computes a curve, and moving a control recomputes it."""
import warnings

import numpy as np
import pytest

from lstmkit import decay
from lstmkit.widgets import decay_explorer

pytestmark = pytest.mark.usefixtures("agg_figures")   # Agg, and every figure closed


@pytest.fixture
def explorer(agg_figures):
    return decay_explorer(hidden_size=8, batch=4)


def test_builder_draws_once_with_the_default_controls(explorer):
    c = explorer.controls
    assert set(c) == {"sigma_max", "input_scale", "steps", "activation"}
    assert all(getattr(s, "continuous_update", False) is False for k, s in c.items() if k != "activation")
    d = explorer.data
    assert d["norms"].shape == (c["steps"].value + 1, 4)
    # the widget shows exactly what the pure function computes for the same settings
    ref = decay.decay_curve(c["sigma_max"].value, c["input_scale"].value, c["steps"].value,
                            c["activation"].value, hidden_size=8, batch=4)
    np.testing.assert_array_equal(d["norms"], ref["norms"])
    assert "1e-3" in explorer.readout.value


def test_moving_sigma_changes_curve_bound_and_readout(explorer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        before, text = explorer.data, explorer.readout.value
        explorer.controls["sigma_max"].value = 0.5
        after = explorer.data
    assert after is not before
    np.testing.assert_allclose(after["bound"], 0.5 ** after["lags"])   # tanh: gamma = 1
    assert after["median"][10] < before["median"][10]
    assert after["vanishing_lag"] is not None and after["vanishing_lag"] <= 10
    assert explorer.readout.value != text and "vanishing guaranteed" in explorer.readout.value


def test_steps_and_activation_and_input_scale(explorer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        explorer.controls["steps"].value = 20
        assert explorer.data["norms"].shape == (21, 4)
        tanh_lag = explorer.data["vanishing_lag"]
        explorer.controls["activation"].value = "sigmoid"
        np.testing.assert_allclose(explorer.data["bound"], 0.25 ** np.arange(21))
        # sigmoid' <= 1/4: the gradient vanishes sooner than with tanh
        assert explorer.data["vanishing_lag"] < (tanh_lag or 21)
        explorer.controls["activation"].value = "tanh"
        explorer.controls["sigma_max"].value = 1.5
        mild = explorer.data["median"][20]
        explorer.controls["input_scale"].value = 4.0   # saturated tanh: smaller f', faster decay
        assert explorer.data["median"][20] < mild


def test_plot_helpers_draw_what_they_are_given():
    """lstmkit.plots (used by the explorer and chapters 01-02): smoke test on the Agg backend."""
    from lstmkit import plots, rnn

    fig, axes = plots.new_figure(1, 4)
    plots.unrolled_rnn(axes[0], steps=3, backward=True)
    assert len(axes[0].patches) > 3 * 3                      # boxes and arrows
    f, df = rnn.ACTIVATIONS["tanh"]
    plots.activation_with_saturation(axes[1], np.linspace(-4, 4, 81), f, df, "tanh")
    assert len(axes[1].lines) >= 2 and axes[1].get_title() == "tanh"
    values = np.array([[1.0, -1e-3], [0.0, 2.0]])
    image = plots.signal_heatmap(axes[2], values, vmin=1e-8)
    np.testing.assert_array_equal(image.get_array(), [[1.0, 1e-3], [1e-8, 2.0]])   # |values|, floored
    line = plots.norms_vs_lag(axes[3], np.arange(3), np.array([[1.0, 1.0], [0.5, 0.3], [0.1, 0.2]]),
                              bound=np.array([1.0, 0.9, 0.81]), label="x")
    np.testing.assert_allclose(line.get_ydata(), [1.0, 0.4, 0.15])   # the median over sequences
    fig2, axes2 = plots.new_figure(1, 2)
    plots.training_curves(axes2, {"run": (np.array([1.0, 0.5]), np.array([2.0, 1.0]))}, clip=1.0)
    assert axes2[1].get_ylabel().startswith("gradient norm")


def test_readout_words_the_curve():
    vanishing = decay.decay_curve(0.5, 1.0, 20, "tanh", hidden_size=8, batch=4)
    from lstmkit.widgets.decay import readout
    text = readout(vanishing, 0.5, "tanh", 20)
    assert text.startswith("γ·σ_max = 0.50 (vanishing guaranteed)")
    assert text.endswith(f"after {vanishing['vanishing_lag']} steps")
    alive = decay.decay_curve(1.0, 1.0, 20, "identity", hidden_size=8, batch=4, init="orthogonal")
    assert readout(alive, 1.0, "identity", 20).endswith("after more than 20 steps")
    assert "no guarantee" in readout(alive, 1.0, "identity", 20)
    assert "(vanishing guaranteed)" in readout(alive, 3.0, "sigmoid", 20)   # 0.75 < 1


def test_stored_output_has_a_readable_fallback(explorer):
    """Where widgets cannot render, a viewer picks image/png or text/plain from the same bundle."""
    import base64

    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == "Explorer of the gradient decay: run the cells above to move the sliders."
    png = base64.b64decode(bundle["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert 400 <= width <= 680                                # a readable picture that fits the column


def test_layout_wraps_the_controls_and_sizes_the_figure_for_a_680px_column(explorer):
    from lstmkit.widgets import decay as wd

    controls, _, out = explorer.children
    assert controls.layout.flex_flow == "row wrap"           # two controls per row, or one when narrow
    for c in explorer.controls.values():
        assert c.layout.min_width == "300px"                 # with a 125 px label: labels stay whole
    assert wd.FIGSIZE[0] * wd.DPI <= 680
    assert out.layout.min_height == f"{wd.FIGSIZE[1] * wd.DPI:.0f}px"   # no band below the plot
    fig = wd.draw(explorer.data, 1.0, "tanh")
    assert tuple(fig.get_size_inches()) == pytest.approx(wd.FIGSIZE)
    title = wd.draw(explorer.data, 1.0, "tanh", 1.0, 40).axes[0].get_title()
    assert "input scale 1, T = 40" in title                  # a static copy names what it shows
