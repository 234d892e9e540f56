"""The explorers' frames as pure functions (lstmkit.widgets.frames), which the static book draws.

A frame must show what the live widget shows for the same slider values: the same readout text
(the widget's readout, without its HTML tags) and the same data. If an explorer changes its
wording or its defaults, these tests say that frames.py (and so the book's static sliders) must
follow.
"""
import re

import numpy as np
import pytest

from lstmkit.widgets import decay_explorer, frames, gate_explorer

pytestmark = pytest.mark.usefixtures("agg_figures")   # Agg, and every figure closed


def plain(html):
    return re.sub(r"<[^>]+>", "", html)


def test_defaults_are_the_widgets_starting_values():
    box = gate_explorer()
    for name, slider in box.sliders.items():
        assert frames.GATE_DEFAULTS[name] == pytest.approx(slider.value), name
    assert frames.GATE_DEFAULTS["mode"] == box.mode.value
    ex = decay_explorer()
    for name, control in ex.controls.items():
        assert frames.DECAY_DEFAULTS[name] == control.value, name


@pytest.mark.parametrize("mode, name, value", [("values", "f", 0.6), ("values", "f", 0.995),
                                               ("biases", "b_f", -2.0), ("biases", "b_f", 6.5)])
def test_gate_frame_matches_the_widget(mode, name, value):
    box = gate_explorer()
    box.mode.value = mode
    box.sliders[name].value = value
    fig, readout, data = frames.gate_frame(mode=mode, **{name: value})
    assert readout == plain(box.readout.value)
    np.testing.assert_array_equal(data["c"], box.data["c"])
    assert len(fig.axes) >= 3


@pytest.mark.parametrize("activation, sigma_max", [("tanh", 0.5), ("sigmoid", 2.5), ("relu", 1.3)])
def test_decay_frame_matches_the_widget(activation, sigma_max):
    ex = decay_explorer()
    ex.controls["activation"].value = activation
    ex.controls["sigma_max"].value = sigma_max
    fig, readout, data = frames.decay_frame(activation=activation, sigma_max=sigma_max)
    assert readout == plain(ex.readout.value)
    np.testing.assert_array_equal(data["norms"], ex.data["norms"])
    setting = f"(input scale {frames.DECAY_DEFAULTS['input_scale']:g}, T = {frames.DECAY_DEFAULTS['steps']})"
    assert setting in fig.axes[0].get_title()             # a static copy names what it shows


def test_a_frame_changes_with_its_slider():
    assert frames.gate_frame(f=0.5)[1] != frames.gate_frame(f=0.95)[1]
    assert frames.decay_frame(sigma_max=0.5)[1] != frames.decay_frame(sigma_max=2.0)[1]


def test_reference_line_in_the_legend_only_when_on_the_axis():
    for sigma_max in (0.1, 1.0, 3.0):
        fig, _, d = frames.decay_frame(sigma_max=sigma_max)
        lo, hi = fig.axes[0].get_ylim()
        (legend,) = fig.legends          # below the plot, in a band of its own
        labels = [t.get_text() for t in legend.get_texts()]
        shown = any(label.startswith("0.001") for label in labels)   # the threshold line's entry
        assert shown == (lo <= 1e-3 <= hi), (sigma_max, lo, hi, labels)


@pytest.mark.parametrize("call, message", [
    (lambda: frames.gate_frame(forget=0.5), "unknown slider"),
    (lambda: frames.gate_frame(mode="weights"), "mode: expected 'values' or 'biases', got 'weights'"),
    (lambda: frames.decay_frame(sigma=1.0), "unknown slider"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
