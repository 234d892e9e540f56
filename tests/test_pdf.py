"""`make pdf`: the whole book printed to one PDF by headless Chromium (tools/build_pdf.py).

Printed once from the session's built book into a temporary folder (about 20 s), then checked with
poppler's pdftotext and pdfinfo (Debian's poppler-utils; .ci/run installs it): enough pages for the
book, a table of contents, every chapter's title in order, the figures in place, and no TeX left
unrendered by MathJax (no `$$`, `\\frac` or `\\begin{` in the text).
"""
import json
import re
import shutil
import subprocess
import sys

import pytest

from browser_support import ROOT, built_book, require, require_chromium

sys.path.insert(0, str(ROOT / "tools"))
import build_pdf  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def title_of(notebook):
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{notebook.name} has no '# title' line")


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    require(CHAPTERS, "no chapters yet")
    require_chromium()
    require(shutil.which("pdftotext") and shutil.which("pdfinfo"),
            "pdftotext/pdfinfo missing: `apt-get install poppler-utils` (.ci/run does)")
    path = tmp_path_factory.mktemp("pdf") / "lstmkit.pdf"
    titles = build_pdf.print_pdf(built_book().check().html, path)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return path, titles, text, info


def words(title):
    return re.findall(r"[A-Za-z]{3,}", title)


@pytest.mark.timeout(600)
def test_the_pdf_holds_the_whole_book_in_order(pdf):
    path, titles, text, info = pdf
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    # the front page, every chapter, exercise and solution each start a sheet, after title and contents
    assert len(titles) == 1 + 3 * len(CHAPTERS) and pages >= len(titles) + 2, (pages, titles)
    assert pages >= 20 * len(CHAPTERS) // 2, f"only {pages} pages for {len(CHAPTERS)} chapters"
    flat = " ".join(words(text))              # the words of 3+ letters: line breaks and TeX spacing go
    contents = flat.index("Contents")
    positions = []
    for nb in CHAPTERS:
        title = title_of(nb)
        hits = [m.start() for m in re.finditer(re.escape(" ".join(words(title))), flat)]
        assert len(hits) >= 2 and hits[0] > contents, f"{title!r} is not in the contents and the text"
        positions.append(hits[1])               # its heading, after the table of contents
    assert positions == sorted(positions), "the chapters are not in order"
    assert "Tagged: yes" in " ".join(info.split()), "the PDF carries no structure for screen readers"


def test_no_page_shows_unrendered_tex(pdf):
    _, _, text, _ = pdf
    for raw in ("$$", "\\frac", "\\begin{", "\\partial", "\\sigma"):
        lines = [line.strip() for line in text.splitlines() if raw in line]
        # code cells may show TeX inside Python strings (a plot label); prose may not
        prose = [line for line in lines if not re.search(r'["\']|^\s*#|\b(ax|plt|fig)\.', line)]
        assert not prose, f"unrendered TeX {raw!r} in the PDF text: {prose[:5]}"


def test_figures_are_in_place(pdf):
    path, _, _, _ = pdf
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    count = len([line for line in images.splitlines()[2:] if line.strip()])
    figures = sum(len(re.findall(r'"image/png"', nb.read_text(encoding="utf-8"))) for nb in CHAPTERS)
    assert count >= figures, f"the PDF holds {count} images, the chapters draw {figures} figures"
