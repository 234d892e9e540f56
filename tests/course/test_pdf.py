"""`make pdf`: the whole book printed to one PDF by headless Chromium (tools/build_pdf.py).

Printed once from the session's built book into a temporary folder (about 20 s), then checked with
poppler's pdftotext, pdfinfo and pdftoppm (Debian's poppler-utils; .ci/run installs it): enough pages
for the book, a table of contents by part (Chapters, Exercises, Solutions, each title once), every
chapter's title in order, the figures in place, no TeX left unrendered by MathJax (no `$$`, `\\frac`
or `\\begin{` in the text), and no sheet left more than three-quarters empty where a page of the book
goes on (a code cell or figure pushed to the next sheet). `make pdf` reuses an up-to-date book.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from browser_support import ROOT, built_book, require, require_chromium

sys.path.insert(0, str(ROOT / "tools"))
import build_pdf  # noqa: E402
from static_sliders import WIDGET_VIEW  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
PAGES = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))      # e.g. the notation page


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
    # the front page, every page of prose, chapter, exercise and solution each start a sheet, after
    # title and contents
    assert len(titles) == 1 + len(PAGES) + 3 * len(CHAPTERS) and pages >= len(titles) + 2, (pages, titles)
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
    figures = sum(map(raster_figures, CHAPTERS))
    assert count >= figures, f"the PDF holds {count} images, the chapters draw {figures} figures"


def raster_figures(notebook):
    """The figures a chapter prints as PNG. An explorer's output (a widget view with its PNG snapshot)
    is not one of them: the book draws it as a slider of vector frames (tools/static_sliders.py)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum("image/png" in o.get("data", {}) and WIDGET_VIEW not in o["data"]
               for c in cells for o in c.get("outputs", []))


def test_the_contents_list_each_part_and_each_title_once(pdf):
    _, titles, text, _ = pdf
    assert len(set(titles)) == len(titles), f"a title stands twice: {sorted(t for t in titles if titles.count(t) > 1)}"
    solutions = [t for t in titles if t.startswith("Solutions ")]
    exercises = [t for t in titles if t.startswith("Exercises ")]
    assert len(solutions) == len(exercises) == len(CHAPTERS), (solutions, exercises)
    flat = " ".join(text.split())
    contents = flat[flat.index("Contents"):]
    at = [contents.find(part) for part in ("Chapters", "Exercises", "Solutions")]
    assert -1 not in at and at == sorted(at), f"the contents do not list the parts in order: {at}"


def filled_fraction(pgm):
    """How far down the printable area of one page (a PGM from pdftoppm -gray) something is drawn."""
    head, _, pixels = pgm.partition(b"\n255\n")
    width, height = map(int, head.split()[1:3])
    page = np.frombuffer(pixels[-width * height:], dtype=np.uint8).reshape(height, width)
    top, bottom = round(height * 16 / 297), round(height * (297 - 18) / 297)   # the margins of build_pdf
    rows = np.flatnonzero((page[top:bottom] < 200).any(axis=1))
    return (rows.max() + 1) / (bottom - top) if rows.size else 0.0


def test_no_sheet_is_left_mostly_empty_where_a_page_goes_on(pdf, tmp_path):
    path, titles, _, info = pdf
    sheets = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(path), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[1]))
    assert len(images) == sheets
    starts = [" ".join(words(t))[:30] for t in titles] + ["Chapters", "Exercises", "Solutions"]
    empty = []
    for k, image in enumerate(images[:-1], start=1):      # the last sheet may end where it likes
        fill = filled_fraction(image.read_bytes())
        if fill >= 0.25:
            continue
        following = subprocess.run(["pdftotext", "-f", str(k + 1), "-l", str(k + 1), str(path), "-"],
                                   capture_output=True, text=True, check=True).stdout
        opening = " ".join(words(following))
        # a book page (each starts with its launch links, then its title) or a part starts a sheet
        if not any(s and s in opening[:200] for s in starts) and not opening.startswith("Open Binder"):
            empty.append((k, round(fill, 2), opening[:60]))
    assert not empty, f"sheets three-quarters empty before the page goes on (sheet, filled, next text): {empty}"


def test_make_pdf_reuses_an_up_to_date_book(tmp_path):
    site = built_book().check()
    env = {**os.environ, "MAKEFLAGS": ""}
    dry = subprocess.run(["make", "-n", "pdf", f"BOOK={site.out}"], cwd=ROOT, capture_output=True, text=True,
                         check=True, env=env).stdout
    assert "build_book.py" not in dry and "build_pdf.py" in dry, dry
    stale = subprocess.run(["make", "-n", "-W", "chapters/03_lstm_cell.ipynb", "pdf", f"BOOK={site.out}"], cwd=ROOT,
                           capture_output=True, text=True, check=True, env=env).stdout
    assert "build_book.py" in stale, stale
