"""The gate sliders of chapter 03: moving a slider recomputes the data, the readout and the plot.

The maths is lstmkit.cell's (tested in test_cell.py); here we check the wiring, and the contract
with the browser test: a FloatSlider "forget f" on 0..1 with the CSS class lstmkit-forget, and a
readout with the class lstmkit-readout showing "∂c_T/∂c_0 = " and the product of the forget gates.
"""
import re

import matplotlib
import pytest

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from lstmkit import cell  # noqa: E402
from lstmkit.plots import plot_gate_run  # noqa: E402
from lstmkit.widgets import gate_explorer  # noqa: E402

NUMBER = re.compile(r"∂c_T/∂c_0 = (-?\d\.\d{3}e[+-]\d\d)")


def readout_number(box):
    m = NUMBER.search(box.readout.value)
    assert m, f"no '∂c_T/∂c_0 = x.xxxe-xx' in {box.readout.value!r}"
    return m.group(1)


@pytest.fixture
def box():
    b = gate_explorer()
    yield b
    plt.close("all")


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
    want = cell.simulate_biases(T=50, write_step=5)["dcT_dc0"]
    assert first == f"{want:.3e}"
    box.sliders["b_f"].value = 6.0
    assert readout_number(box) != first
    box.sliders["f"].value = 0.5        # the gate-value sliders do not act in bias mode
    assert readout_number(box) == f"{cell.simulate_biases(b_f=6.0, T=50, write_step=5)['dcT_dc0']:.3e}"


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
    fig = plot_gate_run(cell.simulate_gates(f=0.0), "title")   # f = 0 gives zeros on a log axis
    axes = fig.axes
    assert len(axes) == 3 and axes[2].get_yscale() == "log"
    assert all(ax.get_xlabel() and ax.get_ylabel() and ax.get_title() for ax in axes)
    plt.close(fig)
