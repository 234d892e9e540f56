"""Sliders that work in the static book: each explorer's frames drawn at build time.

On a static page no Python kernel runs, so an ipywidgets slider would move but recompute nothing.
The book therefore shows one explorer per place: this module takes the stored widget view out of the
explorer's cell and puts in its stead a plain HTML range input that swaps frames drawn at build time
by the explorer's own pure frame functions (lstmkit.widgets.frames) over a grid of the main slider's
values, in each mode, with a one-line link to open the notebook live (JupyterLab keeps the live
widget). Frames are SVG files under _static/sliders/<notebook>/, sharp at the column's full width on
any screen density; a frame is fetched when first shown (tools/static_sliders.js). Notebooks without
a slider widget (progress bars only) are left as they are.

Called by tools/build_book.py: `stage_notebook(nb, name, vendor, binder)` for every staged notebook.
"""
import html
import io
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import nbformat

matplotlib.use("Agg")

from lstmkit.decay import ACTIVATION_GAMMA  # noqa: E402
from lstmkit.widgets import frames  # noqa: E402

HERE = Path(__file__).resolve().parent
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SLIDER_MODELS = {"FloatSliderModel", "IntSliderModel", "FloatLogSliderModel", "DropdownModel",
                 "ToggleButtonsModel"}
# glyphs as paths: a frame looks the same whatever fonts the reader has; a fixed salt and no date
# make the same figure the same bytes (the test compares them)
SVG_RC = {"svg.fonttype": "path", "svg.hashsalt": "lstmkit-static-frames"}
BASE = "../_static/sliders/"   # notebook pages sit one folder deep (chapters/, solutions/, ...)


def _grid(lo, hi, step):
    n = round((hi - lo) / step)
    return [round(lo + k * step, 6) for k in range(n + 1)]


# f from 0 to 1 in steps of 0.05, and the values near 1 where the memory lasts: f^T for T = 50
# goes from 0.13 (f = 0.96) to 0.78 (f = 0.995)
FORGET_GRID = sorted(set(_grid(0.0, 1.0, 0.05) + [0.96, 0.97, 0.98, 0.99, 0.995]))
FORGET_BIAS_GRID = _grid(-8.0, 8.0, 0.5)
SIGMA_GRID = _grid(0.1, 3.0, 0.1)


@dataclass
class Mode:
    key: str            # the value the frame function gets for its mode argument (or activation)
    caption: str        # the radio button's text
    slider: str         # the slider's label
    name: str           # the frame function's argument the slider sets
    values: list
    default: float
    fmt: str
    fixed: dict = field(default_factory=dict)   # other arguments of the frame function


@dataclass
class Explorer:
    call: str           # the source text of the cell that displays the explorer
    frame: object       # lstmkit.widgets.frames function: (**values) -> (fig, readout, data)
    modes: list
    mode_caption: str
    what: str           # what the frames cover, for the line under the static slider


EXPLORERS = {
    "03_lstm_cell": Explorer(
        "gate_explorer(", frames.gate_frame,
        [Mode("values", "gate values", "forget gate f", "f", FORGET_GRID, 0.9, ".3f", {"mode": "values"}),
         Mode("biases", "gate biases (real cell)", "forget bias b_f", "b_f", FORGET_BIAS_GRID, 3.0, ".1f",
              {"mode": "biases"})],
        "sliders set",
        "the forget gate f and the forget bias b_f, the other sliders at their starting values "
        "(i = o = g = 1; b_i = −4, b_o = 2, b_g = 0; T = 50, written at t = 5)"),
    "02_vanishing_gradients": Explorer(
        "decay_explorer(", frames.decay_frame,
        [Mode(act, act, "σ_max(W_hh)", "sigma_max", SIGMA_GRID, 1.0, ".2f", {"activation": act})
         for act in ACTIVATION_GAMMA],
        "activation f",
        "σ_max(W_hh) from 0.1 to 3 for each activation, with input scale 1 and T = 40"),
}


def draw_frame(explorer, mode, value):
    """The frame the book serves for the slider at value in mode: (SVG bytes, readout text).
    The test draws the same way."""
    with plt.rc_context(SVG_RC):
        fig, readout, _ = explorer.frame(**mode.fixed, **{mode.name: value})
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    frames.close(fig)
    return buf.getvalue(), readout


def frame_file(mode, k):
    return f"{mode.key}-{k:02d}.svg"


def _draw(job):
    """One frame (in a worker process): job = (notebook name, mode index, value index) -> (SVG, readout)."""
    name, m, k = job
    explorer = EXPLORERS[name]
    mode = explorer.modes[m]
    return draw_frame(explorer, mode, mode.values[k])


def render(name, folder):
    """Draw every frame of the explorer into folder, on up to two processes; returns the JSON spec
    the page script reads."""
    explorer = EXPLORERS[name]
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(name, m, k) for m, mode in enumerate(explorer.modes) for k in range(len(mode.values))]
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        drawn = dict(zip(jobs, pool.map(_draw, jobs, chunksize=8), strict=True))
    modes = []
    for m, mode in enumerate(explorer.modes):
        entries = []
        for k, x in enumerate(mode.values):
            svg, readout = drawn[name, m, k]
            (folder / frame_file(mode, k)).write_bytes(svg)
            text = format(x, mode.fmt)
            entries.append({"value": x, "text": text, "readout": readout, "file": frame_file(mode, k),
                            "alt": f"the explorer's figure for {mode.slider} = {text} ({mode.caption}): {readout}"})
        modes.append({"key": mode.key, "slider": mode.slider, "frames": entries,
                      "start": min(range(len(mode.values)), key=lambda k: abs(mode.values[k] - mode.default))})
    return {"base": BASE + folder.name + "/", "start": 0, "modes": modes}


def markup(explorer, spec, uid, binder):
    """The static slider: mode buttons, the range input, the value, the readout, the picture at the
    column's full width, and a line that says how to move every slider."""
    first = spec["modes"][0]
    start = first["frames"][first["start"]]
    radios = "".join(
        f'<label><input type="radio" name="{uid}-mode" value="{html.escape(m.key)}"{" checked" if i == 0 else ""}>'
        f" {html.escape(m.caption)}</label> " for i, m in enumerate(explorer.modes))
    data = json.dumps(spec, ensure_ascii=False).replace("</", "<\\/")
    return (
        f'<div class="lstmkit-static-slider" id="{uid}">\n'
        f'<div class="lstmkit-static-modes" role="radiogroup" aria-label="{html.escape(explorer.mode_caption)}">'
        f"<span>{html.escape(explorer.mode_caption)}:</span> {radios}</div>\n"
        f'<div class="lstmkit-static-control"><label for="{uid}-range" class="lstmkit-static-label">'
        f'{html.escape(first["slider"])}</label> '
        f'<input type="range" id="{uid}-range" min="0" max="{len(first["frames"]) - 1}" step="1" '
        f'value="{first["start"]}" style="width: min(22em, 60%)"> '
        f'<output class="lstmkit-static-value" for="{uid}-range"></output></div>\n'
        f'<p class="lstmkit-static-readout" aria-live="polite" style="font-weight: bold"></p>\n'
        # the starting frame is in the page itself, alt text included; the script swaps it as the slider moves
        f'<img class="lstmkit-static-frame" loading="lazy" src="{html.escape(spec["base"] + start["file"])}" '
        f'alt="{html.escape(start["alt"])}" style="width: 100%; height: auto">\n'
        f'<p class="lstmkit-static-live">{html.escape(line(explorer))} '
        f'<a href="{html.escape(binder)}">Open it live</a> to move every slider.</p>\n'
        f'<script type="application/json" class="lstmkit-static-data">{data}</script>\n'
        f'<script src="../_static/static_sliders.js" defer></script>\n'
        "</div>")


def line(explorer):
    """One sentence on what this page's slider shows."""
    return f"Drawn in advance by the explorer's own code, for {explorer.what}."


def has_sliders(nb):
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return any(m.get("model_name") in SLIDER_MODELS for m in state.values())


def stage_notebook(nb, name, vendor, binder):
    """Replace the stored widget view of each explorer of nb (a notebook named name, e.g.
    '03_lstm_cell') by its static slider, drawing the frames into vendor/sliders/<name>/ (once per
    build). A notebook with slider widgets but no precomputed frames gets a note under the widget
    that it does not move here; one with no slider, nothing."""
    if not has_sliders(nb):
        return
    explorer = EXPLORERS.get(name)
    at = next((k for k, c in enumerate(nb.cells) if any(WIDGET_VIEW in o.get("data", {}) for o in c.get("outputs", []))
               and (explorer is None or explorer.call in c.source)), None)
    if at is None:
        return
    if explorer is None:
        text = (":::{note}\nThe widget above is a snapshot: its sliders move, but nothing is recomputed "
                "and its plot stays as it was, because no Python kernel runs behind the page. "
                f"[Open this notebook on Binder]({binder}) or in JupyterLab to run it.\n:::")
    else:
        folder = vendor / "sliders" / name
        spec_file = folder / "frames.json"
        if spec_file.exists():
            spec = json.loads(spec_file.read_text())
        else:
            spec = render(name, folder)
            spec_file.write_text(json.dumps(spec))
        script = vendor / "static_sliders.js"
        if not script.exists():
            script.write_text((HERE / "static_sliders.js").read_text())
        text = "```{raw} html\n" + markup(explorer, spec, f"static-{name}", binder) + "\n```"
        # one explorer per place: the stored widget view would move but recompute nothing here
        cell = nb.cells[at]
        cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
        if not any(WIDGET_VIEW in o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])):
            nb.metadata.pop("widgets", None)   # no widget left to render: the page loads no widget manager
    nb.cells.insert(at + 1, nbformat.v4.new_markdown_cell(text))
