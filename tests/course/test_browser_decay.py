"""Chapter 02's decay explorer on the static book page, in Debian's Chromium: it fits the column.

The book shows the explorer as its static slider (frames drawn in advance, tools/static_sliders.py)
in place of the stored widget view. At a 1280 px window
(the book's ~680 px text column) and at a narrow 760 px one: the explorer scrolls neither way
(scrollWidth <= clientWidth), no control's label is cut (the same test on each label), and its
figure is shown at least as wide as the smaller of its natural width and the column.
The notation page is in the book's table of contents.
"""
import pytest

from browser_support import ROOT, built_book, chromium_page, offline_only, require, require_chromium, static_server

pytestmark = pytest.mark.slow
CHAPTER02 = ROOT / "chapters" / "02_vanishing_gradients.ipynb"
EXPLORER = "#static-02_vanishing_gradients"   # the static slider that stands for the explorer

MEASURE = """(sel) => {
  const box = document.querySelector(sel);
  const labels = [...box.querySelectorAll('label, output, .lstmkit-static-readout')]
      .filter(e => e.offsetParent !== null)
      .map(e => ({text: e.textContent.trim(), scroll: e.scrollWidth, client: e.clientWidth}));
  const img = box.querySelector('img.lstmkit-static-frame');
  const column = box.closest('article, main, .bd-article, body').clientWidth;
  return {scroll: box.scrollWidth, client: box.clientWidth, labels, column,
          img: img && {shown: img.getBoundingClientRect().width, natural: img.naturalWidth}};
}"""


@pytest.mark.timeout(600)
@pytest.mark.parametrize("width", [1280, 760])
def test_decay_explorer_fits_the_book_column(tmp_path, width):
    require_chromium()
    require(CHAPTER02.exists(), "chapters/02_vanishing_gradients.ipynb does not exist yet")
    html = built_book().check().html
    assert (html / "chapters" / "00_notation.html").exists()
    with static_server(html) as base, chromium_page(tmp_path / "book-failure.png") as page:
        blocked = offline_only(page)
        page.set_viewport_size({"width": width, "height": 1000})
        page.goto(f"{base}/chapters/02_vanishing_gradients.html")
        page.wait_for_selector(EXPLORER, state="visible", timeout=120_000)
        page.locator(EXPLORER).first.scroll_into_view_if_needed()   # its frame loads lazily, when in view
        page.wait_for_function("s => document.querySelector(s)?.complete && document.querySelector(s).naturalWidth > 0",
                               arg=f"{EXPLORER} img", timeout=120_000)
        m = page.evaluate(MEASURE, EXPLORER)
        page.screenshot(path=str(tmp_path / f"decay-{width}.png"))
    assert m["scroll"] <= m["client"], f"the explorer scrolls sideways: {m}"
    cut = [lab for lab in m["labels"] if lab["scroll"] > lab["client"]]
    assert not cut, f"labels cut: {cut}"
    assert m["labels"], "no labels found in the explorer"
    assert m["img"]["shown"] >= min(m["img"]["natural"], m["client"]) - 1, m
    assert not blocked, f"the page asked for other hosts (blocked): {blocked}"
