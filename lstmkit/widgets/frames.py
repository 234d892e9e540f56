"""One frame of each explorer as a pure function: slider values in, (figure, readout text, data) out.

The kernel-backed explorers (gates.py for chapter 03, decay.py for chapter 02) redraw on every
slider move. Where no kernel runs, in the static book, tools/static_sliders.py calls these
functions over a grid of the main slider's values and stores the frames, so a plain HTML slider
can swap them. Each frame is drawn by the explorer's own figure and readout functions
(gates.explorer_figure; decay.draw and decay.readout), so it is what the live widget shows for the
same values.
"""
import re

import matplotlib.pyplot as plt

from lstmkit import decay
from lstmkit.widgets import decay as decay_widget
from lstmkit.widgets import gates

# the explorers' default values, each written once in its widget's module: the widget shows these
# until a slider moves
GATE_DEFAULTS = gates.DEFAULTS
DECAY_DEFAULTS = decay_widget.DEFAULTS


def gate_frame(**values):
    """Chapter 03's gate explorer for the given slider values (any of GATE_DEFAULTS' keys; the rest
    keep their defaults). Returns (figure, readout text, the simulate_* dict); close the figure."""
    fig, readout_html, data = gates.explorer_figure(**values)
    return fig, re.sub(r"<[^>]+>", "", readout_html), data


def decay_frame(**values):
    """Chapter 02's decay explorer for the given slider values (any of DECAY_DEFAULTS' keys; the rest
    keep their defaults). Returns (figure, readout text, the decay_curve dict); close the figure."""
    unknown = sorted(set(values) - set(DECAY_DEFAULTS))
    if unknown:
        raise ValueError(f"values: unknown slider(s) {unknown}; expected some of {list(DECAY_DEFAULTS)}")
    v = {**DECAY_DEFAULTS, **values}
    d = decay.decay_curve(v["sigma_max"], v["input_scale"], v["steps"], v["activation"],
                          hidden_size=v["hidden_size"], batch=v["batch"], seed=v["seed"])
    return (decay_widget.draw(d, v["sigma_max"], v["activation"], v["input_scale"], v["steps"]),
            decay_widget.readout(d, v["sigma_max"], v["activation"], v["steps"]), d)


def close(fig):
    """Free a frame's figure (pyplot keeps every open figure)."""
    plt.close(fig)
