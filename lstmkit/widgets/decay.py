"""The vanishing-gradient explorer of chapter 02: move sigma_max, the input scale, T and f.

A thin wrapper around pure functions tested directly: ``lstmkit.decay.decay_curve`` computes the
curve, ``readout`` words it, ``lstmkit.plots.decay_panel`` draws it. Every change of a control
recomputes the curve, stores it on the widget (``.data``), updates a one-line readout and redraws a
log-scale plot of ||dh_T/dh_{T-k}|| against the lag k with the bound (gamma sigma_max)^k.

The controls wrap onto as many rows as the column needs (two per row from ~640 px, one below),
and the figure is drawn 640 px wide, so the explorer fits a 680 px book column without scrolling.
Where no kernel runs (a stored notebook opened untrusted, nbconvert, GitHub's viewer) the output
shows a picture of the default state and a line saying how to make the sliders live.
"""
import base64
import io

import ipywidgets as W
import matplotlib.pyplot as plt
from traitlets import TraitError, validate

from lstmkit import decay, plots
from lstmkit._validate import check_choice, check_positive_int, check_seed

FALLBACK_TEXT = "Explorer of the gradient decay: run the cells above to move the sliders."
FIGSIZE, DPI = (6.4, 3.3), 100        # 640 x 330 px: fits a 680 px column
# the one place the explorer's starting values are written (the widget and widgets.frames)
DEFAULTS = {"sigma_max": 1.0, "input_scale": 1.0, "steps": 40, "activation": "tanh",
            "hidden_size": 32, "batch": 16, "seed": 0}


class Choice(W.Dropdown):
    """A dropdown that refuses a value outside its options with a ValueError naming ``argument``,
    as every lstmkit argument does, where ipywidgets raises a TraitError."""

    def __init__(self, argument, **kwargs):
        self.argument = argument
        super().__init__(**kwargs)

    @validate("value")
    def _validate_value(self, proposal):
        try:
            return super()._validate_value(proposal)
        except TraitError:
            check_choice(self.argument, proposal.value, self.options)
            raise


def readout(data, sigma_max, activation, steps):
    """The explorer's one-line summary of a ``decay.decay_curve`` dict. Defined in chapter 02."""
    gamma = decay.ACTIVATION_GAMMA[activation]
    lag = data["vanishing_lag"]
    verdict = "vanishing guaranteed" if gamma * sigma_max < 1 else "no guarantee"
    reach = f"more than {steps}" if lag is None else str(lag)
    return (f"γ·σ_max = {gamma * sigma_max:.2f} ({verdict}); "
            f"median gradient below 1e-3 after {reach} steps")   # decay_curve's vanishing_lag


def draw(data, sigma_max, activation, input_scale=None, steps=None):
    """The explorer's figure for a ``decay.decay_curve`` dict; returns it. Its title names the input
    scale and T when they are given, so a static copy says what it shows. Defined in chapter 02."""
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    plots.decay_panel(ax, data, label=f"{activation}, σ_max = {sigma_max:.2f}", legend=False)
    setting = "" if input_scale is None or steps is None else f" (input scale {input_scale:g}, T = {steps})"
    ax.set_title(f"How much gradient from step T reaches step T − k{setting}", fontsize=11)
    # below the plot, in a band of its own: inside it would cover the curve at some setting
    fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig


class DecayExplorer(W.VBox):
    """The explorer widget. ``controls`` maps names to the sliders/dropdown, ``data`` is the dict
    from the last ``decay_curve`` call, ``readout`` the HTML line under the controls."""

    def __init__(self, hidden_size=DEFAULTS["hidden_size"], batch=DEFAULTS["batch"],
                 seed=DEFAULTS["seed"]):
        check_positive_int("hidden_size", hidden_size)   # here, not in the output area of a callback
        check_positive_int("batch", batch)
        check_seed("seed", seed)
        style = {"description_width": "125px"}
        cell = W.Layout(flex="1 1 300px", min_width="300px", max_width="460px")
        self.controls = {
            "sigma_max": W.FloatSlider(value=DEFAULTS["sigma_max"], min=0.1, max=3.0, step=0.05,
                                       description="σ_max(W_hh)", readout_format=".2f", continuous_update=False,
                                       style=style, layout=cell),
            "input_scale": W.FloatSlider(value=DEFAULTS["input_scale"], min=0.0, max=5.0, step=0.1,
                                         description="input scale", readout_format=".1f", continuous_update=False,
                                         style=style, layout=cell),
            "steps": W.IntSlider(value=DEFAULTS["steps"], min=5, max=150, step=5, description="sequence length T",
                                 continuous_update=False, style=style, layout=cell),
            "activation": Choice("activation", options=list(decay.ACTIVATION_GAMMA),
                                 value=DEFAULTS["activation"], description="activation f", style=style,
                                 layout=cell),
        }
        self.readout = W.HTML(layout=W.Layout(width="auto"))
        self.data = None
        self._sizes = {"hidden_size": hidden_size, "batch": batch, "seed": seed}
        self._fallback_png = None
        out = W.interactive_output(self._draw, self.controls)
        out.layout = W.Layout(width="auto", max_width="100%", min_height=f"{FIGSIZE[1] * DPI:.0f}px",
                              overflow="hidden")
        controls = W.HBox(list(self.controls.values()),
                          layout=W.Layout(flex_flow="row wrap", width="auto", max_width="100%"))
        super().__init__([controls, self.readout, out],
                         layout=W.Layout(width="auto", max_width="100%", overflow="hidden"))
        self.add_class("lstmkit-decay")          # a handle for the page's layout test

    def _draw(self, sigma_max, input_scale, steps, activation):
        self.data = d = decay.decay_curve(sigma_max, input_scale, steps, activation, **self._sizes)
        self.readout.value = readout(d, sigma_max, activation, steps)
        draw(d, sigma_max, activation, input_scale, steps)
        plt.show()

    def _repr_mimebundle_(self, **kwargs):
        """The widget view, plus a picture of the default state and a line of text for the places
        that cannot show widgets (they pick image/png or text/plain)."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if self._fallback_png is None:
            c = self.controls
            d = decay.decay_curve(c["sigma_max"].value, c["input_scale"].value, c["steps"].value,
                                  c["activation"].value, **self._sizes)
            fig = draw(d, c["sigma_max"].value, c["activation"].value, c["input_scale"].value, c["steps"].value)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=DPI)
            plt.close(fig)
            self._fallback_png = base64.b64encode(buf.getvalue()).decode("ascii")
        bundle["image/png"] = self._fallback_png
        bundle["text/plain"] = FALLBACK_TEXT
        return bundle


def decay_explorer(hidden_size=DEFAULTS["hidden_size"], batch=DEFAULTS["batch"], seed=DEFAULTS["seed"]):
    """Build the chapter 02 explorer; display it as the last expression of a cell. Defined in chapter 02."""
    return DecayExplorer(hidden_size=hidden_size, batch=batch, seed=seed)
