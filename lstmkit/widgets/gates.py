"""The gate sliders of chapter 03: move the LSTM's gates and watch the cell state and its gradient.

Two modes share the plots. "gate values": the sliders set f, i, o and the candidate g directly
(lstmkit.cell.simulate_gates: a value stored at one step, then held). "gate biases": the sliders set
the biases of a real one-unit lstmkit cell and the cell equations compute the gates from a noisy
input sequence with one pulse (lstmkit.cell.simulate_biases). The maths lives in lstmkit.cell;
this module only draws. Defined in chapter 03.
"""
import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from lstmkit import cell
from lstmkit._validate import check_int
from lstmkit.plots import plot_gate_run

READOUT = "∂c_T/∂c_0 = {:.3e}"   # the browser test reads this text; keep the wording


def _slider(description, value, lo, hi, step, css=None):
    s = W.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                      continuous_update=False, readout_format=".2f",
                      style={"description_width": "90px"}, layout=W.Layout(width="330px"))
    if css:
        s.add_class(css)
    return s


def gate_explorer(T=50, write_step=5):
    """The gate sliders: returns a VBox; its attributes .sliders (name -> slider), .mode,
    .readout (the HTML line "∂c_T/∂c_0 = ..."), .output and .data (the last simulate_* dict)
    let code move the sliders and read what changed. Defined in chapter 03.
    """
    check_int("T", T, 10, 500)                      # the range of the T slider
    check_int("write_step", write_step, 1, T)
    values = {
        "f": _slider("forget f", 0.9, 0.0, 1.0, 0.005, "lstmkit-forget"),
        "i": _slider("input i", 1.0, 0.0, 1.0, 0.01),
        "o": _slider("output o", 1.0, 0.0, 1.0, 0.01),
        "g": _slider("candidate g", 1.0, -1.0, 1.0, 0.01),
    }
    biases = {
        "b_f": _slider("forget bias b_f", 3.0, -8.0, 8.0, 0.1),
        "b_i": _slider("input bias b_i", -4.0, -8.0, 8.0, 0.1),
        "b_o": _slider("output bias b_o", 2.0, -8.0, 8.0, 0.1),
        "b_g": _slider("cand. bias b_g", 0.0, -8.0, 8.0, 0.1),
    }
    steps = {
        "T": W.IntSlider(value=T, min=10, max=500, step=10, description="steps T", continuous_update=False,
                         style={"description_width": "90px"}, layout=W.Layout(width="330px")),
        "write_step": W.IntSlider(value=write_step, min=1, max=T, description="write at t",
                                  continuous_update=False, style={"description_width": "90px"},
                                  layout=W.Layout(width="330px")),
    }
    mode = W.ToggleButtons(options=[("gate values", "values"), ("gate biases (real cell)", "biases")],
                           value="values", description="sliders set", style={"description_width": "90px"})
    readout = W.HTML(layout=W.Layout(margin="4px 0 4px 10px"))
    readout.add_class("lstmkit-readout")
    value_box = W.VBox(list(values.values()), layout=W.Layout(width="350px"))
    bias_box = W.VBox(list(biases.values()), layout=W.Layout(width="350px", display="none"))

    def on_T(change):   # the write step must stay inside the sequence
        steps["write_step"].max = change["new"]

    def on_mode(change):
        value_box.layout.display = "flex" if change["new"] == "values" else "none"
        bias_box.layout.display = "flex" if change["new"] == "biases" else "none"

    steps["T"].observe(on_T, "value")
    mode.observe(on_mode, "value")
    box = W.VBox(layout=W.Layout(width="100%"))

    def update(mode, T, write_step, f, i, o, g, b_f, b_i, b_o, b_g):
        write_step = min(write_step, T)
        if mode == "values":
            data = cell.simulate_gates(f=f, i=i, o=o, g=g, T=T, write_step=write_step)
            title = f"gate values set by hand: f = {f:.3f}, i = {i:.2f} at t = {write_step}, o = {o:.2f}, g = {g:.2f}"
        else:
            data = cell.simulate_biases(b_f=b_f, b_i=b_i, b_o=b_o, b_g=b_g, T=T, write_step=write_step)
            title = (f"a real cell, gates from the input (pulse at t = {write_step}): "
                     f"b_f = {b_f:.1f}, b_i = {b_i:.1f}, b_o = {b_o:.1f}, b_g = {b_g:.1f}")
        box.data = data
        readout.value = (f"<b>{READOUT.format(data['dcT_dc0'])}</b> (the product of all {T} forget gates); "
                         f"c_T = {data['c'][-1]:.3e}, h_T = {data['h'][-1]:.3e}")
        fig = plot_gate_run(data, title)
        display(fig)
        plt.close(fig)

    controls = {"mode": mode, **steps, **values, **biases}
    output = W.interactive_output(update, controls)
    output.layout = W.Layout(width="100%", min_height="330px")
    box.children = [mode, W.HBox([value_box, bias_box, W.VBox(list(steps.values()))]), readout, output]
    box.sliders, box.mode, box.readout, box.output = {**values, **biases, **steps}, mode, readout, output
    return box
