"""The gate sliders of chapter 03: moving a slider recomputes the data, the readout and the plot.

The maths is lstmkit.cell_demos's (tested in test_cell.py); here we check the wiring, and the contract
with the browser test: a FloatSlider "forget f" on 0..1 with the CSS class lstmkit-forget, and a
readout with the class lstmkit-readout showing "∂c_T/∂c_0 = " and the product of the forget gates.
"""
import re

import ipywidgets as W
import matplotlib.pyplot as plt
import pytest

from lstmkit import cell_demos
from lstmkit.plots import plot_gate_run
from lstmkit.widgets import gate_explorer

pytestmark = pytest.mark.usefixtures("agg_figures")   # Agg, and every figure closed

NUMBER = re.compile(r"∂c_T/∂c_0 = (-?\d\.\d{3}e[+-]\d\d)")


def readout_number(box):
    m = NUMBER.search(box.readout.value)
    assert m, f"no '∂c_T/∂c_0 = x.xxxe-xx' in {box.readout.value!r}"
    return m.group(1)


@pytest.fixture
def box(agg_figures):
    return gate_explorer()


def test_contract_with_the_browser_test(box):
    f = box.sliders["f"]
    assert isinstance(box, W.VBox)
    assert isinstance(f, W.FloatSlider) and f.description == "forget f"
    assert (f.min, f.max, f.value) == (0.0, 1.0, 0.9)
    assert "lstmkit-forget" in f._dom_classes and not f.continuous_update
    assert isinstance(box.readout, (W.HTML, W.Label)) and "lstmkit-readout" in box.readout._dom_classes
    assert readout_number(box) == "5.154e-03"   # 0.9^50, the number chapter 03 quotes
    assert box.readout in box.children and box.output in box.children


def test_forget_slider_changes_data_and_readout(box):
    before = box.data
    box.sliders["f"].value = 0.99
    assert box.data is not before
    assert readout_number(box) == f"{0.99 ** 50:.3e}"
    assert box.data["c"][-1] > 50 * before["c"][-1]   # memory kept
    assert box.data["dcT_dct"][0] == pytest.approx(0.99 ** 50)


@pytest.mark.parametrize("name, value, key", [("i", 0.3, "c"), ("g", -0.5, "c"), ("o", 0.2, "h"),
                                              ("write_step", 20, "c"), ("T", 100, "t")])
def test_every_value_slider_changes_the_plot_data(box, name, value, key):
    before = box.data[key].copy()
    box.sliders[name].value = value
    after = box.data[key]
    assert after.shape != before.shape or (after != before).any(), name


def test_bias_mode_runs_the_real_cell(box):
    box.mode.value = "biases"
    assert "x" in box.data              # the record of simulate_biases, which has the input
    first = readout_number(box)
    want = cell_demos.simulate_biases(T=50, write_step=5)["dcT_dc0"]
    assert first == f"{want:.3e}"
    box.sliders["b_f"].value = 6.0
    assert readout_number(box) != first
    box.sliders["f"].value = 0.5        # the gate-value sliders do not act in bias mode
    assert readout_number(box) == f"{cell_demos.simulate_biases(b_f=6.0, T=50, write_step=5)['dcT_dc0']:.3e}"


def test_mode_switch_shows_only_its_own_sliders(box):
    assert box.sliders["f"].layout is not None
    box.mode.value = "biases"
    value_box, bias_box = box.children[1].children[:2]
    assert value_box.layout.display == "none" and bias_box.layout.display == "flex"
    box.mode.value = "values"
    assert value_box.layout.display == "flex" and bias_box.layout.display == "none"


def test_T_limits_the_write_step(box):
    box.sliders["T"].value = 20
    assert box.sliders["write_step"].max == 20
    box.sliders["write_step"].value = 20
    box.sliders["T"].value = 10                 # the slider clamps and the maths never sees 20 > 10
    assert box.sliders["write_step"].value <= 10 and len(box.data["t"]) == 11


def test_plot_has_labels_and_a_log_axis():
    fig = plot_gate_run(cell_demos.simulate_gates(f=0.0), "title")   # f = 0 gives zeros on a log axis
    axes = fig.axes
    assert len(axes) == 4 and axes[3].get_yscale() == "log"
    assert all(ax.get_xlabel() and ax.get_ylabel() and ax.get_title() for ax in axes)
    plt.close(fig)


def test_explorer_draws_the_vanilla_rnns_factor_beside_the_cell_path():
    import numpy as np

    from lstmkit.widgets.gates import DEFAULTS, explorer_figure

    fig, _, _ = explorer_figure(**{**DEFAULTS, "T": 40})
    panel = fig.subfigs[1].axes[3]                                   # the cell-path gradient panel
    lines = {line.get_label(): line for line in panel.get_lines()}
    reference = [line for label, line in lines.items() if "vanilla RNN" in label]
    assert len(reference) == 1
    np.testing.assert_array_equal(reference[0].get_ydata(), np.maximum(cell_demos.rnn_reference_path(40), 1e-30))
    assert panel.get_ylim()[0] <= cell_demos.rnn_reference_path(40).min()   # the whole line is in view
    plt.close(fig)


def test_explorer_figure_is_pure_and_fits_the_column():
    from lstmkit.widgets.gates import DEFAULTS, explorer_figure
    fig, html, data = explorer_figure(**DEFAULTS)
    assert READOUT_OF(html) == "5.154e-03"
    assert fig.get_size_inches()[0] * fig.dpi <= 680      # 660 px: inside the book's column
    assert len(fig.axes) == 5                               # the diagram and the four panels
    fig2, html2, _ = explorer_figure(**{**DEFAULTS, "f": 0.5})
    assert READOUT_OF(html2) == f"{0.5 ** 50:.3e}"
    with pytest.raises(ValueError, match="mode: expected 'values' or 'biases', got 'x'"):
        explorer_figure(mode="x")


def READOUT_OF(html):
    return NUMBER.search(html).group(1)


def test_labels_readouts_and_layout(box):
    assert box.sliders["f"].readout_format == ".3f"       # the step is 0.005: three decimals
    assert box.sliders["f"].step == 0.005
    assert box.sliders["b_f"].description == "forget bias b_f"
    # labels are given room for their whole text, and two slider columns fit 680 px
    for s in box.sliders.values():
        assert s.style.description_width == "118px" and s.layout.max_width == "320px"   # shrinks in a narrow column
    assert box.layout.max_width == "100%" and box.layout.width == "auto"
    # the output area is only as tall as the figure it shows: no fixed minimum height
    assert box.output.layout.min_height is None
    caption, toggle = box.children[0].children
    assert isinstance(caption, W.HTML) and toggle is box.mode and not box.mode.description


def test_stored_output_has_a_readable_fallback(box):
    bundle = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == "Gate explorer: run the cells above to move the sliders."
    import base64
    assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
