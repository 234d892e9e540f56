"""The static book in Chromium: sliders that work without a kernel, and a quiet console.

1. The static sliders in place of the explorers of chapters 02 and 03 (tools/static_sliders.py):
   one explorer per place (no stored widget view beside it); move the range input with the
   keyboard, as a reader can, choose another mode, and check that the picture and the readout
   become the ones lstmkit computes for that slider value, here and now (lstmkit.widgets.frames,
   drawn the way the book draws them, compared byte by byte); the picture fills the column and is
   vector art, so it is sharp on any screen; the frames of a page stay light.
2. Every page of the book loads with no error or warning in the console, no uncaught exception and
   no failed request (a 404 for /favicon.ico included), every equation typeset (no `$` or `\\(` left
   in the visible text outside code), and its stored text outputs wrap inside the column instead of
   scrolling sideways.

The book is built once per session (browser_support.built_book), served from 127.0.0.1 with every
other host blocked. A failing test saves a screenshot under its tmp_path.
"""
import sys

import pytest

from browser_support import ROOT, built_book, chromium_page, offline_only, require_chromium, static_server

sys.path.insert(0, str(ROOT / "tools"))
import static_sliders  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site():
    require_chromium()
    return built_book().check().html


# the frames one page may fetch in all, if a reader moves its slider over every value of every mode;
# the page itself loads only the first frame (about 130 kB for chapter 03, 50 kB for chapter 02)
FRAMES_BUDGET = {"03_lstm_cell": 9_000_000, "02_vanishing_gradients": 6_500_000}


def expected(explorer, mode, value):
    """The figure (SVG bytes) and readout lstmkit gives for the slider at value in mode."""
    return static_sliders.draw_frame(explorer, mode, value)


def shown(page, root):
    """What the static slider shows: (slider value, readout text, picture's bytes)."""
    img = root.locator("img.lstmkit-static-frame")
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=10_000)
    png = page.request.get(page.evaluate("img => img.src", img.element_handle())).body()
    return float(root.get_attribute("data-value")), root.locator(".lstmkit-static-readout").inner_text(), png


def check_position(page, root, explorer, mode, index, seen):
    value, readout, picture = shown(page, root)
    assert root.get_attribute("data-mode") == mode.key
    assert value == mode.values[index], f"{mode.slider}: slider at {value}, expected {mode.values[index]}"
    want_picture, want_readout = expected(explorer, mode, value)
    assert readout == want_readout, f"{mode.slider} = {value}: readout {readout!r}, lstmkit says {want_readout!r}"
    assert picture == want_picture, f"{mode.slider} = {value}: the picture is not lstmkit's figure for that value"
    assert readout not in seen, f"{mode.slider} = {value}: the readout did not change ({readout!r})"
    seen.add(readout)


@pytest.mark.parametrize("name", list(static_sliders.EXPLORERS))
def test_static_slider_shows_lstmkit_frames(site, name, tmp_path):
    explorer = static_sliders.EXPLORERS[name]
    with static_server(site) as base, chromium_page(tmp_path / "failure.png") as page:
        blocked = offline_only(page)
        page.goto(f"{base}/chapters/{name}.html", wait_until="load")
        root = page.locator(".lstmkit-static-slider")
        assert root.count() == 1, "no static slider in place of the explorer"
        assert page.locator(".jupyter-widgets, .widget-slider").count() == 0, \
            "the stored widget view is shown beside the static slider: one explorer per place"
        live = root.locator(".lstmkit-static-live a")
        assert live.inner_text() == "Open it live" and "mybinder.org" in live.get_attribute("href")
        column = page.evaluate("el => el.parentElement.getBoundingClientRect().width", root.element_handle())
        img = root.locator("img.lstmkit-static-frame")
        img.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=10_000)
        width = page.evaluate("img => img.getBoundingClientRect().width", img.element_handle())
        assert width >= 0.95 * column, f"the picture is {width:.0f} px wide in a {column:.0f} px column"
        assert img.get_attribute("src").endswith(".svg"), "frames are vector art, sharp on any screen"
        rng = root.locator("input[type=range]")
        for m, mode in enumerate(explorer.modes):
            if m:
                root.locator(f"input[type=radio][value='{mode.key}']").check()
            start = min(range(len(mode.values)), key=lambda k: abs(mode.values[k] - mode.default))
            seen = set()
            check_position(page, root, explorer, mode, start, seen)
            rng.focus()
            rng.press("ArrowLeft")      # one grid step down
            check_position(page, root, explorer, mode, start - 1, seen)
            rng.press("End")            # the top of the grid
            check_position(page, root, explorer, mode, len(mode.values) - 1, seen)
            assert root.locator(".lstmkit-static-label").inner_text() == mode.slider
        assert not blocked, f"the page asked for other hosts: {blocked}"


@pytest.mark.parametrize("name", list(static_sliders.EXPLORERS))
def test_a_pages_frames_stay_light(site, name):
    folder = site / "_static" / "sliders" / name
    frames = sorted(folder.glob("*.svg"))
    explorer = static_sliders.EXPLORERS[name]
    assert len(frames) == sum(len(m.values) for m in explorer.modes)
    total = sum(f.stat().st_size for f in frames)
    assert total <= FRAMES_BUDGET[name], f"{name}: {len(frames)} frames, {total / 1e6:.1f} MB in all"


def book_pages(site):
    """intro.html and every notebook's page."""
    pages = [p for p in sorted(site.rglob("*.html")) if p.parent.name in ("chapters", "exercises", "solutions")]
    return ["intro.html"] + [p.relative_to(site).as_posix() for p in pages]


def test_no_page_logs_a_warning_or_error_or_fails_a_request(site, tmp_path):
    errors = {}
    with static_server(site) as base, chromium_page(tmp_path / "failure.png") as page:
        offline_only(page)
        current = []
        page.on("console", lambda m: current.append(f"console.{m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: current.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: current.append(f"failed request: {r.url}"))
        page.on("response", lambda r: current.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        pages = book_pages(site)
        assert len(pages) > 6, f"only {pages} in the book"
        for path in pages:
            current.clear()
            page.goto(f"{base}/{path}", wait_until="load")
            page.wait_for_timeout(800)      # the widget manager renders after load
            # every equation typeset: no $ or \( left in the visible text outside code
            page.evaluate("async () => { if (window.MathJax?.startup?.promise) await MathJax.startup.promise; }")
            stray = page.evaluate(r"""() => {
                const article = document.querySelector('article.bd-article').cloneNode(true);
                article.querySelectorAll('pre, code, .highlight, script, style, mjx-container')
                    .forEach(el => el.remove());
                return (article.innerText.match(/.{0,30}(\$|\\\().{0,30}/g) || []); }""")
            current += [f"TeX left unrendered: {text!r}" for text in stray]
            wide = page.evaluate("""() => Array.from(document.querySelectorAll('.cell_output pre'))
                .filter(pre => pre.scrollWidth > pre.clientWidth + 1).map(pre => pre.textContent.slice(0, 60))""")
            current += [f"a text output scrolls sideways: {text!r}" for text in wide]
            if current:
                errors[path] = list(current)
    assert not errors, "console errors:\n" + "\n".join(f"{p}: {e}" for p, e in errors.items())
