"""Plotting helpers shared by the chapters and the widgets (presentation layer: matplotlib).

Each helper draws on an Axes it is given and returns what a caller may want to decorate (an image
for a colour bar, the lines); the caller sets the title and calls ``plt.show()``. Nothing here
computes the numbers it draws: they come from the core and experiment modules.
Used in chapters 01 to 07.
"""
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.colors import LogNorm
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import NullFormatter

from lstmkit.decay import ACTIVATION_GAMMA

_BOX = {"x": ("#dbe9f6", "x"), "h": ("#fde3c8", "h"), "y": ("#dcefd9", "\\hat y")}


def _box(ax, xy, kind, t):
    colour, sym = _BOX[kind]
    w, h = 0.8, 0.55
    ax.add_patch(FancyBboxPatch((xy[0] - w / 2, xy[1] - h / 2), w, h, boxstyle="round,pad=0.05",
                                facecolor=colour, edgecolor="0.3"))
    ax.text(*xy, f"${sym}_{{{t}}}$", ha="center", va="center", fontsize=13)


def _arrow(ax, start, end, label=None, offset=(0.0, 0.0), colour="0.2"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color=colour, lw=1.4))
    if label:
        mid = ((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1])
        ax.text(*mid, label, ha="center", va="center", fontsize=10, color=colour)


def unrolled_rnn(ax, steps=4, backward=False):
    """Draw an RNN unrolled over ``steps`` time steps: x_t -> h_t -> y_hat_t, h_{t-1} -> h_t.

    With backward=True, red arrows show the gradient flowing back (backpropagation through time):
    from every output into its h_t, and from h_t to h_{t-1}, an arrow labelled W_hh^T delta_t, the
    signal that step t hands back (delta_t = dL/da_t; what reaches h_{t-1} is W_hh^T delta_t).
    Defined in chapter 01.
    """
    gap = 1.7
    _box(ax, (0, 1), "h", 0)
    for t in range(1, steps + 1):
        cx = t * gap
        _box(ax, (cx, 0), "x", t)
        _box(ax, (cx, 1), "h", t)
        _box(ax, (cx, 2), "y", t)
        _arrow(ax, (cx, 0.3), (cx, 0.7), "$W_{ih}$", (0.35, 0))
        _arrow(ax, (cx, 1.3), (cx, 1.7), "$W_{hy}$", (0.35, 0))
        _arrow(ax, (cx - gap + 0.45, 1), (cx - 0.45, 1), "$W_{hh}$", (0, 0.17))
        if backward:
            _arrow(ax, (cx - 0.2, 1.72), (cx - 0.2, 1.32), colour="tab:red")
            _arrow(ax, (cx - 0.45, 0.88), (cx - gap + 0.45, 0.88), f"$W_{{hh}}^\\top\\delta_{{{t}}}$",
                   (0, -0.22), colour="tab:red")
    ax.set_xlim(-0.7, steps * gap + 0.7)
    ax.set_ylim(-0.5, 2.5)
    ax.set_aspect("equal")
    ax.axis("off")


def activation_with_saturation(ax, a, f, df, name, small=0.1):
    """Plot f(a) and f'(a) for a (M,) and shade where f'(a) < small (the saturated region).

    Defined in chapter 02.
    """
    ax.plot(a, f(a), label=f"{name}(a)")
    ax.plot(a, df(a), label=f"{name}'(a)")
    ax.fill_between(a, 0, 1, where=df(a) < small, color="0.85", transform=ax.get_xaxis_transform(),
                    label=f"{name}' < {small}")
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set_xlabel("pre-activation $a$")
    ax.set_title(name)
    ax.legend(loc="upper left", fontsize=8)


def norms_vs_lag(ax, lags, norms, bound=None, label=None, color=None, ls=None, marker=None):
    """Log-scale gradient norm ||dh_T/dh_{T-k}|| against lag k.

    lags (K,), norms (K, N): the median over sequences is drawn as a line (colour, style ls and
    marker from the axes' cycle unless given), the spread (min to max) as a band, and bound (K,),
    if given, as a dashed line in the same colour. Defined in chapter 02.
    """
    norms = np.asarray(norms).reshape(len(lags), -1)
    style = {k: v for k, v in (("color", color), ("ls", ls), ("marker", marker)) if v is not None}
    if marker is not None:
        style.update(markevery=max(1, len(lags) // 8), ms=4)
    line, = ax.semilogy(lags, np.median(norms, axis=1), label=label, **style)
    ax.fill_between(lags, norms.min(axis=1), norms.max(axis=1), color=line.get_color(), alpha=0.15, lw=0)
    if bound is not None:
        ax.semilogy(lags, bound, "--", color=line.get_color(), lw=1,
                    label=None if label is None else f"bound for {label}")
    ax.set_xlabel("lag $k$ (steps back from $T$)")
    ax.set_ylabel(r"$\|\partial h_T / \partial h_{T-k}\|_2$")
    return line


def signal_heatmap(ax, values, vmin=1e-8, vmax=None, xlabel="time step $t$", ylabel="hidden unit"):
    """|values| (rows, T) on a log colour scale: depth of colour is the size of the feedback signal.

    Entries below vmin are clipped to it. Returns the image, for ``plt.colorbar``. Defined in chapter 02.
    """
    mag = np.maximum(np.abs(values), vmin)
    image = ax.imshow(mag, aspect="auto", cmap="Blues", norm=LogNorm(vmin=vmin, vmax=vmax or mag.max()),
                      interpolation="nearest")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return image


def training_curves(axes, curves, clip=None):
    """Loss (axes[0]) and gradient norm before clipping (axes[1]) against step, log scale.

    curves maps a label to (losses (S,), norms (S,)); clip, if given, is drawn as a dotted line on
    the norm panel. Defined in chapter 02.
    """
    for label, (losses, norms) in curves.items():
        axes[0].semilogy(losses, label=label)
        axes[1].semilogy(norms, label=label)
    if clip is not None:
        axes[1].axhline(clip, color="k", ls=":", lw=1, label=f"max_norm = {clip}")
    axes[0].set_ylabel("training loss")
    axes[1].set_ylabel("gradient norm (before clipping)")
    for ax in axes:
        ax.set_xlabel("gradient step")
        ax.legend()


# Okabe & Ito's colour-blind-safe palette, each colour paired with its own line style and marker, so
# lines that the colour tells apart stay apart in greyscale and for colour-blind readers
LINE_CYCLE = (cycler(color=["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"])
              + cycler(linestyle=["-", "--", "-.", ":", "-", "--", "-."])
              + cycler(marker=["", "", "", "", "o", "s", "^"])
              + cycler(markevery=[0.1] * 7))


def new_figure(*args, **kwargs):
    """plt.subplots with constrained layout, so titles and colour bars never overlap, and lines that
    differ by style and marker as well as by colour (LINE_CYCLE)."""
    fig, axes = plt.subplots(*args, layout="constrained", **kwargs)
    for ax in np.atleast_1d(axes).ravel():
        ax.set_prop_cycle(LINE_CYCLE)
    return fig, axes


_GATE_STYLE = {   # colour, line style, marker: no two gate lines can hide each other at the same value
    "f": ("C0", "-", None, 2.6, "forget $f_t$"),
    "i": ("C1", "--", "o", 1.6, "input $i_t$"),
    "o": ("C2", ":", "^", 2.0, "output $o_t$"),
}


_LEGEND_PAD = 17     # points between a panel and its title: room for a one-row legend in between


def _legend_above(ax, **kwargs):
    """The panel's legend in a band of its own between the title and the plot, so it covers no data."""
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), borderaxespad=0.15, borderpad=0.1, frameon=False,
              **kwargs)


def tex_number(x, digits=3):
    """x for a figure's mathtext: 0.9 -> '0.900', 5.154e-03 -> '5.154 \\times 10^{-3}' (no e-notation)."""
    if x == 0 or not np.isfinite(x):
        return f"{x:g}"
    exponent = int(np.floor(np.log10(abs(x))))
    if -1 <= exponent <= 2:
        return f"{x:.{digits}f}" if exponent < 1 else f"{x:.{max(digits - exponent, 0)}f}"
    mantissa = x / 10.0 ** exponent
    if round(abs(mantissa), digits) >= 10:      # 9.9996e-4 rounds to 10.000: carry into the exponent
        mantissa, exponent = mantissa / 10, exponent + 1
    return rf"{mantissa:.{digits}f} \times 10^{{{exponent}}}"


def plot_gate_run(data, title=None, figsize=(6.6, 4.8), fig=None):
    """Four panels (2 x 2, to fit a 680 px column) from a simulate_gates / simulate_biases dict:
    the states c_t and h_t; the gates f, i, o (each in (0, 1)); the candidate g_t (not a gate, in
    (-1, 1)); and the cell-path gradient dc_T/dc_t = f_{t+1} ... f_T on a log scale. Draws on ``fig`` (a
    Figure or SubFigure) if given, else on a new figure; returns it. Defined in chapter 03.
    """
    t, T = data["t"], int(data["t"][-1])
    if fig is None:
        fig = plt.figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(2, 2)
    (ax_s, ax_g), (ax_z, ax_d) = axes
    ax_s.plot(t, data["c"], label="cell state $c_t$", lw=2.2, color="C3")
    ax_s.plot(t, data["h"], label="hidden state $h_t$", lw=1.5, ls="--", color="C4")
    ax_s.set(xlabel="step $t$", ylabel="value")
    ax_s.set_title("states", pad=_LEGEND_PAD)
    _legend_above(ax_s, ncol=2, fontsize=8)
    n_mark = max(1, T // 8)
    for name, (colour, style, marker, lw, label) in _GATE_STYLE.items():
        ax_g.plot(t[1:], data[name][1:], color=colour, ls=style, marker=marker,
                  markevery=((n_mark // 2) if name == "o" else 0, n_mark), markersize=4, lw=lw, label=label)
    # a little headroom keeps a gate at exactly 1 (or 0) visible
    ax_g.set(xlabel="step $t$", ylabel="gate value", ylim=(-0.06, 1.08), yticks=[0, 0.25, 0.5, 0.75, 1.0])
    ax_g.set_title("gates (sigmoid, in (0, 1))", pad=_LEGEND_PAD)
    _legend_above(ax_g, ncol=3, fontsize=7.5, handlelength=1.8, columnspacing=0.6, handletextpad=0.4)
    ax_z.plot(t[1:], data["g"][1:], color="C5", lw=1.8, label="candidate $g_t$")
    ax_z.axhline(0, color="0.5", lw=0.6)
    ax_z.set(title="candidate $g_t$ (tanh, in (-1, 1))", xlabel="step $t$", ylabel="$g_t$", ylim=(-1.1, 1.1))
    path = data["dcT_dct"]
    floor = 1e-30                               # a log axis cannot show the zeros that f = 0 makes
    ax_d.semilogy(t, np.maximum(path, floor), lw=2, color="C3")
    # the product written out: a big operator's subscript would touch the panel frame. At least two
    # decades on the axis (to 1e-2 when every f is near 1), so it shows powers of ten, not 2 and 3
    ax_d.set(title=r"cell path $\partial c_T/\partial c_t = f_{t+1} \cdots f_T$",
             xlabel="step $t$", ylabel=r"$\partial c_T/\partial c_t$ (log)",
             ylim=(max(floor, min(1e-2, 0.3 * path.min())), 3.0))
    ax_d.yaxis.set_minor_formatter(NullFormatter())
    for ax in axes.flat:
        ax.set_xlim(0, T)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


# ---- chapter 03 and 04: the LSTM cell diagram, live and unrolled -----------------------------------

CELL_PATH = "#c0392b"     # the cell path c_{t-1} -> c_t, highlighted in every diagram
H_PATH = "#2e6da4"        # the route through h_{t-1}, the weights and the gates


def _node(ax, xy, sym, r=0.22, colour="0.2"):
    ax.add_patch(plt.Circle(xy, r, facecolor="white", edgecolor=colour, lw=1.4, zorder=3))
    ax.text(*xy, sym, ha="center", va="center", fontsize=11, zorder=4)


def _gate_box(ax, xy, fn, sym, colour):
    w, h = 0.9, 0.62
    ax.add_patch(FancyBboxPatch((xy[0] - w / 2, xy[1] - h / 2), w, h, boxstyle="round,pad=0.04",
                                facecolor=colour, edgecolor="0.3", zorder=2))
    ax.text(xy[0], xy[1] + 0.1, fn, ha="center", va="center", fontsize=9)
    ax.text(xy[0], xy[1] - 0.15, sym, ha="center", va="center", fontsize=11)


def _line(ax, start, end, colour="0.2", lw=1.4, arrow=True, style="arc3", z=1):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>" if arrow else "-", mutation_scale=12 + 2 * lw,
                                 color=colour, lw=lw, connectionstyle=style, zorder=z))


def _width(gain, lo=0.8, hi=7.0):
    """Arrow width for a gradient factor in [0, 1]: zero gradient draws a hairline, one a thick arrow."""
    return lo + (hi - lo) * float(np.clip(abs(gain), 0.0, 1.0))


def _carried_state(ax, y, x_times, x_plus, start, end, width):
    """The highlighted line along which a cell carries its state: start -> x -> + -> end, at height y.

    Shared by the LSTM's cell path and the GRU's direct path; returns the segment between the x and
    the + nodes (the one factor the path multiplies by), whose width the live diagram sets.
    """
    ax.text(0.1, y, start, ha="left", va="center", fontsize=12)
    _line(ax, (1.05, y), (x_times - 0.22, y), CELL_PATH, width, arrow=False)
    middle = FancyArrowPatch((x_times + 0.22, y), (x_plus - 0.22, y), arrowstyle="-", color=CELL_PATH, lw=width)
    ax.add_patch(middle)
    _line(ax, (x_plus + 0.22, y), (9.55, y), CELL_PATH, width)
    ax.text(9.65, y, end, ha="left", va="center", fontsize=12)
    _node(ax, (x_times, y), r"$\times$", colour=CELL_PATH)
    _node(ax, (x_plus, y), "$+$", colour=CELL_PATH)
    return middle


def lstm_cell_diagram(ax, gains=None):
    """Draw one LSTM cell in the course's symbols, the cell path c_{t-1} -> c_t highlighted.

    x_t and h_{t-1} enter one pre-activation a_t (N, 4H), split in torch's order i, f, g, o; the cell
    line carries c_{t-1} through "x f_t" and "+ i_t g_t" to c_t; tanh and "x o_t" make h_t. With
    ``gains`` (a dict from lstmkit.cell_demos.route_gains) the arrows' widths show the gradient factor on
    each route: the cell line f_t (dc_t/dc_{t-1}), the write i_t (dc_t/dg_t), the way out
    o_t tanh'(c_t) (dh_t/dc_t), and the caption the product over the run, dc_T/dc_0.
    Returns a dict of the route arrows (FancyArrowPatch) by name: "cell", "write", "out".
    Defined in chapter 03.
    """
    y_c, y_g, y_a = 5.0, 2.5, 1.15
    x_i, x_f, x_g, x_o, x_add, x_out = 2.0, 3.2, 4.4, 6.9, 5.6, 8.3
    w_cell = _width(gains["cell"]) if gains else 4.0
    w_write = _width(gains["write"]) if gains else 1.6
    w_out = _width(gains["out"]) if gains else 1.6
    routes = {}
    # the cell line: c_{t-1} -> x f_t -> + i_t g_t -> c_t
    routes["cell"] = _carried_state(ax, y_c, x_f, x_add, "$c_{t-1}$", "$c_t$", w_cell)
    label = (rf"$\partial c_t/\partial c_{{t-1}} = f_t = {gains['cell']:.3f}$" if gains
             else r"cell path: $\partial c_t/\partial c_{t-1} = f_t$")
    ax.text(2.0, y_c + 0.35, label, ha="center", va="bottom", fontsize=9, color=CELL_PATH)
    # the pre-activation and the four gates, in torch's order
    # two lines, so the formula stays inside its box when the diagram is drawn small (the widget)
    ax.add_patch(FancyBboxPatch((1.45, y_a - 0.42), 6.0, 0.84, boxstyle="round,pad=0.04",
                                facecolor="#eeeeee", edgecolor="0.4", zorder=2))
    ax.text(4.45, y_a + 0.16, r"$a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}$",
            ha="center", va="center", fontsize=8.5, zorder=3)
    ax.text(4.45, y_a - 0.22, "split in the order i, f, g, o", ha="center", va="center", fontsize=8, zorder=3)
    ax.text(0.1, 0.1, "$h_{t-1}$", ha="left", va="center", fontsize=12, color=H_PATH)
    _line(ax, (0.75, 0.15), (1.45, y_a - 0.3), H_PATH, 1.4)
    ax.text(4.45, -0.55, "$x_t$", ha="center", va="center", fontsize=12)
    _line(ax, (4.45, -0.3), (4.45, y_a - 0.46), "0.2", 1.4)
    for x, fn, sym, colour in ((x_i, r"$\sigma$", "$i_t$", "#fde3c8"), (x_f, r"$\sigma$", "$f_t$", "#fde3c8"),
                               (x_g, "tanh", "$g_t$", "#dcefd9"), (x_o, r"$\sigma$", "$o_t$", "#fde3c8")):
        _line(ax, (x, y_a + 0.46), (x, y_g - 0.33), H_PATH, 1.2)
        _gate_box(ax, (x, y_g), fn, sym, colour)
    # f_t multiplies the cell; i_t g_t is written through the + node
    _line(ax, (x_f, y_g + 0.33), (x_f, y_c - 0.24), "0.25", 1.4)
    x_ig, y_ig = x_g, 3.85
    _node(ax, (x_ig, y_ig), r"$\times$")
    _line(ax, (x_g, y_g + 0.33), (x_ig, y_ig - 0.24), "0.25", 1.4)
    # i_t goes up past f_t's arrow, then right into the x node (it never touches f_t)
    _line(ax, (x_i, y_g + 0.33), (x_ig - 0.24, y_ig), "0.25", 1.4, style="angle,angleA=90,angleB=0,rad=0")
    write = FancyArrowPatch((x_ig + 0.17, y_ig + 0.17), (x_add - 0.16, y_c - 0.16), arrowstyle="-|>",
                            mutation_scale=14, color=H_PATH, lw=w_write, zorder=1)
    ax.add_patch(write)
    routes["write"] = write
    ax.text(5.45, 4.25, "$i_t g_t$", ha="left", va="center", fontsize=10)
    # the way out: tanh(c_t), times o_t, is h_t
    _line(ax, (x_out, y_c), (x_out, 4.05), H_PATH, w_out, arrow=False)
    _gate_box(ax, (x_out, 3.75), "tanh", "", "#f3f3f3")
    _node(ax, (x_out, y_g), r"$\times$")
    _line(ax, (x_out, 3.43), (x_out, y_g + 0.24), H_PATH, w_out)
    _line(ax, (x_o + 0.46, y_g), (x_out - 0.23, y_g), "0.25", 1.4)
    out = FancyArrowPatch((x_out + 0.23, y_g), (9.55, y_g), arrowstyle="-|>", mutation_scale=14, color=H_PATH,
                          lw=w_out, zorder=1)
    ax.add_patch(out)
    routes["out"] = out
    ax.text(9.65, y_g, "$h_t$", ha="left", va="center", fontsize=12, color=H_PATH)
    if gains:
        ax.text(x_out + 0.2, 4.45, rf"$\partial h_t/\partial c_t = {gains['out']:.2f}$", ha="left", fontsize=8.5,
                color=H_PATH)
        product = tex_number(gains["carousel"])
        ax.text(5.6, 6.35, rf"over the run: $\partial c_T/\partial c_0 = f_1 f_2 \cdots f_T = {product}$",
                ha="center", va="center", fontsize=10, color=CELL_PATH)
    ax.set_xlim(0, 10.4)
    ax.set_ylim(-0.9, 6.7)
    ax.set_aspect("equal")
    ax.axis("off")
    return routes


def unrolled_lstm(ax, steps=3):
    """Draw an LSTM unrolled over ``steps`` steps with its two recurrent routes back in time.

    The cell path c_{t-1} -> c_t (highlighted, one factor f_t per step and nothing else) runs along
    the top; the h path h_{t-1} -> gates -> c_t, h_t (weights W_hh and the gates' derivatives at
    every step) along the bottom. Backward labels say what each route multiplies a gradient by.
    Returns the legend. Defined in chapter 04.
    """
    gap = 3.0
    y_c, y_h = 2.2, 0.0
    for k in range(steps + 1):
        x = k * gap
        t = "t" if k == steps else f"t-{steps - k}"
        _node(ax, (x, y_c), f"$c_{{{t}}}$", r=0.42, colour=CELL_PATH)
        _node(ax, (x, y_h), f"$h_{{{t}}}$", r=0.42, colour=H_PATH)
        if k == 0:
            continue
        xp = x - gap
        box = FancyBboxPatch((xp + 0.75, y_h - 0.45), gap - 1.5, y_c - y_h + 0.9, boxstyle="round,pad=0.05",
                             facecolor="#f7f7f7", edgecolor="0.7", zorder=0)
        ax.add_patch(box)
        s = "t" if k == steps else f"t-{steps - k}"
        _line(ax, (xp + 0.42, y_c), (x - 0.42, y_c), CELL_PATH, 4.0)
        ax.text(xp + gap / 2, y_c + 0.3, rf"$\times f_{{{s}}}$", ha="center", va="bottom", fontsize=10,
                color=CELL_PATH)
        _line(ax, (xp + 0.42, y_h), (x - 0.42, y_h), H_PATH, 1.6)
        ax.text(xp + gap / 2, y_h - 0.3, "$W_{hh}$, gates", ha="center", va="top", fontsize=8.5, color=H_PATH)
        # inside the step: h_{t-1} drives the gates that write into c_t; c_t makes h_t = o_t tanh(c_t)
        _line(ax, (xp + gap / 2 - 0.35, y_h + 0.05), (xp + gap / 2 - 0.35, y_c - 0.05), H_PATH, 1.2)
        _line(ax, (x - 0.3, y_c - 0.42), (x - 0.3, y_h + 0.42), H_PATH, 1.2)
    ax.text(steps * gap / 2, y_c + 1.05, r"backward along the cell: $\mathtt{dc}_{t-1} = \mathtt{dc}_t \odot f_t$ (no"
            r" $W_{hh}$, no $\sigma'$ or $\tanh'$)", ha="center", fontsize=9, color=CELL_PATH)
    ax.text(steps * gap / 2, y_h - 1.05, r"backward through $h$: $W_{hh}^\top$ and the gates' derivatives"
            " at every step (the RNN's route)", ha="center", fontsize=9, color=H_PATH)
    handles = [plt.Line2D([], [], color=CELL_PATH, lw=4, label="cell path"),
               plt.Line2D([], [], color=H_PATH, lw=1.6, label="h path")]
    legend = ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9, frameon=False)
    ax.set_xlim(-0.6, steps * gap + 0.6)
    ax.set_ylim(y_h - 1.4, y_c + 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    return legend


# --- chapter 02: the decay explorer's panel, its static small multiple, the orthogonal experiment

def decay_ylim(norms, threshold=1e-3):
    """The y range of a decay panel for norms (K, N): the data with a margin, and at least 10 on top.

    Returns (bottom, top). Whether ``threshold`` is inside decides if its line is drawn and listed
    in the legend (a legend must not name a line the reader cannot see). Defined in chapter 02.
    """
    norms = np.asarray(norms, dtype=np.float64)
    finite = norms[np.isfinite(norms) & (norms > 0)]
    low = finite.min() / 2 if finite.size else 1e-30
    high = finite.max() * 2 if finite.size else 10.0
    return max(1e-30, low), max(10.0, high)


def decay_panel(ax, data, label, threshold=1e-3, ylim=None, legend=True, fontsize=8):
    """One decay curve (a ``decay.decay_curve`` dict) with its bound and the threshold line.

    The threshold line (dotted grey) is drawn only when it lies inside the y range (``ylim`` or
    ``decay_ylim``), so the legend never lists a line that is off the axis. Returns the median's
    line. Defined in chapter 02.
    """
    line = norms_vs_lag(ax, data["lags"], data["norms"], data["bound"], label=label)
    bottom, top = ylim if ylim is not None else decay_ylim(data["norms"], threshold)
    ax.set_ylim(bottom, top)
    if bottom <= threshold <= top:
        ax.axhline(threshold, color="0.45", ls=":", lw=1.2, label=f"{threshold:g} (threshold)")
    if legend:
        ax.legend(loc="lower left", fontsize=fontsize, framealpha=0.9)
    return line


def decay_small_multiple(curves, sigmas, activations, threshold=1e-3, ylim=(1e-12, 1e4)):
    """A grid of decay panels: one row per activation, one column per sigma_max, shared axes.

    curves maps (activation, sigma_max) to a ``decay.decay_curve`` dict. Each panel shows the
    median and band of ||dh_T/dh_{T-k}||, the bound (dashed) and the threshold (dotted), titled
    with gamma*sigma_max; the shared y range makes the panels comparable. Returns the figure.
    Defined in chapter 02.
    """
    rows, cols = len(activations), len(sigmas)
    fig, axes = plt.subplots(rows, cols, figsize=(1.75 * cols + 0.6, 1.55 * rows + 0.6), sharex=True,
                             sharey=True, squeeze=False, layout="constrained")
    for r, act in enumerate(activations):
        for c, s in enumerate(sigmas):
            ax = axes[r, c]
            decay_panel(ax, curves[act, s], label="median", threshold=threshold, ylim=ylim, legend=False)
            ax.set_title(f"{act}, σ_max={s:g}\nγσ_max={ACTIVATION_GAMMA[act] * s:g}", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.set_xlabel("lag $k$" if r == rows - 1 else "", fontsize=8)
            ax.set_ylabel(r"$\|\partial h_T/\partial h_{T-k}\|$" if c == 0 else "", fontsize=8)
    handles = [plt.Line2D([], [], color="C0", label="median over sequences"),
               plt.Line2D([], [], color="C0", ls="--", lw=1, label=r"bound $(\gamma\sigma_{\max})^k$"),
               plt.Line2D([], [], color="0.45", ls=":", lw=1.2, label=f"{threshold:g}")]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig
# ---- chapter 05: success over seeds ----------------------------------------------------------------

def seed_outcomes(ax, results, labels=None, sequences=False):
    """One row per setting of a stored sweep (lstmkit.sweeps): when each seed was solved, and how many were not.

    A blue dot per seed that met the stop criterion, at its step (or at the training sequences it
    had seen, steps x batch size, if sequences=True), drawn over a red cross at the budget, which
    marks the seeds that spent it without solving ("k of n" beside it; no cross and no count when
    every seed solved it).
    labels: the settings to draw, top to bottom (default: all). Returns {label: (dots, cross)} of
    Line2D, cross None when every seed solved it. Defined in chapter 05.
    """
    labels = list(results["configs"]) if labels is None else list(labels)
    unknown = [label for label in labels if label not in results["runs"]]
    if unknown:
        raise ValueError(f"labels: expected settings of {results['name']!r} ({sorted(results['runs'])}), got {unknown}")
    drawn, legend_has_cross = {}, False
    for row, label in enumerate(labels):
        config, runs = results["configs"][label], results["runs"][label]
        scale = config["batch_size"] if sequences else 1
        solved = [r["solved_at"] * scale for r in runs if r["solved_at"] is not None]
        failed = sum(r["solved_at"] is None for r in runs)
        # white-edged dots over the cross: a seed solved near the budget stays visible
        (dots,) = ax.plot(solved, [row] * len(solved), "o", color="tab:blue", alpha=0.75, mec="white", mew=0.8,
                          ms=6.5, zorder=3, label="a seed that solved it" if row == 0 else None)
        budget = config["steps"] * scale
        cross = None
        if failed:   # no cross and no count where every seed solved it
            (cross,) = ax.plot([budget], [row], "x", color="tab:red", ms=9, mew=2, zorder=2,
                               label="budget: k of n seeds did not solve it" if not legend_has_cross else None)
            legend_has_cross = True
            ax.annotate(f"{failed} of {len(runs)}", (budget, row), xytext=(8, -4), textcoords="offset points",
                        fontsize=8, color="tab:red")
        drawn[label] = (dots, cross)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)     # the first setting on top
    ax.set_xlabel("training sequences seen when solved" if sequences else "training step when solved")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.grid(axis="x", color="0.9")
    return drawn


RNN_ROUTES = {"tanh RNN": (r"tanh RNN, torch's start: each step back multiplies by "
                           r"$W_{hh}^\top\,\mathrm{diag}(\tanh'(a_t))$"),
              "IRNN": (r"IRNN, ReLU and $W_{hh} = I$: each step back multiplies by "
                       r"$I\;\mathrm{diag}(\mathbb{1}[a_t > 0])$")}


def rnn_backward_routes(ax, norms=None, steps=4):
    """Two RNNs unrolled over their last ``steps`` steps, the gradient of a loss at h_T flowing back.

    Top the tanh RNN, bottom the IRNN (ReLU, W_hh = I at the start); each row's caption says what
    one step back multiplies the gradient by (chapter 02's Jacobian, transposed). With ``norms``
    ({"tanh RNN": (K+1,), "IRNN": (K+1,)}: ||dh_T/dh_{T-k}|| for k = 0..K, K >= steps, e.g. from
    lstmkit.decay.gradient_norms_by_lag) the arrows' widths show the gradient that reaches each
    state, its value is written under it, and a last state at lag K ends the row.
    Returns {row name: [backward arrows, from h_T back]}. Defined in chapter 05.
    """
    if norms is not None:
        if not isinstance(norms, dict) or sorted(norms) != sorted(RNN_ROUTES):
            raise ValueError(f"norms: expected a dict with the keys {list(RNN_ROUTES)}, got "
                             f"{sorted(norms) if isinstance(norms, dict) else type(norms).__name__}")
        norms = {name: np.asarray(n, dtype=float) for name, n in norms.items()}
        for name, n in norms.items():
            if n.ndim != 1 or n.shape[0] < steps + 1 or not np.all(np.isfinite(n)):
                raise ValueError(f"norms[{name!r}]: expected finite norms of shape (K+1,) with K >= steps={steps}, "
                                 f"got shape {n.shape}")
    gap, x0 = 2.0, 2.3
    drawn = {}
    for row, name in enumerate(RNN_ROUTES):
        y = 2.6 * (1 - row)
        ax.text(-0.4, y + 0.85, RNN_ROUTES[name], ha="left", va="center", fontsize=9.5, color=H_PATH)
        xs = [x0 + j * gap for j in range(steps + 1)]     # h_{T-steps} ... h_T, left to right
        for j, x in enumerate(xs):
            lag = steps - j
            _node(ax, (x, y), "$h_T$" if lag == 0 else f"$h_{{T-{lag}}}$", r=0.42, colour=H_PATH)
            if norms is not None:
                ax.text(x, y - 0.62, f"{norms[name][lag]:.2g}", ha="center", va="top", fontsize=9, color="tab:red")
        drawn[name] = []
        for j in range(steps, 0, -1):      # from h_T back to h_{T-steps}
            width = _width(norms[name][steps - j + 1]) if norms is not None else 2.0
            arrow = FancyArrowPatch((xs[j] - 0.45, y), (xs[j - 1] + 0.45, y), arrowstyle="-|>",
                                    mutation_scale=10 + 2 * width, color="tab:red", lw=width)
            ax.add_patch(arrow)
            drawn[name].append(arrow)
        # the rest of the row, back to the first step
        ax.plot([0.55, xs[0] - 0.5], [y, y], ls=":", color="tab:red", lw=1.2)
        if norms is not None:
            K = len(norms[name]) - 1
            _node(ax, (0.0, y), f"$h_{{T-{K}}}$", r=0.42, colour="0.6")
            ax.text(0.0, y - 0.62, f"{norms[name][K]:.2g}", ha="center", va="top", fontsize=9, color="tab:red")
    if norms is not None:
        ax.text(xs[-1] + 0.5, -1.45, r"red: $\|\partial h_T / \partial h_{T-k}\|$ at the start", ha="right",
                va="center", fontsize=8.5, color="tab:red")
    ax.set_xlim(-0.6, x0 + steps * gap + 0.6)
    ax.set_ylim(-1.7, 3.8)
    ax.set_aspect("equal")
    ax.axis("off")
    return drawn


# ---- chapter 06: the GRU cell, drawn like chapter 03's LSTM cell -----------------------------------

def gru_cell_diagram(ax):
    """Draw one GRU step in the course's symbols, the direct path h_{t-1} -> h_t highlighted.

    Drawn like ``lstm_cell_diagram``: x_t and h_{t-1} enter the two projections gi and gh (N, 3H),
    split in torch.nn.GRU's order r, z, n (the boxes stand z, r, n, so that no wire crosses another).
    The reset gate r_t multiplies hn = h_{t-1} W_hn^T + b_hn (after the matmul, as torch does) inside
    the candidate n_t = tanh(gi_n + r_t hn). Along the top,
    h_{t-1} passes "x z_t" and "+ (1 - z_t) n_t" to become h_t: the direct path, whose factor is z_t
    and which carries no weight matrix, is the GRU's counterpart of the LSTM's cell path.
    Returns a dict of the arrows (FancyArrowPatch) by name: "direct" (x z_t to +, highlighted),
    "write" ((1 - z_t) n_t into +), "reset" (r_t into the candidate's product).
    Defined in chapter 06.
    """
    y_top, y_mix, y_r, y_g, y_a = 5.0, 4.0, 3.45, 2.5, 1.15
    # z_t left of r_t: z_t's wire runs from its box up to the top line, so a reset wire from a box
    # left of it would have to cross it on its way to the candidate
    x_z, x_r, x_rh, x_n, x_one = 2.2, 3.6, 5.0, 6.5, 5.05
    routes = {}
    # the direct path: h_{t-1} -> x z_t -> + (1 - z_t) n_t -> h_t
    routes["direct"] = _carried_state(ax, y_top, x_z, x_n, "$h_{t-1}$", "$h_t$", 4.0)
    ax.text(3.6, y_top + 0.35, r"direct path: $\partial h_t/\partial h_{t-1} = \mathrm{diag}(z_t) + \dots$",
            ha="center", va="bottom", fontsize=9, color=CELL_PATH)
    # the projections, one box, split in torch's order r, z, n; h_{t-1} also comes down into it
    ax.add_patch(FancyBboxPatch((1.45, y_a - 0.32), 5.6, 0.64, boxstyle="round,pad=0.04",
                                facecolor="#eeeeee", edgecolor="0.4", zorder=2))
    ax.text(4.25, y_a, r"$\mathtt{gi} = x_t W_{ih}^\top + b_{ih}$,  $\mathtt{gh} = h_{t-1} W_{hh}^\top + b_{hh}$"
            "  (split r, z, n)", ha="center", va="center", fontsize=8.5, zorder=3)
    ax.plot([0.5, 0.5], [y_top - 0.3, y_a], color=H_PATH, lw=1.4, solid_capstyle="butt")
    _line(ax, (0.5, y_a), (1.41, y_a), H_PATH, 1.4)
    ax.text(4.25, -0.55, "$x_t$", ha="center", va="center", fontsize=12)
    _line(ax, (4.25, -0.3), (4.25, y_a - 0.36), "0.2", 1.4)
    for x, fn, sym, colour in ((x_z, r"$\sigma$", "$z_t$", "#fde3c8"), (x_r, r"$\sigma$", "$r_t$", "#fde3c8"),
                               (x_n, "tanh", "$n_t$", "#dcefd9")):
        _line(ax, (x, y_a + 0.36), (x, y_g - 0.33), H_PATH, 1.2)
        _gate_box(ax, (x, y_g), fn, sym, colour)
    ax.text(x_n + 0.08, 1.88, r"$\mathtt{gi}_n$", ha="left", va="center", fontsize=9)
    # the reset gate multiplies hn = h_{t-1} W_hn^T + b_hn, and the product joins gi_n inside tanh
    _line(ax, (x_rh, y_a + 0.36), (x_rh, y_g - 0.24), H_PATH, 1.2)
    ax.text(x_rh - 0.08, 1.88, r"$\mathtt{hn}$", ha="right", va="center", fontsize=9)
    _node(ax, (x_rh, y_g), r"$\times$")
    _line(ax, (x_rh + 0.23, y_g), (x_n - 0.47, y_g), "0.25", 1.4)
    # r_t's wire goes right, under z_t's branch to 1 - z_t, and crosses no other wire
    ax.plot([x_r, x_r, x_rh], [y_g + 0.33, y_r, y_r], color="0.25", lw=1.4, solid_capstyle="butt")
    routes["reset"] = FancyArrowPatch((x_rh, y_r), (x_rh, y_g + 0.24), arrowstyle="-|>", mutation_scale=14.8,
                                      color="0.25", lw=1.4, zorder=2)
    ax.add_patch(routes["reset"])
    ax.text(x_r + 0.7, y_r + 0.2, "$r_t$", ha="center", va="center", fontsize=10)
    ax.text((x_rh + x_n) / 2 - 0.1, y_g + 0.1, r"$r_t \odot \mathtt{hn}$", ha="center", va="bottom", fontsize=8.5)
    # z_t multiplies the old state; 1 - z_t multiplies the candidate: write what is not kept
    _line(ax, (x_z, y_g + 0.33), (x_z, y_top - 0.24), "0.25", 1.4, z=1)
    ax.plot([x_z, x_one - 0.3], [y_mix, y_mix], color="0.25", lw=1.4, zorder=1)
    _node(ax, (x_one, y_mix), "$1-$", r=0.3)
    _line(ax, (x_one + 0.3, y_mix), (x_n - 0.23, y_mix), "0.25", 1.4)
    _node(ax, (x_n, y_mix), r"$\times$")
    _line(ax, (x_n, y_g + 0.33), (x_n, y_mix - 0.24), "0.25", 1.4)
    routes["write"] = FancyArrowPatch((x_n, y_mix + 0.22), (x_n, y_top - 0.22), arrowstyle="-|>",
                                      mutation_scale=14, color=H_PATH, lw=1.6, zorder=1)
    ax.add_patch(routes["write"])
    ax.text(x_n + 0.15, 4.5, r"$(1 - z_t) \odot n_t$", ha="left", va="center", fontsize=10)
    ax.text(x_z + 0.12, 4.35, "$z_t$", ha="left", va="center", fontsize=10)
    ax.set_xlim(0, 10.4)
    ax.set_ylim(-0.9, 6.0)
    ax.set_aspect("equal")
    ax.axis("off")
    return routes


# ---- chapter 03: what the cell changes, beside the vanilla RNN -------------------------------------

def rnn_reference_line(ax, t, path, floor=1e-30):
    """Draw a vanilla RNN's dh_T/dh_t (cell.rnn_reference_path) as a grey dashed reference on a
    log-scale cell-path panel, lowering its y range to show it. Defined in chapter 03."""
    shown = np.maximum(path, floor)
    line, = ax.semilogy(t, shown, color="0.35", ls="--", lw=1.4, label=r"vanilla RNN: $\partial h_T/\partial h_t$")
    lo, hi = ax.get_ylim()
    ax.set_ylim(min(lo, 0.3 * shown.min()), hi)
    ax.set_title(ax.get_title(), pad=_LEGEND_PAD)              # room for the legend under the title
    _legend_above(ax, handles=[line], fontsize=7.5)            # its own line only: the panel may have more


def jacobian_heatmaps(fig, axes, matrices, titles):
    """Square matrices side by side on one symmetric colour scale (red +, blue -), rows = units of the
    later state, columns = units of the earlier one; returns the colour bar. Defined in chapter 03."""
    vmax = max(float(np.max(np.abs(m))) for m in matrices)
    for ax, m, title in zip(axes, matrices, titles, strict=True):
        image = ax.imshow(m, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("unit $j$ of the earlier state")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_ylabel("unit $i$ of the later state")
    return fig.colorbar(image, ax=list(axes), shrink=0.8, label="entry $(i, j)$")


SEED_TRACE_STYLES = (("tab:red", "-", "o"), ("tab:blue", "--", "s"), ("tab:green", ":", "^"))


def seed_traces(ax, results, key="marker_grad", labels=None):
    """One thin line per seed of a stored sweep: a quantity recorded at every evaluation, per setting.

    results: a sweep whose runs keep "eval_steps" and ``key`` (experiments/marker_gradient.py). Each
    setting gets its own colour and line style (the first three: red solid, blue dashed, green
    dotted); a run that met its stop criterion ends in a marker at that step. The y axis is
    logarithmic. Returns {label: [Line2D per seed]}. Defined in chapter 05.
    """
    labels = list(results["configs"]) if labels is None else list(labels)
    unknown = [label for label in labels if label not in results["runs"]]
    if unknown or len(labels) > len(SEED_TRACE_STYLES):
        raise ValueError(f"labels: expected at most {len(SEED_TRACE_STYLES)} settings of {results['name']!r} "
                         f"({sorted(results['runs'])}), got {labels}")
    drawn = {}
    for label, (colour, style, marker) in zip(labels, SEED_TRACE_STYLES[:len(labels)], strict=True):
        lines = []
        for k, run in enumerate(results["runs"][label]):
            if key not in run or "eval_steps" not in run:
                raise ValueError(f"results: expected runs that keep 'eval_steps' and {key!r}, got {sorted(run)}")
            (line,) = ax.plot(run["eval_steps"], run[key], color=colour, ls=style, lw=1, alpha=0.6,
                              label=label if k == 0 else None)
            if run["solved_at"] is not None:
                ax.plot(run["eval_steps"][-1], run[key][-1], marker, color=colour, ms=5, mec="white", mew=0.6)
            lines.append(line)
        drawn[label] = lines
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    return drawn


# ---- chapter 07: the minLSTM step, drawn beside chapter 03's LSTM cell ------------------------------

def minlstm_cell_diagram(ax):
    """Draw one minLSTM step in the course's symbols, the carried state h_{t-1} -> h_t highlighted.

    Drawn like ``lstm_cell_diagram``, with what minLSTM removes left out: x_t alone enters the
    projection a_t = x_t W_ih^T + b_ih (N, 3H), split in the order f, i, candidate; no h_{t-1} comes
    down into it, there is no tanh on the candidate and no output gate. f_t and i_t are normalised
    to f'_t = f_t / (f_t + i_t) and i'_t = i_t / (f_t + i_t); along the top, h_{t-1} passes
    "x f'_t" and "+ i'_t htilde_t" to become h_t, which is also the output.
    Returns a dict of the arrows (FancyArrowPatch) by name: "carried" (x f'_t to +), "write".
    Defined in chapter 07.
    """
    y_top, y_norm, y_g, y_a = 5.0, 3.75, 2.5, 1.15
    x_f, x_i, x_h, x_add = 2.6, 4.0, 6.2, 6.2
    routes = {"carried": _carried_state(ax, y_top, x_f, x_add, "$h_{t-1}$", "$h_t$", 4.0)}
    ax.text(x_f, y_top + 0.35, r"$\partial h_t/\partial h_{t-1} = \mathrm{diag}(f'_t)$, nothing else",
            ha="center", va="bottom", fontsize=9, color=CELL_PATH)
    ax.add_patch(FancyBboxPatch((1.6, y_a - 0.42), 5.6, 0.84, boxstyle="round,pad=0.04",
                                facecolor="#eeeeee", edgecolor="0.4", zorder=2))
    ax.text(4.4, y_a + 0.16, r"$a_t = x_t W_{ih}^\top + b_{ih}$", ha="center", va="center", fontsize=9, zorder=3)
    ax.text(4.4, y_a - 0.22, "split in the order f, i, candidate", ha="center", va="center", fontsize=8, zorder=3)
    ax.text(4.4, -0.55, "$x_t$", ha="center", va="center", fontsize=12)
    _line(ax, (4.4, -0.3), (4.4, y_a - 0.46), "0.2", 1.4)
    ax.text(0.15, 2.0, "no $h_{t-1}$\nin the gates", ha="left", va="center", fontsize=8.5, color="0.45")
    for x, fn, sym, colour in ((x_f, r"$\sigma$", "$f_t$", "#fde3c8"), (x_i, r"$\sigma$", "$i_t$", "#fde3c8"),
                               (x_h, "linear", r"$\tilde h_t$", "#dcefd9")):
        _line(ax, (x, y_a + 0.46), (x, y_g - 0.33), "0.2", 1.2)
        _gate_box(ax, (x, y_g), fn, sym, colour)
    # the two gates are normalised together: f' + i' = 1
    ax.add_patch(FancyBboxPatch((x_f - 0.6, y_norm - 0.3), x_i - x_f + 1.2, 0.6, boxstyle="round,pad=0.04",
                                facecolor="#f3f3f3", edgecolor="0.4", zorder=2))
    ax.text((x_f + x_i) / 2, y_norm, r"$f' = f/(f+i)$,  $i' = i/(f+i)$", ha="center", va="center",
            fontsize=8.5, zorder=3)
    for x in (x_f, x_i):
        _line(ax, (x, y_g + 0.33), (x, y_norm - 0.34), "0.25", 1.2)
    _line(ax, (x_f, y_norm + 0.34), (x_f, y_top - 0.24), "0.25", 1.4)
    ax.text(x_f + 0.12, 4.45, "$f'_t$", ha="left", va="center", fontsize=10)
    x_ih = 5.1
    _node(ax, (x_ih, y_norm), r"$\times$")
    _line(ax, (x_i + 0.65, y_norm), (x_ih - 0.23, y_norm), "0.25", 1.2)
    _line(ax, (x_h, y_g + 0.33), (x_ih + 0.17, y_norm - 0.17), "0.25", 1.2)
    routes["write"] = FancyArrowPatch((x_ih + 0.16, y_norm + 0.16), (x_add - 0.16, y_top - 0.16), arrowstyle="-|>",
                                      mutation_scale=14, color=H_PATH, lw=1.6, zorder=1)
    ax.add_patch(routes["write"])
    ax.text(5.95, 4.3, r"$i'_t \tilde h_t$", ha="left", va="center", fontsize=10)
    ax.set_xlim(0, 10.4)
    ax.set_ylim(-0.9, 6.0)
    ax.set_aspect("equal")
    ax.axis("off")
    return routes
