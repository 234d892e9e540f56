"""The built book works for every reader: alt text, an axe-core audit, sliders from the keyboard.

1. Every <img> on every page has alt text that says what it shows: not empty, not a file name
   (tools/build_book.py writes it from the figure's title and the caption after it).
2. axe-core (npm, pinned by version and sha512 like the book's own assets; fetched once into
   _build/npm), injected by playwright into Debian's Chromium, audits every page of the book served
   from 127.0.0.1 with every other host blocked: no serious or critical violation.
3. On chapter 03's page the explorer's slider (the book's static slider, tools/static_sliders.py) is
   reached with the Tab key alone, moves with the arrow keys, and tells a screen reader its value.
About 30-60 s on two cores (about 20 pages, each loaded once, MathJax typeset before the audit).
"""
import re
import sys
from html.parser import HTMLParser

import pytest

from browser_support import (
    CHAPTER03,
    ROOT,
    built_book,
    chromium_page,
    offline_only,
    require,
    require_chromium,
    static_server,
)

sys.path.insert(0, str(ROOT / "tools"))
import build_book  # noqa: E402

AXE = ("axe-core@4.14.1",
       "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==")
SERIOUS = {"serious", "critical"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
HANDLE = "#static-03_lstm_cell-range"   # the static slider of chapter 03's gate explorer


@pytest.fixture(scope="module")
def site():
    require(sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")), "no chapters yet")
    return built_book().check().html


def pages(site):
    """Every page a reader can reach: the front page, chapters, exercises, solutions, index, search."""
    # index.html is a redirect, not a page
    found = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts
                   and not re.search('http-equiv="refresh"', p.read_text(encoding="utf-8"), re.I))
    assert len(found) >= 8, found
    return found


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def test_every_figure_has_alt_text_that_says_what_it_shows(site):
    figures = 0
    for path in pages(site):
        parser = Images()
        parser.feed(path.read_text(encoding="utf-8"))
        for img in parser.images:
            alt, src = (img.get("alt") or "").strip(), img.get("src", "")
            where = f"{path.relative_to(site)}: <img src={src!r}>"
            assert alt, f"{where} has no alt text"
            assert not re.search(r"\.(png|svg|jpe?g|gif)$", alt), f"{where} has a file name for alt: {alt!r}"
            if "_images/" in src:        # a figure drawn by a notebook
                figures += 1
                assert len(alt.split()) >= 5, f"{where}: alt {alt!r} is too short to say what it shows"
                assert "$" not in alt and "\\" not in alt, f"{where}: alt {alt!r} keeps TeX"
    assert figures >= 6, f"only {figures} notebook figures found in the book"


def test_alt_text_comes_from_the_title_and_the_caption():
    import nbformat
    cells = [nbformat.v4.new_code_cell('fig.suptitle("Loss against training step")'),
             nbformat.v4.new_markdown_cell("**What to see:** the loss falls as $\\sigma(b)^k$. Then more."),
             nbformat.v4.new_markdown_cell("## Next")]
    assert build_book.figure_alt(cells, 0) == "Loss against training step. The loss falls as σ(b)^k."
    assert build_book.figure_alt(cells[:1], 0) == "Loss against training step."
    untitled = [nbformat.v4.new_markdown_cell("## 1. The task"), nbformat.v4.new_code_cell("plt.plot(x)")]
    assert build_book.figure_alt(untitled, 1) == "A figure computed in the section 1. The task."


def axe_source():
    tarball = build_book.fetch_tarball(*AXE, ROOT / "_build" / "npm")
    import tarfile
    with tarfile.open(tarball) as tar:
        return tar.extractfile("package/axe.min.js").read().decode()


@pytest.mark.timeout(600)
def test_axe_finds_no_serious_or_critical_violation_on_any_page(site, tmp_path):
    require_chromium()
    axe = axe_source()
    problems = []
    with static_server(site) as base, chromium_page(tmp_path / "axe-failure.png") as page:
        blocked = offline_only(page)
        page.set_default_timeout(60_000)
        for path in pages(site):
            rel = path.relative_to(site).as_posix()
            page.goto(f"{base}/{rel}", wait_until="load")
            # audit what the reader sees: equations typeset, widgets rendered
            page.evaluate("async () => { if (window.MathJax?.startup?.promise) await MathJax.startup.promise; }")
            if page.locator(f'script[type="{WIDGET_VIEW}"]').count():   # sliders, progress bars
                page.wait_for_selector(".jupyter-widgets", state="attached")
                page.wait_for_timeout(500)
            page.add_script_tag(content=axe)
            result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                                   ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
                                   " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))")
            for v in result:
                if v["impact"] in SERIOUS:
                    problems.append(f"{rel}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}")
    assert not problems, "axe-core found:\n" + "\n".join(problems)
    assert not blocked, f"the pages asked for other hosts (blocked): {blocked[:5]}"


@pytest.mark.timeout(300)
def test_the_slider_is_reached_and_moved_with_the_keyboard(site, tmp_path):
    require_chromium()
    require(CHAPTER03.exists(), "no chapter 03 yet")
    with static_server(site) as base, chromium_page(tmp_path / "keyboard-failure.png") as page:
        offline_only(page)
        page.set_default_timeout(120_000)
        page.goto(f"{base}/chapters/03_lstm_cell.html")
        page.wait_for_selector(HANDLE, state="attached")
        handle_focused = f"() => document.activeElement?.matches('{HANDLE}') ?? false"
        for presses in range(1, 400):  # noqa: B007 (read after the loop)  Tab through, as a reader without a mouse does
            page.keyboard.press("Tab")
            if page.evaluate(handle_focused):
                break
        else:
            pytest.fail("400 presses of Tab never reach the gate explorer's slider")
        state = "() => [document.activeElement.value, document.activeElement.getAttribute('aria-valuetext')]"
        before = page.evaluate(state)
        for _ in range(3):
            page.keyboard.press("ArrowLeft")   # a range input: one step per press
        page.wait_for_function(f"old => ({state})()[1] !== old", arg=before[1], timeout=10_000)
        after = page.evaluate(state)
    assert before[1] and "forget" in before[1], f"a screen reader hears {before[1]!r}: no name and value"
    assert int(after[0]) == int(before[0]) - 3, f"three presses of ArrowLeft moved the slider {before} -> {after}"
    print(f"the forget slider is reached after {presses} presses of Tab")
