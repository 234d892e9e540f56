"""Slides for a lecture, made from a chapter: nbconvert's reveal.js output of a reduced copy.

The chapter stays the one source: nothing here is written by hand. Each heading of the chapter
starts a slide that holds

- under the chapter's title, the list "What you will be able to do";
- under "Summary" and "Check your understanding", their whole text, with the folded answers left out;
- under every other heading, the section's display equations and the summary line of each folded
  block (the line that states what the fold concludes; hints and answers are left out);

and every figure the section's code draws follows it on a slide of its own (below it: reveal.js's
vertical slides). Code, printed tables, widgets and the rest of the prose stay in the chapter.

    python tools/build_slides.py chapters/03_lstm_cell.ipynb [...] [--out _build/slides]

`make slides` builds every chapter's, ``_build/slides/NN_name.slides.html``. The page loads reveal.js
and MathJax from their CDN, as nbconvert's template does, so it needs a network when it is shown.
"""
import argparse
import re
import sys
from pathlib import Path

import build_book  # tools/, beside this script: the book's alt text for figures
import nbformat

ROOT = Path(__file__).resolve().parent.parent
HEADING = re.compile(r"^(#{1,3}) (.+)$", re.M)
DETAILS = re.compile(r"<details>.*?</details>", re.S | re.I)
SUMMARY = re.compile(r"<details>\s*<summary>(.*?)</summary>", re.S | re.I)
EQUATION = re.compile(r"\$\$.+?\$\$", re.S)
FOLD_NOT_SHOWN = re.compile(r"(Answer|Hint\b.*)")     # the hidden answers and hint ladders
WHOLE_TEXT = ("Summary", "Check your understanding")
OUTCOMES = "What you will be able to do"


def sections(nb):
    """[level, heading, markdown, [(figure output, alt text)]] for every heading of the chapter, from its
    title on: the text and figures of the cells that follow a heading belong to it."""
    found = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            if found:
                found[-1][3] += [(out, build_book.figure_alt(nb.cells, k)) for out in figures(cell)]
            continue
        marks = list(HEADING.finditer(cell.source))
        if found:                                   # text above the cell's first heading continues the last
            found[-1][2] += "\n\n" + cell.source[:marks[0].start() if marks else None]
        for j, m in enumerate(marks):
            if found or len(m.group(1)) == 1:       # the launch links above the title are not slides
                end = marks[j + 1].start() if j + 1 < len(marks) else None
                found.append([len(m.group(1)), m.group(2).strip(), cell.source[m.end():end], []])
    return found


def _outcomes(body):
    """The bullet list under "What you will be able to do", with its bold line."""
    start = body.find(OUTCOMES)
    if start < 0:
        return ""
    lines, seen_item = [], False
    for line in body[body.rfind("\n", 0, start) + 1:].splitlines():
        item = line.startswith(("* ", "- "))
        if seen_item and line and not item and not line.startswith("  "):
            break                                      # the first line after the list
        seen_item = seen_item or item
        lines.append(line)
    return "\n".join(lines).strip()


def slide_text(level, heading, body):
    """The markdown of one heading's slide."""
    title = f"{'#' * level} {heading}"
    if level == 1:
        parts = [_outcomes(body)]
    elif heading in WHOLE_TEXT:
        parts = [DETAILS.sub("", body).strip()]
    else:
        summaries = [re.sub(r"<[^>]+>", "", s).strip() for s in SUMMARY.findall(body)]
        parts = EQUATION.findall(DETAILS.sub("", body)) + \
            [f"* {s}" for s in summaries if not FOLD_NOT_SHOWN.fullmatch(s)]
    return "\n\n".join([title, *[p for p in parts if p]])


def figures(cell):
    """The image outputs of a code cell (its printed text, tables and widgets left out)."""
    return [out for out in cell.get("outputs", []) if out.get("output_type") in ("display_data", "execute_result")
            and "image/png" in out.get("data", {})]


def slide_notebook(chapter):
    """The reduced copy of the chapter at path `chapter` whose cells nbconvert turns into slides; each
    figure's cell carries its alt text in metadata["alt"]."""
    nb = nbformat.read(chapter, as_version=4)
    found = sections(nb)
    if not found:
        raise ValueError(f"chapter must have a title line '# ...', {chapter} has none")
    cells = []
    for level, heading, body, shown in found:
        cells.append(nbformat.v4.new_markdown_cell(slide_text(level, heading, body),
                                                   metadata={"slideshow": {"slide_type": "slide"}}))
        for out, alt in shown:
            image = nbformat.v4.new_output("display_data", data={"image/png": out["data"]["image/png"]})
            cells.append(nbformat.v4.new_code_cell("", outputs=[image],
                                                   metadata={"slideshow": {"slide_type": "subslide"}, "alt": alt}))
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": nb.metadata.get("kernelspec", {})})


def build(chapter, out_dir):
    """Write out_dir/NN_name.slides.html for the chapter; return its path."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.TemplateExporter.exclude_input = True
    config.TemplateExporter.exclude_input_prompt = True
    config.TemplateExporter.exclude_output_prompt = True
    config.SlidesExporter.reveal_scroll = True            # a long summary scrolls instead of overflowing
    slides = slide_notebook(chapter)
    html, _ = SlidesExporter(config=config).from_notebook_node(slides)
    html = _with_alt_text(html, [c.metadata["alt"] for c in slides.cells if c.cell_type == "code"])
    target = Path(out_dir) / f"{Path(chapter).stem}.slides.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target


def _with_alt_text(html, alts):
    """The page with each figure's alt text (nbconvert's lab template writes a placeholder)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, features="html.parser")
    images = soup.select('img[src^="data:image/png"]')
    if len(images) != len(alts):
        raise ValueError(f"alts must name every figure: {len(alts)} for {len(images)} images")
    for img, alt in zip(images, alts, strict=True):
        img["alt"] = alt
    return str(soup)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "slides")
    args = parser.parse_args(argv)
    for chapter in args.chapters:
        print(build(chapter, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
