"""The gate sliders of chapter 03: move the LSTM's gates and watch the cell state and its gradient.

Two modes share the plots. "gate values": the sliders set f, i, o and the candidate g directly
(lstmkit.cell_demos.simulate_gates: a value stored at one step, then held). "gate biases": the sliders set
the biases of a real one-unit lstmkit cell and the cell equations compute the gates from a noisy
input sequence with one pulse (lstmkit.cell_demos.simulate_biases). The figure is the live cell diagram
(arrow widths are the gradient factors of lstmkit.cell_demos.route_gains) above the four panels of
plot_gate_run. ``explorer_figure`` is pure: it takes the slider values and returns the figure and
the readout, so a static page can render it over a grid of slider values. Defined in chapter 03.
"""
import base64
import io

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from lstmkit import cell_demos
from lstmkit._validate import check_int
from lstmkit.plots import lstm_cell_diagram, plot_gate_run, rnn_reference_line

READOUT = "∂c_T/∂c_0 = {:.3e}"   # the browser test reads this text; keep the wording
# the one place the sliders' starting values are written (explorer_figure, the widget, widgets.frames)
DEFAULTS = {"mode": "values", "T": 50, "write_step": 5, "f": 0.9, "i": 1.0, "o": 1.0, "g": 1.0,
            "b_f": 3.0, "b_i": -4.0, "b_o": 2.0, "b_g": 0.0}
FIGSIZE = (6.6, 7.8)              # inches at 100 dpi: 660 px wide, inside a 680 px column
FALLBACK = "Gate explorer: run the cells above to move the sliders."
_LABEL_WIDTH = "118px"            # wide enough for the longest label, "forget bias b_f"
_SLIDER_WIDTH = "320px"           # two columns of sliders fit side by side in 680 px


def explorer_figure(**sliders):
    """The explorer's figure for one setting of its sliders: returns (fig, readout_html, data).

    sliders: any of DEFAULTS' names (mode, T, write_step, f, i, o, g, b_f, b_i, b_o, b_g); the others
    keep their DEFAULTS. mode "values" runs cell_demos.simulate_gates(f, i, o, g) and "biases"
    cell_demos.simulate_biases(b_f, b_i, b_o, b_g), both over T steps with the write at write_step
    (clamped to T). The figure (660 px wide at 100 dpi) has the cell diagram on top, its arrows as
    wide as the gradient factors of the last step, and the four panels of plot_gate_run below.
    Defined in chapter 03.
    """
    unknown = sorted(set(sliders) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"sliders: unknown slider(s) {unknown}; expected some of {list(DEFAULTS)}")
    v = {**DEFAULTS, **sliders}
    mode, T, f, i, o, g = (v[k] for k in ("mode", "T", "f", "i", "o", "g"))
    b_f, b_i, b_o, b_g = (v[k] for k in ("b_f", "b_i", "b_o", "b_g"))
    if mode not in ("values", "biases"):
        raise ValueError(f"mode: expected 'values' or 'biases', got {mode!r}")
    write_step = min(v["write_step"], T)
    if mode == "values":
        data = cell_demos.simulate_gates(f=f, i=i, o=o, g=g, T=T, write_step=write_step)
        title = f"gate values set by hand: f = {f:.3f}, i = {i:.2f} at t = {write_step}, o = {o:.2f}, g = {g:.2f}"
    else:
        data = cell_demos.simulate_biases(b_f=b_f, b_i=b_i, b_o=b_o, b_g=b_g, T=T, write_step=write_step)
        title = (f"a real cell, gates from the input (pulse at t = {write_step}):\n"
                 f"$b_f$ = {b_f:.1f}, $b_i$ = {b_i:.1f}, $b_o$ = {b_o:.1f}, $b_g$ = {b_g:.1f}")
    fig = plt.figure(figsize=FIGSIZE, layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.15, 1.45])
    ax = top.subplots()
    lstm_cell_diagram(ax, cell_demos.route_gains(data))
    top.suptitle(f"the cell at its last step, t = {T}: arrow width = gradient factor", fontsize=10)
    plot_gate_run(data, title, fig=bottom)
    rnn_reference_line(bottom.axes[3], data["t"], cell_demos.rnn_reference_path(T))   # the factor the LSTM replaces
    readout = (f"<b>{READOUT.format(data['dcT_dc0'])}</b> (the product of all {T} forget gates); "
               f"c_T = {data['c'][-1]:.3e}, h_T = {data['h'][-1]:.3e}")
    return fig, readout, data


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


class GateExplorer(W.VBox):
    """The explorer's box. Where no widget can render (a notebook that has not run, a static viewer)
    its stored output is a picture of the default setting and a line saying how to make it move."""

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        fig, _, _ = explorer_figure(**DEFAULTS)
        fig.suptitle(FALLBACK, fontsize=11, color="C3")
        png = _png(fig)
        plt.close(fig)
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
        bundle["text/plain"] = FALLBACK
        return bundle


def _slider_layout():
    # as wide as its column allows, at most _SLIDER_WIDTH: a narrow window shortens the track, not the label
    return W.Layout(width="calc(100% - 8px)", max_width=_SLIDER_WIDTH)   # 8 px: the slider's margins


def _slider(description, value, lo, hi, step, fmt, css=None):
    s = W.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                      continuous_update=False, readout_format=fmt,
                      style={"description_width": _LABEL_WIDTH}, layout=_slider_layout())
    if css:
        s.add_class(css)
    return s


def _int_slider(description, value, lo, hi, step=1):
    return W.IntSlider(value=value, min=lo, max=hi, step=step, description=description, continuous_update=False,
                       style={"description_width": _LABEL_WIDTH}, layout=_slider_layout())


def gate_explorer(T=DEFAULTS["T"], write_step=DEFAULTS["write_step"]):
    """The gate sliders: returns a VBox; its attributes .sliders (name -> slider), .mode,
    .readout (the HTML line "∂c_T/∂c_0 = ..."), .output and .data (the last simulate_* dict)
    let code move the sliders and read what changed. Defined in chapter 03.
    """
    check_int("T", T, 10, 500)                      # the range of the T slider
    check_int("write_step", write_step, 1, T)
    values = {
        # the forget slider steps by 0.005, so its readout shows 3 decimals
        "f": _slider("forget f", DEFAULTS["f"], 0.0, 1.0, 0.005, ".3f", "lstmkit-forget"),
        "i": _slider("input i", DEFAULTS["i"], 0.0, 1.0, 0.01, ".2f"),
        "o": _slider("output o", DEFAULTS["o"], 0.0, 1.0, 0.01, ".2f"),
        "g": _slider("candidate g", DEFAULTS["g"], -1.0, 1.0, 0.01, ".2f"),
    }
    biases = {
        "b_f": _slider("forget bias b_f", DEFAULTS["b_f"], -8.0, 8.0, 0.1, ".1f"),
        "b_i": _slider("input bias b_i", DEFAULTS["b_i"], -8.0, 8.0, 0.1, ".1f"),
        "b_o": _slider("output bias b_o", DEFAULTS["b_o"], -8.0, 8.0, 0.1, ".1f"),
        "b_g": _slider("cand. bias b_g", DEFAULTS["b_g"], -8.0, 8.0, 0.1, ".1f"),
    }
    steps = {"T": _int_slider("steps T", T, 10, 500, 10), "write_step": _int_slider("write at t", write_step, 1, T)}
    mode = W.ToggleButtons(options=[("gate values", "values"), ("gate biases (real cell)", "biases")],
                           value="values", style={"button_width": "auto"}, layout=W.Layout(width="auto"))
    # the same 4 px inset as the readout below, so neither sits flush against the cell's edge
    caption = W.HTML("sliders set:", layout=W.Layout(width="auto", margin="0 8px 0 4px"))
    readout = W.HTML(layout=W.Layout(margin="4px 0 4px 4px", max_width="100%"))
    readout.add_class("lstmkit-readout")
    column = {"width": "330px", "max_width": "100%", "overflow": "hidden"}
    value_box = W.VBox(list(values.values()), layout=W.Layout(**column))
    bias_box = W.VBox(list(biases.values()), layout=W.Layout(display="none", **column))

    def on_T(change):   # the write step must stay inside the sequence
        steps["write_step"].max = change["new"]

    def on_mode(change):
        value_box.layout.display = "flex" if change["new"] == "values" else "none"
        bias_box.layout.display = "flex" if change["new"] == "biases" else "none"

    steps["T"].observe(on_T, "value")
    mode.observe(on_mode, "value")
    box = GateExplorer(layout=W.Layout(width="auto", max_width="100%", overflow="hidden"))

    def update(**sliders):
        fig, html, data = explorer_figure(**sliders)
        box.data = data
        # an HTML widget's line is as tall as a slider row; a readout that wraps (a narrow column)
        # reads better at the text's own spacing
        readout.value = f'<div style="line-height: 1.4">{html}</div>'
        display(fig)
        plt.close(fig)

    controls = {"mode": mode, **steps, **values, **biases}
    output = W.interactive_output(update, controls)
    # no min_height: interactive_output clears with wait=True, so the area never collapses while
    # redrawing, and a fixed height would leave a blank band wherever the figure is drawn smaller
    output.layout = W.Layout(width="auto", max_width="100%", overflow="hidden")
    sliders = W.HBox([value_box, bias_box, W.VBox(list(steps.values()), layout=W.Layout(**column))],
                     layout=W.Layout(flex_flow="row wrap", width="auto", max_width="100%"))
    box.children = [W.HBox([caption, mode], layout=W.Layout(align_items="center", flex_flow="row wrap")),
                    sliders, readout, output]
    box.sliders, box.mode, box.readout, box.output = {**values, **biases, **steps}, mode, readout, output
    return box
