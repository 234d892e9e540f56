"""The gate explorer as a reader sees it in JupyterLab (Chromium): it fits its output area.

Opens a copy of chapter 03, checks that before it runs the explorer's stored output is the
fallback picture (not the raw text of the widget), runs it, and measures the explorer at a 1280 px window and again at a
narrower window whose output area is at most 680 px: the explorer scrolls no wider than the space
it gets, no slider label or button is cut, and the figure is drawn at least as wide as the smaller
of its natural width and the column. Takes about 1-2 minutes (JupyterLab's start-up and chapter 03).
"""
import shutil

import pytest
from test_browser import READOUT, other_notebooks, require_chapter03, run_all_cells

from browser_support import CHAPTER03, chromium_page, jupyterlab, require_chromium

pytestmark = pytest.mark.slow

MEASURE = """(readoutSel) => {
    const readout = document.querySelector(readoutSel);
    const area = readout.closest('.jp-OutputArea-output');
    const box = area.firstElementChild;
    const cut = [...area.querySelectorAll('.widget-label, .widget-label-basic, .widget-toggle-button, .widget-readout')]
        .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.textContent);
    const img = [...area.querySelectorAll('img')].filter(e => e.offsetParent !== null)[0];
    return {areaScroll: area.scrollWidth, areaClient: area.clientWidth,
            boxScroll: box.scrollWidth, boxClient: box.clientWidth, cut,
            imgWidth: img ? img.getBoundingClientRect().width : 0,
            imgNatural: img ? img.naturalWidth : 0,
            below: img ? area.getBoundingClientRect().bottom - img.getBoundingClientRect().bottom : -1};
}"""


STORED_FALLBACK = """() => {
    const cell = [...document.querySelectorAll('.jp-CodeCell')]
        .find(c => c.querySelector('.jp-InputArea')?.textContent.includes('gate_explorer()'));
    if (!cell) return null;
    cell.scrollIntoView();
    const out = cell.querySelector('.jp-OutputArea');
    if (!out || !out.textContent.trim() && !out.querySelector('img')) return null;
    return {img: !!out.querySelector('img'), text: out.textContent};
}"""


def check_fits(m, where):
    assert m["areaScroll"] <= m["areaClient"], f"{where}: the output area scrolls sideways: {m}"
    assert m["boxScroll"] <= m["boxClient"], f"{where}: the explorer is wider than its box: {m}"
    assert not m["cut"], f"{where}: labels cut: {m['cut']}"
    assert m["imgNatural"] > 0, f"{where}: no figure rendered: {m}"
    # (the output area's client width includes its padding: allow a few px)
    assert m["imgWidth"] >= min(m["imgNatural"], m["areaClient"]) - 10, f"{where}: figure squeezed: {m}"
    assert m["below"] < 60, f"{where}: a blank band of {m['below']:.0f} px below the figure: {m}"


@pytest.mark.timeout(400)
def test_gate_explorer_fits_jupyterlab_wide_and_narrow(tmp_path):
    require_chromium()
    require_chapter03()
    root = tmp_path / "course"
    shutil.copytree(CHAPTER03.parent, root / "chapters", ignore=other_notebooks)
    home = tmp_path / "home"
    home.mkdir()
    with jupyterlab(root, home, tmp_path / "jupyterlab.log") as (base, token), \
            chromium_page(tmp_path / "layout-failure.png") as page:
        page.set_default_timeout(180_000)
        page.goto(f"{base}/lab/tree/chapters/03_lstm_cell.ipynb?reset&token={token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
        # before anything runs, the stored output is the fallback picture, not the raw widget repr
        stored = page.wait_for_function(STORED_FALLBACK).json_value()
        run_all_cells(page)
        page.wait_for_function(
            "s => /∂c_T\\/∂c_0 = \\S/.test(document.querySelector(s)?.textContent ?? '')", arg=READOUT)
        page.locator(READOUT).first.scroll_into_view_if_needed()
        page.wait_for_function("s => document.querySelector(s).closest('.jp-OutputArea-output')"
                               ".querySelector('img')?.complete", arg=READOUT)
        wide = page.evaluate(MEASURE, READOUT)
        page.screenshot(path=str(tmp_path / "wide.png"))
        # with the file browser open, JupyterLab's output area is ~370 px narrower than the window
        page.set_viewport_size({"width": 1050, "height": 1000})
        page.wait_for_timeout(1500)
        narrow = page.evaluate(MEASURE, READOUT)
        page.screenshot(path=str(tmp_path / "narrow.png"))
    assert stored["img"] and "VBox(" not in stored["text"], f"stored explorer output: {stored}"
    check_fits(wide, "1280 px window")
    check_fits(narrow, "1050 px window")
    assert narrow["areaClient"] <= 700 < wide["areaClient"], f"the column did not narrow: {wide} {narrow}"
