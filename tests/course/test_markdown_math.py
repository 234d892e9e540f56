"""Display equations render as displays everywhere, not only in JupyterLab.

JupyterLab renders `$$…$$` as a display equation wherever it stands, but the book (MyST) and the PDF
read a `$$` line that follows a line of text as part of that paragraph, and print the equation inline
with its dollar signs showing. So every display equation in the course's markdown starts a paragraph
(a blank line, or another display's closing `$$`, before it) and ends one.
"""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(ROOT.glob("chapters/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb")) + \
    sorted(ROOT.glob("exercises/*.ipynb"))
PAGES = sorted(ROOT.glob("chapters/*.md")) + sorted(ROOT.glob("book/*.md"))


def glued_displays(text):
    """Lines (1-based) of `$$` displays that share a paragraph with text before or after them."""
    lines, inside, bad = text.split("\n"), False, []
    for k, line in enumerate(lines):
        s = line.strip()
        before = lines[k - 1].strip() if k else ""
        after = lines[k + 1].strip() if k + 1 < len(lines) else ""
        if s.startswith("$$") and not inside and before and not before.endswith("$$"):
            bad.append(k + 1)
        if s.count("$$") % 2:
            inside = not inside
        if s.endswith("$$") and not inside and after and not after.startswith("$$"):
            bad.append(k + 1)
    return bad


def markdown_cells(path):
    if path.suffix == ".md":
        return [(0, path.read_text())]
    cells = json.loads(path.read_text())["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("path", SOURCES + PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_display_equations_stand_in_their_own_paragraph(path):
    bad = [(i, line) for i, text in markdown_cells(path) for line in glued_displays(text)]
    assert not bad, f"{path.name}: $$ glued to a line of text (cell, line): {bad}; put a blank line between"


def test_the_check_sees_a_glued_display():
    assert glued_displays("rows $0{:}H$:\n$$i_t = \\sigma(a_i)$$\n") == [2]
    assert glued_displays("text\n\n$$a$$\nmore text") == [3]
    assert glued_displays("text\n\n$$a = b,\nc = d$$\n$$e$$\n\nmore") == []
