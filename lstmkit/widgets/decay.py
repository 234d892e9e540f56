"""The vanishing-gradient explorer of chapter 02: move sigma_max, the input scale, T and f.

A thin wrapper around ``lstmkit.decay.decay_curve`` (tested directly): every change of a control
recomputes the curve, stores it on the widget (``.data``), updates a one-line readout and redraws a
log-scale plot of ||dh_T/dh_{T-k}|| against the lag k with the bound (gamma sigma_max)^k.
"""
import ipywidgets as W
import matplotlib.pyplot as plt

from lstmkit import decay, plots
from lstmkit._validate import check_positive_int, check_seed


class DecayExplorer(W.VBox):
    """The explorer widget. ``controls`` maps names to the sliders/dropdown, ``data`` is the dict
    from the last ``decay_curve`` call, ``readout`` the HTML line under the controls."""

    def __init__(self, hidden_size=32, batch=16, seed=0):
        check_positive_int("hidden_size", hidden_size)   # here, not in the output area of a callback
        check_positive_int("batch", batch)
        check_seed("seed", seed)
        style = {"description_width": "initial"}
        wide = W.Layout(width="48%")
        self.controls = {
            "sigma_max": W.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.05, description="σ_max(W_hh)",
                                       continuous_update=False, style=style, layout=wide),
            "input_scale": W.FloatSlider(value=1.0, min=0.0, max=5.0, step=0.1, description="input scale",
                                         continuous_update=False, style=style, layout=wide),
            "steps": W.IntSlider(value=40, min=5, max=150, step=5, description="sequence length T",
                                 continuous_update=False, style=style, layout=wide),
            "activation": W.Dropdown(options=list(decay.ACTIVATION_GAMMA), value="tanh",
                                     description="activation f", style=style, layout=wide),
        }
        self.readout = W.HTML()
        self.data = None
        self._sizes = {"hidden_size": hidden_size, "batch": batch, "seed": seed}
        out = W.interactive_output(self._draw, self.controls)
        out.layout = W.Layout(width="100%", min_height="360px")
        c = self.controls
        super().__init__([W.HBox([c["sigma_max"], c["input_scale"]]), W.HBox([c["steps"], c["activation"]]),
                          self.readout, out], layout=W.Layout(width="100%"))

    def _draw(self, sigma_max, input_scale, steps, activation):
        self.data = d = decay.decay_curve(sigma_max, input_scale, steps, activation, **self._sizes)
        gamma = decay.ACTIVATION_GAMMA[activation]
        lag = d["vanishing_lag"]
        verdict = "vanishing guaranteed" if gamma * sigma_max < 1 else "no guarantee"
        self.readout.value = (f"γ·σ_max = {gamma * sigma_max:.2f} ({verdict}); "
                              f"median gradient below 1e-3 after "
                              f"{'more than ' + str(steps) if lag is None else lag} steps")
        fig, ax = plots.new_figure(figsize=(8, 3.6))
        plots.norms_vs_lag(ax, d["lags"], d["norms"], d["bound"], label=f"{activation}, σ_max = {sigma_max:.2f}")
        ax.axhline(1e-3, color="0.5", ls=":", lw=1, label="1e-3")
        ax.set_ylim(max(1e-30, d["norms"].min() / 2), max(10.0, d["norms"].max() * 2))
        ax.set_title("How much gradient from step T reaches step T - k")
        ax.legend(loc="lower left")
        plt.show()


def decay_explorer(hidden_size=32, batch=16, seed=0):
    """Build the chapter 02 explorer; display it as the last expression of a cell. Defined in chapter 02."""
    return DecayExplorer(hidden_size=hidden_size, batch=batch, seed=seed)
