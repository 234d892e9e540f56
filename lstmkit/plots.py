"""Plotting helpers shared by the chapters and the widgets (presentation layer: matplotlib).

Each helper draws on an Axes it is given and returns what a caller may want to decorate (an image
for a colour bar, the lines); the caller sets the title and calls ``plt.show()``. Nothing here
computes the numbers it draws: they come from the core and experiment modules.
Used in chapters 01 to 03.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

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

    With backward=True, red arrows show the error signal delta flowing back from every output and
    from h_{t+1} to h_t (backpropagation through time). Defined in chapter 01.
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
            _arrow(ax, (cx - 0.45, 0.9), (cx - gap + 0.45, 0.9), "$\\delta$", (0, -0.17), colour="tab:red")
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


def norms_vs_lag(ax, lags, norms, bound=None, label=None, color=None):
    """Log-scale gradient norm ||dh_T/dh_{T-k}|| against lag k.

    lags (K,), norms (K, N): the median over sequences is drawn as a line, the spread (min to max)
    as a band, and bound (K,), if given, as a dashed line in the same colour. Defined in chapter 02.
    """
    norms = np.asarray(norms).reshape(len(lags), -1)
    line, = ax.semilogy(lags, np.median(norms, axis=1), color=color, label=label)
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


def new_figure(*args, **kwargs):
    """plt.subplots with constrained layout, so titles and colour bars never overlap."""
    return plt.subplots(*args, layout="constrained", **kwargs)


def plot_gate_run(data, title=None):
    """Three panels from a simulate_gates / simulate_biases dict: the states c_t and h_t, the gates,
    and the cell-path gradient dc_T/dc_t = prod f_k on a log scale. Returns the figure.
    Defined in chapter 03.
    """
    t, T = data["t"], int(data["t"][-1])
    fig, (ax_s, ax_g, ax_d) = plt.subplots(1, 3, figsize=(13, 3.4), layout="constrained")
    ax_s.plot(t, data["c"], label="cell state $c_t$", lw=2)
    ax_s.plot(t, data["h"], label="hidden state $h_t$", lw=1.5, ls="--")
    ax_s.set(title="states", xlabel="step $t$", ylabel="value")
    for name, style in (("f", "-"), ("i", "-"), ("o", ":"), ("g", "--")):
        label = {"f": "forget $f_t$", "i": "input $i_t$", "o": "output $o_t$", "g": "candidate $g_t$"}[name]
        ax_g.plot(t[1:], data[name][1:], style, label=label, lw=1.5)
    ax_g.set(title="gates", xlabel="step $t$", ylabel="gate value", ylim=(-1.05, 1.05))
    path = data["dcT_dct"]
    floor = 1e-30                               # a log axis cannot show the zeros that f = 0 makes
    ax_d.semilogy(t, np.maximum(path, floor), lw=2, color="C3")
    ax_d.set(title=r"cell-path gradient $\partial c_T/\partial c_t=\prod_{k>t} f_k$",
             xlabel="step $t$", ylabel=r"$\partial c_T/\partial c_t$ (log scale)",
             ylim=(max(floor, 0.3 * max(path.min(), floor)), 3.0))
    for ax in (ax_s, ax_g, ax_d):
        ax.set_xlim(0, T)
        ax.grid(alpha=0.3)
    ax_s.legend(loc="best", fontsize=8)
    ax_g.legend(loc="best", fontsize=8, ncol=2)
    if title:
        fig.suptitle(title)
    return fig


# ---- chapter 05: success over seeds ----------------------------------------------------------------

def seed_outcomes(ax, results, labels=None, sequences=False):
    """One row per setting of a stored sweep (lstmkit.sweeps): when each seed was solved, and how many were not.

    A blue dot per seed that met the stop criterion, at its step (or at the training sequences it
    had seen, steps x batch size, if sequences=True), drawn over a red cross at the budget, which
    marks the seeds that spent it without solving ("k of n" beside it; no cross when k = 0).
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
        (dots,) = ax.plot(solved, [row] * len(solved), "o", color="tab:blue", alpha=0.7, ms=6, zorder=3,
                          label="a seed that solved it" if row == 0 else None)
        budget = config["steps"] * scale
        cross = None
        if failed:   # no cross where every seed solved it: the count alone marks the budget
            (cross,) = ax.plot([budget], [row], "x", color="tab:red", ms=9, mew=2, zorder=2,
                               label="budget: seeds that did not solve it" if not legend_has_cross else None)
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
