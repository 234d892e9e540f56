"""Chapter 03's gate explorer in a real browser (Debian's Chromium through playwright).

1. In JupyterLab, as a student: open a copy of chapters/03_lstm_cell.ipynb, Run > Run All Cells,
   move the forget-gate slider with the keyboard, and check the readout follows the maths:
   ∂c_T/∂c_0 = prod_t f_t, so a smaller forget gate gives a smaller number.
2. In the static book, served from 127.0.0.1 with every other host blocked: the explorer is its static
   slider (frames drawn in advance, tools/static_sliders.py), with no widget view beside it; moving it
   with the keyboard swaps the picture, and the readout follows the maths as in JupyterLab.

Each test saves a screenshot under its tmp_path when it fails. Outside CI a missing Chromium or
chapter 03 skips a test; in CI (CI=true) it fails.
"""
import math
import shutil
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser_support import (
    CHAPTER03,
    ROOT,
    built_book,
    chromium_page,
    jupyterlab,
    offline_only,
    readout_number,
    require,
    require_chromium,
    static_server,
)

pytestmark = pytest.mark.slow

FIRST_RENDER_MS = 180_000   # JupyterLab's first load plus running every cell of chapter 03 (≤ 60 s)
UPDATE_MS = 30_000          # one kernel round trip after a slider move
SLIDER = ".lstmkit-forget"
HANDLE = ".lstmkit-forget .noUi-handle"
READOUT = ".lstmkit-readout"


def other_notebooks(folder, names):
    """shutil.copytree's ignore: every notebook but chapter 03, and checkpoints."""
    return [n for n in names
            if n == ".ipynb_checkpoints" or (n.endswith(".ipynb") and n != CHAPTER03.name)]


def require_chapter03():
    require(CHAPTER03.exists(), f"{CHAPTER03.relative_to(ROOT)} does not exist yet")


def slider_value(page):
    """The slider's own readout (ipywidgets prints the value beside the track), as a float."""
    return float(page.locator(f"{SLIDER} .widget-readout").first.inner_text())


def move_forget_down(page):
    """Focus the slider's handle and lower the forget gate with the keyboard, as a reader can."""
    handle = page.locator(HANDLE).first
    handle.scroll_into_view_if_needed()
    handle.focus()
    for _ in range(5):
        handle.press("ArrowLeft")   # noUiSlider: one step (0.01 or the chapter's step) per press
    handle.press("PageDown")        # a larger step, so the change is unmistakable


def settle(page, locator, quiet_s=2.0):
    """The locator's text once the kernel is idle and the text has not changed for quiet_s seconds."""
    deadline, last, since = time.monotonic() + UPDATE_MS / 1000, None, time.monotonic()
    while time.monotonic() < deadline:
        text = locator.inner_text()
        idle = page.locator(".jp-NotebookPanel-toolbar [data-status='idle']").count() > 0
        if text != last or not idle:
            last, since = text, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return text
        time.sleep(0.25)
    raise AssertionError(f"the readout kept changing or the kernel stayed busy; last text {last!r}")


WATCH_FOR_RUNNING_CELL = """() => {
    window.lstmkitCellRan = false;
    const seen = () => [...document.querySelectorAll('.jp-InputPrompt')]
        .some(p => p.textContent.includes('[*]'));
    new MutationObserver((_, observer) => {
        if (seen()) { window.lstmkitCellRan = true; observer.disconnect(); }
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def run_all_cells(page, tries=3):
    """Run > Run All Cells, once the kernel is connected; again if no cell starts running.

    A Run All clicked while the kernel connection is still being set up clears the outputs and
    runs nothing, so wait for the status bar's "Idle" and check that a prompt turns to [*].
    """
    for attempt in range(tries):
        page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for()
        # the stored prompts already read [1], [2]...: watch for a prompt turning to [*] instead
        page.evaluate(WATCH_FOR_RUNNING_CELL)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try:
            page.wait_for_function("() => window.lstmkitCellRan === true", timeout=30_000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise


def check_in_jupyterlab(root, tmp_path):
    """Open root/chapters/03_lstm_cell.ipynb in JupyterLab, run it, move the forget slider."""
    home = tmp_path / "home"
    home.mkdir()
    with jupyterlab(root, home, tmp_path / "jupyterlab.log") as (base, token), \
            chromium_page(tmp_path / "jupyterlab-failure.png") as page:
        page.set_default_timeout(FIRST_RENDER_MS)
        page.goto(f"{base}/lab/tree/chapters/03_lstm_cell.ipynb?reset&token={token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
        run_all_cells(page)

        page.wait_for_selector(HANDLE, state="visible")
        readout = page.locator(READOUT).first
        readout.wait_for(state="visible")
        page.wait_for_function(
            "s => /∂c_T\\/∂c_0 = \\S/.test(document.querySelector(s)?.textContent ?? '')", arg=READOUT)
        before_f, before = slider_value(page), readout_number(readout.inner_text())
        assert before_f == pytest.approx(0.9), "the forget slider should start at 0.9"

        before_text = readout.inner_text()
        move_forget_down(page)
        page.wait_for_function(
            "([s, old]) => { const t = document.querySelector(s)?.textContent ?? '';"
            " return t.includes('∂c_T/∂c_0 = ') && t.trim() !== old; }",
            arg=[READOUT, before_text.strip()], timeout=UPDATE_MS)
        # each key press is a change the kernel answers; wait until it has answered the last one
        after_text = settle(page, readout)
        after_f, after = slider_value(page), readout_number(after_text)
        page.screenshot(path=str(tmp_path / "jupyterlab.png"))
        # in a 680 px window the readout wraps: at the text's own spacing, and inset from the cell's edge
        page.set_viewport_size({"width": 680, "height": 1000})
        page.wait_for_timeout(1000)
        spacing, size, inset = page.evaluate("""s => {
            const line = document.querySelector(s + ' div[style*="line-height"]'), style = getComputedStyle(line);
            const caption = Array.from(document.querySelectorAll('.widget-html'))
                .find(el => el.textContent.trim() === 'sliders set:');
            const box = caption.closest('.widget-vbox');
            return [parseFloat(style.lineHeight), parseFloat(style.fontSize),
                    caption.getBoundingClientRect().left - box.getBoundingClientRect().left]; }""", READOUT)
        assert spacing <= 1.6 * size, f"the readout's lines are {spacing} px apart at a {size} px font"
        assert inset >= 4, f"'sliders set:' sits {inset} px from the explorer's edge"
    # the maths: with every forget gate equal to f, ∂c_T/∂c_0 = prod_t f_t = f**T, increasing in f
    assert after_f < before_f
    assert 0 <= after < before, f"forget {before_f} -> {after_f}: ∂c_T/∂c_0 {before:.3e} -> {after:.3e}"
    T = math.log(before) / math.log(before_f)          # the number of steps, read off the start
    assert abs(T - round(T)) < 0.05, f"{before:.3e} is not 0.9**T for a whole number of steps T"
    # the slider prints f with 2 decimals, so the true f lies within ±0.005 of what it shows
    low, high = (after_f - 0.005) ** round(T), (after_f + 0.005) ** round(T)
    assert low * (1 - 1e-3) <= after <= high * (1 + 1e-3), (
        f"∂c_T/∂c_0 = {after:.3e} after the move is not f**T = {after_f}**{round(T)}")


def check_in_book(html, tmp_path):
    """The chapter 03 page of the static book: the static slider moves, the picture and readout follow."""
    static = "#static-03_lstm_cell"
    with static_server(html) as base, chromium_page(tmp_path / "book-failure.png") as page:
        blocked = offline_only(page)
        page.set_default_timeout(FIRST_RENDER_MS)
        page.goto(f"{base}/chapters/03_lstm_cell.html")
        page.wait_for_function("s => document.querySelector(s)?.textContent.trim()",
                               arg=f"{static} .lstmkit-static-readout")
        page.wait_for_selector("mjx-container", state="attached")  # MathJax ran, from _static/
        assert page.locator(SLIDER).count() == 0, "the stored widget view is still on the page"
        readout, frame = page.locator(f"{static} .lstmkit-static-readout"), page.locator(f"{static} img")
        before, picture = readout_number(readout.inner_text()), frame.get_attribute("src")
        page.focus(f"{static} input[type=range]")
        for _ in range(3):
            page.keyboard.press("ArrowLeft")   # a smaller forget gate
        page.wait_for_function("([s, old]) => document.querySelector(s).getAttribute('src') !== old",
                               arg=[f"{static} img", picture], timeout=UPDATE_MS)
        after = readout_number(readout.inner_text())
        assert page.get_by_role("link", name="Open it live").count() >= 1
        page.screenshot(path=str(tmp_path / "book.png"))
    assert 0 < after < before, f"moving the forget gate down took ∂c_T/∂c_0 from {before} to {after}"
    assert not blocked, f"the page asked for other hosts (blocked): {blocked}"


@pytest.mark.timeout(300)
def test_gate_explorer_in_jupyterlab(tmp_path):
    require_chromium()
    require_chapter03()
    # a copy of chapter 03 and what sits beside it (not the other chapters): the run may write there
    root = tmp_path / "course"
    shutil.copytree(CHAPTER03.parent, root / "chapters", ignore=other_notebooks)
    check_in_jupyterlab(root, tmp_path)


@pytest.mark.timeout(300)
def test_gate_explorer_in_the_static_book(tmp_path):
    require_chromium()
    require_chapter03()
    check_in_book(built_book().check().html, tmp_path)

