"""One frame of each explorer as a pure function: slider values in, (figure, readout text, data) out.

The kernel-backed explorers (gates.py for chapter 03, decay.py for chapter 02) redraw on every
slider move. Where no kernel runs, in the static book, tools/static_sliders.py calls these
functions over a grid of the main slider's values and stores the frames, so a plain HTML slider
can swap them. The maths is the explorers' own (lstmkit.cell, lstmkit.decay, lstmkit.plots); the
titles and readouts use the explorers' wording, so a frame shows what the live widget would show
for the same values.
"""
import matplotlib.pyplot as plt

from lstmkit import cell, decay, plots
from lstmkit.widgets.gates import READOUT as GATE_READOUT

# the explorers' default values: the widget shows these until a slider moves
GATE_DEFAULTS = {"mode": "values", "T": 50, "write_step": 5, "f": 0.9, "i": 1.0, "o": 1.0, "g": 1.0,
                 "b_f": 3.0, "b_i": -4.0, "b_o": 2.0, "b_g": 0.0}
DECAY_DEFAULTS = {"sigma_max": 1.0, "input_scale": 1.0, "steps": 40, "activation": "tanh",
                  "hidden_size": 32, "batch": 16, "seed": 0}


def gate_frame(**values):
    """Chapter 03's gate explorer for the given slider values (any of GATE_DEFAULTS' keys; the rest
    keep their defaults). Returns (figure, readout text, the simulate_* dict); close the figure."""
    unknown = set(values) - set(GATE_DEFAULTS)
    if unknown:
        raise ValueError(f"gate_frame: unknown slider(s) {sorted(unknown)}; expected some of {list(GATE_DEFAULTS)}")
    v = {**GATE_DEFAULTS, **values}
    T, write_step = v["T"], min(v["write_step"], v["T"])
    if v["mode"] == "values":
        data = cell.simulate_gates(f=v["f"], i=v["i"], o=v["o"], g=v["g"], T=T, write_step=write_step)
        title = (f"gate values set by hand: f = {v['f']:.3f}, i = {v['i']:.2f} at t = {write_step}, "
                 f"o = {v['o']:.2f}, g = {v['g']:.2f}")
    elif v["mode"] == "biases":
        data = cell.simulate_biases(b_f=v["b_f"], b_i=v["b_i"], b_o=v["b_o"], b_g=v["b_g"], T=T,
                                    write_step=write_step)
        title = (f"a real cell, gates from the input (pulse at t = {write_step}): "
                 f"b_f = {v['b_f']:.1f}, b_i = {v['b_i']:.1f}, b_o = {v['b_o']:.1f}, b_g = {v['b_g']:.1f}")
    else:
        raise ValueError(f"gate_frame: mode must be 'values' or 'biases', got {v['mode']!r}")
    readout = (f"{GATE_READOUT.format(data['dcT_dc0'])} (the product of all {T} forget gates); "
               f"c_T = {data['c'][-1]:.3e}, h_T = {data['h'][-1]:.3e}")
    return plots.plot_gate_run(data, title), readout, data


def decay_frame(**values):
    """Chapter 02's decay explorer for the given slider values (any of DECAY_DEFAULTS' keys; the rest
    keep their defaults). Returns (figure, readout text, the decay_curve dict); close the figure."""
    unknown = set(values) - set(DECAY_DEFAULTS)
    if unknown:
        raise ValueError(f"decay_frame: unknown slider(s) {sorted(unknown)}; expected some of {list(DECAY_DEFAULTS)}")
    v = {**DECAY_DEFAULTS, **values}
    sigma_max, steps, activation = v["sigma_max"], v["steps"], v["activation"]
    d = decay.decay_curve(sigma_max, v["input_scale"], steps, activation,
                          hidden_size=v["hidden_size"], batch=v["batch"], seed=v["seed"])
    gamma = decay.ACTIVATION_GAMMA[activation]
    lag = d["vanishing_lag"]
    verdict = "vanishing guaranteed" if gamma * sigma_max < 1 else "no guarantee"
    readout = (f"γ·σ_max = {gamma * sigma_max:.2f} ({verdict}); median gradient below 1e-3 after "
               f"{'more than ' + str(steps) if lag is None else lag} steps")
    fig, ax = plots.new_figure(figsize=(8, 3.6))
    plots.norms_vs_lag(ax, d["lags"], d["norms"], d["bound"], label=f"{activation}, σ_max = {sigma_max:.2f}")
    lo, hi = max(1e-30, d["norms"].min() / 2), max(10.0, d["norms"].max() * 2)
    if lo <= 1e-3 <= hi:      # the reference line only where it is on the axis (and so in the legend)
        ax.axhline(1e-3, color="0.5", ls=":", lw=1, label="1e-3")
    ax.set_ylim(lo, hi)
    ax.set_title("How much gradient from step T reaches step T - k")
    ax.legend(loc="lower left")
    return fig, readout, d


def close(fig):
    """Free a frame's figure (pyplot keeps every open figure)."""
    plt.close(fig)
