"""Build the lstmkit book (a static site) from the stored, executed notebooks.

    python tools/build_book.py [OUT] [--offline]          # `make book`: OUT = _build/book

1. Stage a source tree in OUT/src: book/ (config, intro) plus copies of chapters/, exercises/ and
   solutions/ notebooks, and a _toc.yml listing them in order (chapters, then exercises, then
   solutions, each a part of its own), so the book follows the chapters as they land.
   Under each explorer (slider widgets) tools/static_sliders.py puts a note (the widget is a
   snapshot; a Binder link) and a plain HTML slider that swaps frames it draws at build time.
   Every cell that draws a figure gets alt text for its images (`figure_alt`): the figure's title
   from the plotting code, then the "What to see" caption that follows it, as plain text. A figure
   inside a widget's stored output gets the same alt text through an <img> in that output.
2. Put the JavaScript the pages load under OUT/src/_vendor/ (served as _static/), from npm
   tarballs pinned by version and sha512 (fetched once with `npm pack` into the cache folder,
   default _build/npm): the ipywidgets embed manager @jupyter-widgets/html-manager (for
   ipywidgets 8.1) and MathJax 3. The pages load nothing from a CDN.
3. `jupyter-book build` (Sphinx) with execution off. --offline runs it without network
   (`unshare --net`, Linux, root or user namespaces), to prove the build fetches nothing.
4. Accessibility fixes to the theme's pages that its configuration cannot reach (`fix_pages`): the
   search button's accessible name contains its visible text, decorative icons are hidden from
   screen readers. book/_vendor/lstmkit-a11y.js names the widget sliders in the browser.

The site is OUT/_build/html/index.html. Used by `make book` and tests/course/test_book.py.
"""
import argparse
import base64
import hashlib
import html
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import nbformat
import static_sliders  # tools/, beside this script
import yaml

ROOT = Path(__file__).resolve().parents[1]
PARTS = [("Chapters", "chapters"), ("Exercises", "exercises"), ("Solutions", "solutions")]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# name@version -> (npm integrity, folder inside the tarball to copy, folder under _static/, files
# of that folder to leave out). html-manager 1.0.x is the embed manager of ipywidgets 8.1 (ipywidgets'
# __html_manager_version__); the pages load its non-AMD embed.js (with its fonts), and MathJax's
# tex-mml-chtml.js (with the extensions and fonts it loads from its own folder).
NPM_ASSETS = {
    "@jupyter-widgets/html-manager@1.0.15": (
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        "package/dist", "jupyter-widgets", r"\.map$|amd\.js$"),
    "mathjax@3.2.2": (
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        "package/es5", "mathjax", r"^(?!tex-mml-chtml\.js$)[^/]+\.js$"),
}


def tarball_name(spec):
    """npm pack's file name: @scope/name@1.2.3 -> scope-name-1.2.3.tgz."""
    name, version = spec.rsplit("@", 1)
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def fetch_tarball(spec, integrity, cache):
    """The pinned npm tarball from the cache, fetched with `npm pack` when missing; sha512 checked."""
    path = cache / tarball_name(spec)
    if not path.exists():
        if not shutil.which("npm"):
            raise RuntimeError(f"npm is needed once, to fetch {spec} into {cache} (`apt-get install npm`)")
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", spec, "--pack-destination", str(cache), "--silent"],
                       check=True, stdout=subprocess.DEVNULL)
    algo, expected = integrity.split("-", 1)
    actual = base64.b64encode(hashlib.new(algo, path.read_bytes()).digest()).decode()
    if actual != expected:
        path.unlink()
        raise RuntimeError(f"{path.name}: {algo} is {actual}, pinned {expected}; deleted, run again")
    return path


# The embed manager validates the stored widget state with Ajv, built without options; the widget
# state schema uses union types on purpose, which Ajv's default strict mode reports on every widget
# page ("strict mode: use allowUnionTypes ..."). Build it with the option the schema needs.
EMBED_AJV = ("jupyter-widgets/embed.js", "gt=new(ft()),mt=gt.compile(pt)",
             "gt=new(ft())({allowUnionTypes:!0}),mt=gt.compile(pt)")


def install_assets(static, cache):
    """Unpack the files the pages need from the pinned tarballs into static/<folder>."""
    for spec, (integrity, inner, dest, leave_out) in NPM_ASSETS.items():
        with tarfile.open(fetch_tarball(spec, integrity, cache)) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(inner + "/") and m.isfile()]
            for m in members:
                m.name = m.name[len(inner) + 1:]
            members = [m for m in members if not re.search(leave_out, m.name)]
            tar.extractall(static / dest, members=members, filter="data")
    path, old, new = EMBED_AJV
    text = (static / path).read_text(encoding="utf-8")
    if text.count(old) != 1:      # the tarball is pinned by its hash, so this only changes with the pin
        raise RuntimeError(f"{path}: the Ajv construction to configure is not found once; update EMBED_AJV")
    (static / path).write_text(text.replace(old, new), encoding="utf-8")


def binder_url(config, path):
    owner_repo = config["repository"]["url"].rstrip("/").split("github.com/")[1]
    return (f"{config['launch_buttons']['binderhub_url']}/v2/gh/{owner_repo}/"
            f"{config['repository']['branch']}?urlpath=lab/tree/{path}")


TEX_WORDS = {"\\to": "→", "\\partial": "∂", "\\|": "‖", "\\lVert": "‖", "\\rVert": "‖",
             "\\approx": "≈", "\\le": "≤", "\\ge": "≥", "\\cdot": "·", "\\times": "×",
             "\\sigma": "σ", "\\gamma": "γ", "\\rho": "ρ", "\\prod": "∏", "\\sum": "Σ",
             "\\dots": "…", "\\ldots": "…", "\\odot": "⊙", "\\infty": "∞", "\\log": "log"}
TITLE = re.compile(r'(?:suptitle|set_title|title)\(\s*r?"([^"{}]{8,})"')


def plain(text):
    """Markdown with inline TeX as text a screen reader can say: $\\partial c_t$ -> ∂ c_t."""
    for tex, word in TEX_WORDS.items():
        text = re.sub(re.escape(tex) + r"(?![A-Za-z])", word, text)
    text = re.sub(r"\\(?:mathrm|operatorname|text|mathbf|mathbb|lvert|rvert|left|right|big|Big)", "", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)          # any other command: its name
    text = re.sub(r"\\[,;:! ]", " ", text)
    text = re.sub(r"[$*`{}]|\\", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: their text
    return " ".join(text.split())


def figure_alt(cells, k):
    """Alt text for the images of code cell k: its literal title, then the first sentence of the
    caption right after it (the chapters' "What to see"), or else the section it sits in."""
    titles = TITLE.findall(cells[k].source)
    parts = [plain(max(titles, key=len))] if titles else []
    following = cells[k + 1] if k + 1 < len(cells) else None
    if following is not None and following.cell_type == "markdown" and not following.source.startswith("#"):
        text = re.sub(r"^What to see[.:]?\s*", "", plain(following.source))
        sentence = re.match(r"(.+?[.!?])(\s|$)", text)
        caption = sentence.group(1) if sentence else text
        parts.append(caption[:1].upper() + caption[1:])
    if not parts:   # fall back on the section the figure sits in
        heading = next((line.lstrip("# ") for c in reversed(cells[:k]) if c.cell_type == "markdown"
                        for line in c.source.splitlines() if line.startswith("#")), "this page")
        parts.append(f"A figure computed in the section {plain(heading)}")
    alt = ". ".join(p.rstrip(".") for p in parts) + "."
    return alt if len(alt) <= 400 else alt[:397].rsplit(" ", 1)[0] + "…"


def add_alt_text(nb):
    """Give every cell with an image output alt text (cell metadata mystnb.image.alt, read by MyST-NB),
    and every PNG in a widget's stored output the alt text of the cell that shows the widget."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for k, cell in enumerate(nb.cells):
        outputs = cell.get("outputs", []) if cell.cell_type == "code" else []
        if any(key.startswith("image/") for out in outputs for key in out.get("data", {})):
            image = cell.metadata.setdefault("mystnb", {}).setdefault("image", {})
            image.setdefault("alt", figure_alt(nb.cells, k))
        if any(WIDGET_VIEW in out.get("data", {}) for out in outputs):
            alt = html.escape(figure_alt(nb.cells, k))
            for model in state.values():
                shown = model.get("state", {}).get("outputs", []) if model.get("model_name") == "OutputModel" else []
                for out in shown:
                    data = out.get("data", {})
                    if "image/png" in data and "text/html" not in data:
                        # the embed manager prefers text/html: the same picture, with its alt text
                        png = "".join(data["image/png"]).replace("\n", "")
                        data["text/html"] = f'<img src="data:image/png;base64,{png}" alt="{alt}">'


def fix_pages(site):
    """Theme markup that axe-core flags, fixed in the built pages (idempotent)."""
    for path in site.rglob("*.html"):
        text = old = path.read_text(encoding="utf-8")
        # the search button shows "Search Ctrl+K": its accessible name must contain that text
        text = re.sub(r'(<button class="btn search-button-field[^"]*"[^>]*?)aria-label="Search"',
                      r'\1aria-label="Search Ctrl+K"', text)
        # the colour-mode button is named by its aria-label; its three icons are decoration, and a
        # title on them becomes an SVG <title> (Font Awesome), text that contradicts that name
        text = re.sub(r'<i class="(theme-switch [^"]*)"([^>]*?) title="[^"]*"',
                      r'<i aria-hidden="true" class="\1"\2', text)
        if text != old:
            path.write_text(text, encoding="utf-8")


def title_as_solutions(nb):
    """A solution notebook's title says Solutions: it is stored as the exercise's ("# Exercises 01: …")
    because the exercise notebook is generated from it."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# Exercises "):
            cell.source = "# Solutions " + cell.source[len("# Exercises "):]
            return


def stage(src, config):
    """Copy book/ and the notebooks into src; write _toc.yml."""
    shutil.copytree(ROOT / "book", src)
    parts = []
    for caption, folder in PARTS:
        notebooks = sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb"))
        for path in notebooks:
            rel = f"{folder}/{path.name}"
            nb = nbformat.read(path, as_version=4)
            add_alt_text(nb)
            if folder == "solutions":
                title_as_solutions(nb)
            # the note under each explorer and its kernel-free slider (tools/static_sliders.py)
            static_sliders.stage_notebook(nb, path.stem, src / "_vendor", binder_url(config, rel))
            (src / folder).mkdir(exist_ok=True)
            nbformat.write(nb, src / rel)
        pages = sorted((ROOT / folder).glob("[0-9][0-9]_*.md"))     # e.g. chapters/00_notation.md
        for path in pages:
            (src / folder).mkdir(exist_ok=True)
            shutil.copy(path, src / folder / path.name)
        if notebooks:
            parts.append({"caption": caption, "numbered": False,
                          "chapters": [{"file": f"{folder}/{p.stem}"} for p in sorted(pages + notebooks)]})
    toc = {"format": "jb-book", "root": "intro", **({"parts": parts} if parts else {})}
    (src / "_toc.yml").write_text("# written by tools/build_book.py\n" + yaml.safe_dump(toc, sort_keys=False))


def build(out, offline=False, cache=None):
    """Build the book into out; returns the folder of the html site."""
    out = Path(out).resolve()
    src = out / "src"
    for stale in (src, out / "_build"):      # a clean build: no page of a removed notebook lingers
        shutil.rmtree(stale, ignore_errors=True)
    config = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())
    stage(src, config)
    install_assets(src / "_vendor", Path(cache) if cache else ROOT / "_build" / "npm")
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(src),
           "--path-output", str(out), "--builder", "html"]
    if offline:
        cmd = ["unshare", "--net", "--map-root-user", *cmd]
    subprocess.run(cmd, check=True)
    fix_pages(out / "_build" / "html")
    return out / "_build" / "html"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "_build" / "book"))
    parser.add_argument("--offline", action="store_true", help="build with no network (unshare)")
    parser.add_argument("--cache", help="folder for the pinned npm tarballs (default _build/npm)")
    args = parser.parse_args()
    html = build(args.out, args.offline, args.cache)
    print(f"book: {html / 'index.html'}")


if __name__ == "__main__":
    main()
