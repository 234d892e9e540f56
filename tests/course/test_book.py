"""The static book (`make book`, tools/build_book.py) builds offline from the stored notebooks.

One build per session, into a temporary folder, with no network (`unshare --net`) where the machine
allows it. Checked on the built site: every chapter has its page, in order, with its title, a
rendered figure, the TeX of its equations for the locally served MathJax and a Binder launch link;
the exercises and solutions are listed apart from the chapters; the widget state of chapter 03 is
embedded with the widget manager served from _static/; no page loads a script from another host.
"""
import html
import json
import re
from html.parser import HTMLParser

import pytest
import yaml

from browser_support import CHAPTER03, ROOT, built_book, require

pytestmark = pytest.mark.slow

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
EXERCISE_PAGES = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
SOLUTION_PAGES = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
CONFIG = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())
BINDER = (f"{CONFIG['launch_buttons']['binderhub_url']}/v2/gh/"
          f"{CONFIG['repository']['url'].split('github.com/')[1].rstrip('/')}/"
          f"{CONFIG['repository']['branch']}?urlpath=lab/tree/")


@pytest.fixture(scope="module")
def site():
    require(CHAPTERS, "no chapters/NN_*.ipynb yet")
    return built_book().check().html


def page(site, notebook):
    path = site / notebook.parent.name / (notebook.stem + ".html")
    assert path.exists(), f"no page {path.relative_to(site)} for {notebook.relative_to(ROOT)}"
    return path.read_text(encoding="utf-8")


def notebook_title(notebook):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{notebook.name} has no '# title' line")


class H1Text(HTMLParser):
    """The text of the first <h1> of a page."""

    def __init__(self):
        super().__init__()
        self.depth, self.text, self.done = 0, [], False

    def handle_starttag(self, tag, attrs):
        if tag == "h1" and not self.done:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "h1" and self.depth:
            self.depth, self.done = 0, True

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


def h1(text):
    parser = H1Text()
    parser.feed(text)
    return " ".join("".join(parser.text).split())


def test_the_build_needs_no_network():
    book = built_book()
    require(book.offline, "`unshare --net` is not permitted here, so the build ran with the network")
    book.check()
    print(f"book built offline in {book.seconds:.1f} s")


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_each_chapter_has_its_page_title_and_a_figure(site, notebook):
    text = page(site, notebook)
    title = notebook_title(notebook)
    words = re.findall(r"[A-Za-z]{3,}", title)
    heading = h1(text)
    assert all(w in heading for w in words), f"page <h1> {heading!r} does not carry the title {title!r}"
    assert re.search(r'<img [^>]*src="\.\./_images/', text), f"{notebook.name}: no rendered figure"
    assert BINDER + f"chapters/{notebook.name}" in html.unescape(text), "no Binder launch link"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_equations_keep_their_tex_for_the_local_mathjax(site, notebook):
    text = page(site, notebook)
    if "$" not in notebook.read_text(encoding="utf-8"):
        pytest.skip(f"{notebook.name} has no equation")
    assert re.search(r'class="math[^"]*"[^>]*>\s*\\[(\[]', text), "no TeX left for MathJax"
    assert 'src="../_static/mathjax/tex-mml-chtml.js' in text
    assert (site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_chapters_come_in_order_and_exercises_are_listed_apart(site):
    nav = (site / "intro.html").read_text(encoding="utf-8")
    positions = [nav.find(f'href="chapters/{nb.stem}.html"') for nb in CHAPTERS]
    assert -1 not in positions and positions == sorted(positions), "chapters missing or out of order"
    for caption, pages in (("Exercises", EXERCISE_PAGES), ("Solutions", SOLUTION_PAGES)):
        if not pages:
            continue
        at = nav.find(f">{caption}<")
        assert at > max(positions), f"no '{caption}' part after the chapters in the navigation"
        for nb in pages:
            assert nav.find(f'href="{nb.parent.name}/{nb.stem}.html"') > at


def test_no_page_loads_a_script_from_another_host(site):
    for path in site.rglob("*.html"):
        srcs = re.findall(r'<script[^>]*\ssrc="([^"]+)"', path.read_text(encoding="utf-8"))
        remote = [s for s in srcs if re.match(r"^(https?:)?//", s)]
        assert not remote, f"{path.relative_to(site)} loads {remote}"


def test_chapter03_shows_its_static_slider_and_no_stored_widget(site):
    require(CHAPTER03.exists(), f"{CHAPTER03.relative_to(ROOT)} does not exist yet")
    nb = json.loads(CHAPTER03.read_text(encoding="utf-8"))
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state")
    assert state, ("chapters/03_lstm_cell.ipynb stores no widget state: execute it with nbclient/nbconvert "
                   "(store_widget_state=True is their default) so JupyterLab can show its sliders")
    text = page(site, CHAPTER03)
    # one explorer per place: the static slider, not a stored view whose sliders recompute nothing
    assert 'class="lstmkit-static-slider"' in text
    assert f'type="{WIDGET_STATE}"' not in text and "lstmkit-forget" not in text
    assert "jupyter-widgets/embed.js" not in text


def test_stored_progress_bars_embed_their_widget_state(site):
    chapter = ROOT / "chapters" / "05_long_time_lags.ipynb"
    require(chapter.exists(), f"{chapter.relative_to(ROOT)} does not exist yet")
    text = page(site, chapter)
    assert f'type="{WIDGET_STATE}"' in text
    assert 'src="../_static/jupyter-widgets/embed.js' in text
    assert (site / "_static" / "jupyter-widgets" / "embed.js").exists()


def test_solution_pages_are_titled_as_solutions(site):
    for folder, word in (("exercises", "Exercises"), ("solutions", "Solutions")):
        for nb in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb")):
            text = page(site, nb)
            title = html.unescape(re.search(r"<title>(.*?)</title>", text, re.S).group(1))
            heading = html.unescape(re.search(r"<h1>(.*?)<", text, re.S).group(1))
            assert title.startswith(word) and heading.startswith(word), (nb.name, title, heading)
