"""The explorers' layout as a reader sees it, in Chromium: in the built book and in JupyterLab, in a
680 px column (the book's, or a narrow window) and a 1280 px window.

For each explorer (chapter 02's decay explorer, chapter 03's gate explorer; in the book, the static
slider that stands for it): its box scrolls no
wider than it is (scrollWidth <= clientWidth, so no horizontal scrollbar), no label or button
caption is cut (scrollWidth > clientWidth on the text), and the figure is drawn at least as wide
as the smaller of its natural width and the space it is given.
"""
import shutil

import pytest

from browser_support import ROOT, built_book, chromium_page, jupyterlab, offline_only, require_chromium, static_server

pytestmark = pytest.mark.slow

EXPLORERS = {"02_vanishing_gradients": "decay_explorer(", "03_lstm_cell": "gate_explorer("}
WIDTHS = (680, 1280)

# the measurements, in the page: root is the explorer's outermost widget box
MEASURE = """root => {
  const boxes = [root, ...root.querySelectorAll('.widget-box, .jupyter-widgets')];
  const overflow = boxes.filter(b => b.scrollWidth > b.clientWidth + 1)
      .map(b => `${b.className.split(' ').slice(0, 3).join('.')}: ${b.scrollWidth} > ${b.clientWidth}`);
  const texts = [...root.querySelectorAll(
      '.widget-label, .widget-label-basic, label, button, .widget-readout, output')];
  const cut = texts.filter(t => t.offsetParent !== null && t.scrollWidth > t.clientWidth + 1)
      .map(t => `${JSON.stringify(t.textContent.trim())}: ${t.scrollWidth} > ${t.clientWidth}`);
  const img = root.querySelector('img');
  const figure = img ? {rendered: img.getBoundingClientRect().width, natural: img.naturalWidth,
                        column: img.parentElement.getBoundingClientRect().width} : null;
  return {overflow, cut, figure};
}"""


def params():
    out = []
    for where in ("book", "lab"):
        for name in EXPLORERS:
            for width in WIDTHS:
                out.append(pytest.param(where, name, width, id=f"{where}-{name}-{width}"))
    return out


def check(measured, where, name, width):
    where_ = f"{name} in the {where} at {width} px"
    assert not measured["overflow"], f"{where_}: wider than its box: {measured['overflow']}"
    assert not measured["cut"], f"{where_}: cut labels: {measured['cut']}"
    fig = measured["figure"]
    assert fig and fig["natural"] > 0, f"{where_}: no figure drawn"
    assert fig["rendered"] >= min(fig["natural"], fig["column"]) - 1, f"{where_}: figure squeezed: {fig}"


def explorer_root(page, name):
    """In the book, the static slider that stands for the explorer (tools/static_sliders.py)."""
    return page.locator(f"#static-{name}")


@pytest.fixture(scope="module")
def site():
    require_chromium()
    return built_book().check().html


def measure_in_book(html, name, width, tmp_path):
    with static_server(html) as base, chromium_page(tmp_path / "failure.png") as page:
        offline_only(page)
        page.set_viewport_size({"width": width, "height": 1000})
        page.goto(f"{base}/chapters/{name}.html", wait_until="load")
        root = explorer_root(page, name)
        root.wait_for(state="visible", timeout=30_000)
        root.scroll_into_view_if_needed()
        page.wait_for_function("r => !!r.querySelector('img') && r.querySelector('img').complete",
                               arg=root.element_handle(), timeout=30_000)
        return root.evaluate(MEASURE)


LAB_MEASURED = {}


def measure_in_lab(name, tmp_path):
    """Run the chapter once in JupyterLab and measure its explorer at every width (cached)."""
    if name in LAB_MEASURED:
        return LAB_MEASURED[name]
    root_dir, home = tmp_path / "course", tmp_path / "home"
    (root_dir / "chapters").mkdir(parents=True)
    home.mkdir()
    shutil.copy(ROOT / "chapters" / f"{name}.ipynb", root_dir / "chapters")
    with jupyterlab(root_dir, home, tmp_path / "jupyterlab.log") as (base, token), \
            chromium_page(tmp_path / "failure.png") as page:
        page.set_default_timeout(180_000)
        page.goto(f"{base}/lab/tree/chapters/{name}.ipynb?reset&token={token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
        page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Restart Kernel and Run All Cells").first.click()
        page.locator(".jp-Dialog-button.jp-mod-accept").click()
        root = page.locator(".jp-OutputArea-output .widget-vbox").first
        root.wait_for(state="attached")
        page.wait_for_function("r => !!r.querySelector('img') && r.querySelector('img').complete",
                               arg=root.element_handle())
        measured = {}
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 1000})
            page.wait_for_timeout(1500)      # Lab lays the panels out again
            root.scroll_into_view_if_needed()
            measured[width] = root.evaluate(MEASURE)
    LAB_MEASURED[name] = measured
    return measured


@pytest.mark.parametrize("where, name, width", params())
def test_explorer_fits(where, name, width, tmp_path, request):
    require_chromium()
    if where == "book":
        measured = measure_in_book(request.getfixturevalue("site"), name, width, tmp_path)
    else:
        measured = measure_in_lab(name, tmp_path)[width]
    check(measured, where, name, width)
