"""Lecture slides made from the chapters (tools/build_slides.py, `make slides`).

Each chapter gives a slide per heading and one per figure, in the chapter's order; a slide holds its
section's display equations and the summary line of each fold (not the hidden answers and hints),
the title slide the chapter's list of what the reader will be able to do; no code reaches a slide.
One chapter is built to reveal.js HTML, as `make slides` builds them all, every figure with the
book's alt text.
"""
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))
import build_slides  # noqa: E402


def _tool():
    return build_slides


def _figures(nb):
    return [out["data"]["image/png"] for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_a_slide_per_heading_and_per_figure_with_no_code(chapter):
    tool = _tool()
    nb = nbformat.read(chapter, as_version=4)
    slides = tool.slide_notebook(chapter)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    headings = re.findall(r"^#{1,3} (.+)$", markdown, flags=re.M)
    texts = [c.source for c in slides.cells if c.cell_type == "markdown"]
    assert [t.splitlines()[0].lstrip("#").strip() for t in texts] == [h.strip() for h in headings]
    assert _figures(slides) == _figures(nb), "every figure, once, in the chapter's order"
    assert all(c.source == "" for c in slides.cells if c.cell_type == "code"), "no code on a slide"
    assert all(c.metadata.slideshow.slide_type == ("slide" if c.cell_type == "markdown" else "subslide")
               for c in slides.cells)
    shown = "\n".join(texts)
    assert "What you will be able to do" in texts[0] and "What this chapter assumes" not in texts[0]
    for summary in re.findall(r"<summary>(.*?)</summary>", markdown, flags=re.S):
        line = re.sub(r"<[^>]+>", "", summary).strip()
        hidden = re.fullmatch(r"(Answer|Hint\b.*)", line)
        assert (f"* {line}" in shown) != bool(hidden), f"{chapter.name}: the fold {line!r}"
    assert "<details>" not in shown, "no folded answer or hint on a slide"
    for heading in ("Summary", "Check your understanding"):       # in full, less the folds
        body = re.search(rf"^## {heading}\n(.*?)(?=^#{{1,3}} |\Z)", markdown, flags=re.S | re.M).group(1)
        folded_out = re.sub(r"<details>.*?</details>", "", body, flags=re.S)
        assert " ".join(folded_out.split()) in " ".join(shown.split()), f"{chapter.name}: {heading}"
    for equation in re.findall(r"\$\$.+?\$\$", re.sub(r"<details>.*?</details>", "", markdown, flags=re.S), flags=re.S):
        assert equation in shown, f"{chapter.name}: the equation {equation[:60]!r} is on no slide"


def test_builds_a_chapter_as_reveal_slides(tmp_path):
    chapter = ROOT / "chapters" / "03_lstm_cell.ipynb"
    html = _tool().build(chapter, tmp_path).read_text()
    assert "Reveal.initialize" in html
    assert "The constant error carousel" in html and "Check your understanding" in html
    assert html.count("src=\"data:image/png;base64") == len(_figures(nbformat.read(chapter, as_version=4)))
    assert "from lstmkit import" not in html and "np.random.default_rng" not in html, "no code"
    alts = re.findall(r'<img alt="([^"]*)"[^>]*src="data:image/png', html)
    assert len(alts) == html.count('src="data:image/png') and all(len(a.split()) >= 5 for a in alts), alts


def test_a_notebook_without_a_title_is_refused(tmp_path):
    path = tmp_path / "untitled.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("text, no heading")]), path)
    with pytest.raises(ValueError, match="title"):
        _tool().slide_notebook(path)


def test_make_slides_builds_every_chapter():
    dry = subprocess.run(["make", "-n", "slides"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = next(line for line in dry.splitlines() if "tools/build_slides.py" in line)
    assert sorted(line.split()[2:]) == [f"chapters/{p.name}" for p in CHAPTERS]
