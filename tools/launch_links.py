"""Write the course's public address, from tools/links.toml, everywhere it appears.

    python tools/launch_links.py           # rewrite what differs; safe to run again (idempotent)
    python tools/launch_links.py --check   # change nothing; list what differs, exit 1 if anything does

From the one setting (repository, branch, binderhub) it writes:
- README.md: the Binder badge (it opens chapter 01 in JupyterLab);
- each chapters/NN_*.ipynb: a first markdown cell "Open in Binder · Open in Colab" (cell id
  `launch-links`) and, before the first code cell, a cell (id `colab-install`) that installs this
  release of lstmkit when the notebook runs on Google Colab and does nothing, printing nothing,
  anywhere else. Both cells carry no outputs, so the stored outputs of the chapter stay valid;
- book/_config.yml: repository url and branch, and the Binder address of the launch buttons;
- pyproject.toml: the project URLs; CITATION.cff: repository-code.
The release that the Colab cell installs is lstmkit.__version__ (lstmkit/__init__.py).
"""
import argparse
import ast
import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SETTING = ROOT / "tools" / "links.toml"
LINKS_ID, COLAB_ID = "launch-links", "colab-install"
FIRST_PAGE = "chapters/01_rnn_bptt.ipynb"


def settings():
    links = tomllib.loads(SETTING.read_text())
    repo = links["repository"].rstrip("/")
    m = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", repo)
    if not m:
        raise ValueError(f"repository in {SETTING.name}: expected https://github.com/OWNER/NAME, got {repo!r}")
    return {"repository": repo, "owner_repo": m.group(1), "branch": links["branch"],
            "binderhub": links["binderhub"].rstrip("/")}


def version():
    """lstmkit.__version__, read without importing the package."""
    tree = ast.parse((ROOT / "lstmkit" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__version__" for t in node.targets):
            return node.value.value
    raise RuntimeError("lstmkit/__init__.py sets no __version__")


def binder_url(s, path):
    return f"{s['binderhub']}/v2/gh/{s['owner_repo']}/{s['branch']}?urlpath=lab/tree/{path}"


def colab_url(s, path):
    return f"https://colab.research.google.com/github/{s['owner_repo']}/blob/{s['branch']}/{path}"


def links_cell_source(s, path):
    return (f"[Open in Binder]({binder_url(s, path)}) (JupyterLab, nothing to install) · "
            f"[Open in Colab]({colab_url(s, path)}) (Google account; the first code cell installs lstmkit)")


def colab_cell_source():
    return (
        "# On Google Colab, install this chapter's release of lstmkit (Colab already has numpy,\n"
        "# matplotlib, ipywidgets, tqdm and torch). Anywhere else this cell does nothing.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n"
        "\n"
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "lstmkit=={version()}"], check=True)')


def readme_badge(s):
    return f"[![Binder]({s['binderhub']}/badge_logo.svg)]({binder_url(s, FIRST_PAGE)})"


def _sub(text, pattern, repl, what):
    new, n = re.subn(pattern, lambda m: repl(m), text, flags=re.M)
    if n == 0:
        raise RuntimeError(f"found no {what} to rewrite")
    return new


def rewrite_readme(text, s):
    return _sub(text, r"^\[!\[Binder\]\([^)]*\)\]\([^)]*\)$", lambda m: readme_badge(s), "Binder badge in README.md")


def rewrite_config(text, s):
    text = _sub(text, r"^(repository:\n(?:  .*\n)*?  url: ).*$", lambda m: m.group(1) + s["repository"],
                "repository.url in book/_config.yml")
    text = _sub(text, r"^(repository:\n(?:  .*\n)*?  branch: ).*$", lambda m: m.group(1) + s["branch"],
                "repository.branch in book/_config.yml")
    return _sub(text, r"^(  binderhub_url: ).*$", lambda m: m.group(1) + s["binderhub"],
                "launch_buttons.binderhub_url in book/_config.yml")


def rewrite_pyproject(text, s):
    urls = {"Homepage": s["repository"], "Source": s["repository"], "Issues": f"{s['repository']}/issues",
            "Changelog": f"{s['repository']}/blob/{s['branch']}/CHANGELOG.md"}
    for key, url in urls.items():
        text = _sub(text, rf'^{key} = ".*"$', lambda m, key=key, url=url: f'{key} = "{url}"',
                    f"[project.urls] {key} in pyproject.toml")
    return text


def rewrite_citation(text, s):
    return _sub(text, r'^repository-code: .*$', lambda m: f'repository-code: "{s["repository"]}"',
                "repository-code in CITATION.cff")


TEXT_FILES = {"README.md": rewrite_readme, "book/_config.yml": rewrite_config,
              "pyproject.toml": rewrite_pyproject, "CITATION.cff": rewrite_citation}


def _put(nb, cell_id, new_cell, index):
    """Replace the cell with this id, or insert new_cell at index (cell ids make this idempotent)."""
    new_cell["id"] = cell_id
    for k, cell in enumerate(nb.cells):
        if cell.get("id") == cell_id:
            nb.cells[k] = new_cell
            return
    nb.cells.insert(index, new_cell)


def rewrite_chapter(nb, s, path):
    """Put the launch line first and the Colab cell before the first other code cell."""
    links = nbformat.v4.new_markdown_cell(links_cell_source(s, path))
    _put(nb, LINKS_ID, links, 0)
    colab = nbformat.v4.new_code_cell(colab_cell_source(), metadata={"tags": ["colab-install"]})
    # a chapter run top to bottom (make notebooks, or JupyterLab's "Run All") numbers this cell too:
    # keep that number, so that running and saving a chapter leaves the file as it was
    stored = next((c for c in nb.cells if c.get("id") == COLAB_ID), None)
    if stored is not None:
        colab["execution_count"] = stored.get("execution_count")
    first_code = next(k for k, c in enumerate(nb.cells) if c.cell_type == "code" or c.get("id") == COLAB_ID)
    _put(nb, COLAB_ID, colab, first_code)
    return nb


def chapters():
    return sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def run(check=False):
    """Rewrite (or, with check, only compare) every place; returns the paths that differ(ed)."""
    s, changed = settings(), []
    for rel, rewrite in TEXT_FILES.items():
        path = ROOT / rel
        old = path.read_text()
        new = rewrite(old, s)
        if new != old:
            changed.append(rel)
            if not check:
                path.write_text(new)
    for path in chapters():
        rel = path.relative_to(ROOT).as_posix()
        old = path.read_text(encoding="utf-8")
        nb = rewrite_chapter(nbformat.reads(old, as_version=4), s, rel)
        new = nbformat.writes(nb) + "\n"
        if new != old:
            changed.append(rel)
            if not check:
                path.write_text(new, encoding="utf-8")
    return changed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything differs")
    args = parser.parse_args()
    changed = run(check=args.check)
    verb = "differ from tools/links.toml" if args.check else "rewritten"
    for rel in changed:
        print(f"{verb}: {rel}")
    if args.check and changed:
        sys.exit("run `python tools/launch_links.py` to write the links")


if __name__ == "__main__":
    main()
