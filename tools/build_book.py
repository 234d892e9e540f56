"""Build the lstmkit book (a static site) from the stored, executed notebooks.

    python tools/build_book.py [OUT] [--offline]          # `make book`: OUT = _build/book

1. Stage a source tree in OUT/src: book/ (config, intro) plus copies of chapters/, exercises/ and
   solutions/ notebooks, and a _toc.yml listing them in order (chapters, then exercises, then
   solutions, each a part of its own), so the book follows the chapters as they land.
   Under each explorer (slider widgets) tools/static_sliders.py puts a note (the widget is a
   snapshot; a Binder link) and a plain HTML slider that swaps frames it draws at build time.
2. Put the JavaScript the pages load under OUT/src/_vendor/ (served as _static/), from npm
   tarballs pinned by version and sha512 (fetched once with `npm pack` into the cache folder,
   default _build/npm): the ipywidgets embed manager @jupyter-widgets/html-manager (for
   ipywidgets 8.1) and MathJax 3. The pages load nothing from a CDN.
3. `jupyter-book build` (Sphinx) with execution off. --offline runs it without network
   (`unshare --net`, Linux, root or user namespaces), to prove the build fetches nothing.

The site is OUT/_build/html/index.html. Used by `make book` and tests/test_book.py.
"""
import argparse
import base64
import hashlib
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


def install_assets(static, cache):
    """Unpack the files the pages need from the pinned tarballs into static/<folder>."""
    for spec, (integrity, inner, dest, leave_out) in NPM_ASSETS.items():
        with tarfile.open(fetch_tarball(spec, integrity, cache)) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(inner + "/") and m.isfile()]
            for m in members:
                m.name = m.name[len(inner) + 1:]
            members = [m for m in members if not re.search(leave_out, m.name)]
            tar.extractall(static / dest, members=members, filter="data")


def binder_url(config, path):
    owner_repo = config["repository"]["url"].rstrip("/").split("github.com/")[1]
    return (f"{config['launch_buttons']['binderhub_url']}/v2/gh/{owner_repo}/"
            f"{config['repository']['branch']}?urlpath=lab/tree/{path}")


def stage(src, config):
    """Copy book/ and the notebooks into src; write _toc.yml."""
    shutil.copytree(ROOT / "book", src)
    parts = []
    for caption, folder in PARTS:
        notebooks = sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb"))
        for path in notebooks:
            rel = f"{folder}/{path.name}"
            nb = nbformat.read(path, as_version=4)
            # the note under each explorer and its kernel-free slider (tools/static_sliders.py)
            static_sliders.stage_notebook(nb, path.stem, src / "_vendor", binder_url(config, rel))
            (src / folder).mkdir(exist_ok=True)
            nbformat.write(nb, src / rel)
        if notebooks:
            parts.append({"caption": caption, "numbered": False,
                          "chapters": [{"file": f"{folder}/{p.stem}"} for p in notebooks]})
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
