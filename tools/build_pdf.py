"""Print the built book to one PDF with Chromium: `make pdf` -> _build/lstmkit.pdf.

    python tools/build_pdf.py [HTML] [PDF]     # HTML: the built site (default _build/book/_build/html)

1. Join the article of every page, in the book's order (front page, then the parts Chapters,
   Exercises and Solutions: the order of tools/build_book.py), into one page, print/book.html inside
   the site, with the site's own stylesheets, MathJax and widget manager; a title page and a table of
   contents by part (linked, and also the PDF's outline) come first, each part opens with a sheet of
   its own, and each page of the book starts a new sheet. Code cells, outputs and figures are kept
   whole on a sheet where they fit, and a heading stays with what follows it.
   The widget states of all pages become one, so each slider and its stored plot render once.
2. Serve the site on 127.0.0.1, open that page in headless Chromium (Debian's /usr/bin/chromium,
   through playwright, with every other host blocked), wait until MathJax has typeset every
   equation and the widgets have rendered, and print it (A4, page numbers in the footer).
Used by `make pdf` and tests/course/test_pdf.py. Build the book first (`make book`).
"""
import argparse
import functools
import html
import http.server
import json
import re
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from build_book import PARTS, WIDGET_STATE  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTICLE = re.compile(r'<article class="bd-article">(.*?)</article>', re.S)
HEAD = re.compile(r"<head>(.*?)</head>", re.S)
STATE = re.compile(rf'<script type="{re.escape(WIDGET_STATE)}">(.*?)</script>', re.S)
PRINT_CSS = """
  @page { size: A4; margin: 16mm 14mm 18mm 14mm; }
  body { background: white; }
  .lstmkit-print { max-width: none; padding: 0; }
  .lstmkit-print section.book-page { break-before: page; }
  .lstmkit-print .title-page { text-align: center; padding-top: 30vh; }
  .lstmkit-print .title-page h1 { font-size: 2.2rem; }
  .lstmkit-print nav.toc { break-before: page; }
  .lstmkit-print nav.toc li { margin: 0.3em 0; }
  .lstmkit-print section.book-part { break-before: page; padding-top: 35vh; text-align: center; }
  .lstmkit-print section.book-part h1 { font-size: 2.4rem; }
  .lstmkit-print nav.toc ol ol { margin-top: 0.2em; }
  .lstmkit-print img { max-width: 100%; break-inside: avoid; }
  /* a code box, each output and each figure start on the sheet where they end, when they fit on one;
     a whole cell may break between its code and its outputs, so a long one leaves no sheet half empty */
  .lstmkit-print div.cell_input, .lstmkit-print div.highlight, .lstmkit-print .cell_output > *,
  .lstmkit-print figure, .lstmkit-print .math { break-inside: avoid; }
  /* on paper the static slider is its figure and readout: its controls move nothing */
  .lstmkit-print .lstmkit-static-modes, .lstmkit-print .lstmkit-static-control { display: none; }
  .lstmkit-print h1, .lstmkit-print h2, .lstmkit-print h3, .lstmkit-print h4 { break-after: avoid; }
  .lstmkit-print pre { white-space: pre-wrap; word-break: break-word; }
  .lstmkit-print .headerlink, .lstmkit-print .copybtn { display: none !important; }
"""


def book_parts(site):
    """The book's pages in reading order, by part: [(part caption or None, [paths inside the site])],
    the front page first, in no part."""
    parts = [(None, [site / "intro.html"])]
    for caption, folder in PARTS:
        pages = sorted((site / folder).glob("[0-9][0-9]_*.html"))
        if pages:
            parts.append((caption, pages))
    missing = [p for _, pages in parts for p in pages if not p.exists()]
    if missing:
        raise FileNotFoundError(f"not in the built book: {missing}; run `make book` first")
    return parts


def page_title(text):
    m = re.search(r"<h1>(.*?)<", text, re.S)
    return html.unescape(m.group(1)).strip() if m else "Untitled"


def head_of(text):
    """The <head> of a page one folder deep (its URLs are ../_static/...), minus its widget state."""
    head = STATE.sub("", HEAD.search(text).group(1))
    head = re.sub(r"<title>.*?</title>", "", head, flags=re.S)
    return head


def assemble(site):
    """Write site/print/book.html; returns its path and the titles of its pages."""
    parts = book_parts(site)
    pages = [p for _, paths in parts for p in paths]
    texts = {p: p.read_text(encoding="utf-8") for p in pages}
    # the head of a chapter page that loads the widget manager (and MathJax), else of any chapter
    chapters = [texts[p] for p in pages if p.parent.name == "chapters"]
    chapter = next((t for t in chapters if "jupyter-widgets/embed.js" in t), chapters[0])
    state = {}
    sections, toc, titles = [], [], []
    for n, (caption, paths) in enumerate(parts):
        entries = []
        for path in paths:
            text, k = texts[path], len(titles)
            for blob in STATE.findall(text):
                state.update(json.loads(blob)["state"])
            body = ARTICLE.search(text).group(1)
            if path.parent == site:     # a page at the top: its URLs gain the ../ of print/
                body = re.sub(r'(src|href)="(?!https?:|#|\.\./|data:|mailto:)', r'\1="../', body)
            title = page_title(text)
            titles.append(title)
            entries.append(f'<li><a href="#page-{k}">{html.escape(title)}</a></li>')
            sections.append(f'<section class="book-page" id="page-{k}">{body}</section>')
        if caption is None:
            toc += entries
            continue
        # the part's own sheet, before its first page: a heading in the text and in the outline
        sections.insert(len(sections) - len(paths),
                        f'<section class="book-part" id="part-{n}"><h1>{html.escape(caption)}</h1></section>')
        toc.append(f'<li><a href="#part-{n}">{html.escape(caption)}</a><ol>{"".join(entries)}</ol></li>')
    texts = [texts[p] for p in pages]
    book_title = page_title(texts[0])
    blob = json.dumps({"version_major": 2, "version_minor": 0, "state": state}).replace("</", "<\\/")
    widget_state = f'<script type="{WIDGET_STATE}">{blob}</script>' if state else ""
    document = f"""<!DOCTYPE html>
<html lang="en"><head>{head_of(chapter)}
<title>{html.escape(book_title)}</title>{widget_state}
<style>{PRINT_CSS}</style></head>
<body><main class="lstmkit-print bd-content"><div class="bd-article-container"><article class="bd-article">
<div class="title-page"><h1>{html.escape(book_title)}</h1>
<p>The lstmkit authors · text and figures under CC BY 4.0, code under the MIT License</p></div>
<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{"".join(toc)}</ol></nav>
{"".join(sections)}
</article></div></main></body></html>"""
    out = site / "print" / "book.html"
    out.parent.mkdir(exist_ok=True)
    out.write_text(document, encoding="utf-8")
    return out, titles


def serve(directory):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def print_pdf(site, pdf):
    """Print site/print/book.html to pdf with headless Chromium; returns the page titles."""
    from playwright.sync_api import sync_playwright

    _, titles = assemble(site)
    httpd = serve(site)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                    ("http://127.0.0.1", "data:", "blob:")) else r.abort())
                page.set_default_timeout(300_000)
                page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/print/book.html", wait_until="load")
                page.wait_for_function("() => window.MathJax?.startup?.promise !== undefined")
                page.evaluate("async () => { await MathJax.startup.promise; await MathJax.typesetPromise(); }")
                if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count():
                    page.wait_for_selector(".jupyter-widgets", state="attached")
                    page.wait_for_timeout(1000)
                pdf.parent.mkdir(parents=True, exist_ok=True)
                page.pdf(path=str(pdf), format="A4", print_background=True, outline=True, tagged=True,
                         display_header_footer=True, header_template="<span></span>",
                         footer_template='<div style="font-size:8px;width:100%;text-align:center">'
                                         '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
                         margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"})
            finally:
                browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return titles


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", nargs="?", default=str(ROOT / "_build" / "book" / "_build" / "html"))
    parser.add_argument("pdf", nargs="?", default=str(ROOT / "_build" / "lstmkit.pdf"))
    args = parser.parse_args()
    titles = print_pdf(Path(args.html).resolve(), Path(args.pdf).resolve())
    print(f"pdf: {args.pdf} ({len(titles)} parts)")


if __name__ == "__main__":
    main()
