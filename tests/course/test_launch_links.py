"""Every launch link comes from tools/links.toml and they all agree (tools/launch_links.py writes them).

Checked independently of the tool where possible: the README's Binder badge, each chapter's
"Open in Binder / Open in Colab" line and its Colab install cell, the book's repository and launch
settings, the package's project URLs and CITATION.cff all name the address and branch of the one
setting; and pointing the setting elsewhere rewrites every one of them (none keeps the old address).
"""
import json
import re
import sys
import tomllib

import pytest
import yaml

from browser_support import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import launch_links  # noqa: E402

S = launch_links.settings()
CHAPTERS = launch_links.chapters()
VERSION = launch_links.version()


def test_the_tool_finds_nothing_to_change():
    assert launch_links.run(check=True) == [], "run `python tools/launch_links.py`"


def test_readme_badge_opens_chapter_01_at_the_setting():
    readme = (ROOT / "README.md").read_text()
    badges = re.findall(r"\[!\[Binder\]\(([^)]*)\)\]\(([^)]*)\)", readme)
    assert badges == [(f"{S['binderhub']}/badge_logo.svg",
                       f"{S['binderhub']}/v2/gh/{S['owner_repo']}/{S['branch']}?urlpath=lab/tree/"
                       "chapters/01_rnn_bptt.ipynb")]


def test_book_pyproject_and_citation_name_the_setting():
    config = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())
    assert config["repository"]["url"] == S["repository"]
    assert config["repository"]["branch"] == S["branch"]
    assert config["launch_buttons"]["binderhub_url"] == S["binderhub"]
    assert config["html"]["use_repository_button"] is True
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert all(u.startswith(S["repository"]) for u in urls.values()), urls
    assert yaml.safe_load((ROOT / "CITATION.cff").read_text())["repository-code"] == S["repository"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_each_chapter_opens_with_its_launch_links_and_the_colab_cell(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    rel = f"chapters/{path.name}"
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and cells[0]["id"] == "launch-links"
    links = dict(re.findall(r"\[Open in (\w+)\]\(([^)]+)\)", first))
    assert links == {
        "Binder": f"{S['binderhub']}/v2/gh/{S['owner_repo']}/{S['branch']}?urlpath=lab/tree/{rel}",
        "Colab": f"https://colab.research.google.com/github/{S['owner_repo']}/blob/{S['branch']}/{rel}"}
    code = [c for c in cells if c["cell_type"] == "code"]
    colab = code[0]
    assert colab["id"] == "colab-install" and colab["outputs"] == []
    source = "".join(colab["source"])
    assert 'if "google.colab" in sys.modules:' in source and f'"lstmkit=={VERSION}"' in source
    assert sum(c.get("id") == "colab-install" for c in cells) == 1
    assert "import" in "".join(code[1]["source"]) and "lstmkit" in "".join(code[1]["source"]), \
        "the Colab cell must come before the cell that imports lstmkit"


def test_a_new_setting_reaches_every_place():
    moved = dict(S, repository="https://github.com/someone/elsewhere", owner_repo="someone/elsewhere",
                 branch="trunk", binderhub="https://binder.example.org")
    for rel, rewrite in launch_links.TEXT_FILES.items():
        text = rewrite((ROOT / rel).read_text(), moved)
        assert S["owner_repo"] not in text and S["binderhub"] not in text, f"{rel} keeps the old address"
        assert "someone/elsewhere" in text
    for path in CHAPTERS:
        import nbformat
        rel = f"chapters/{path.name}"
        nb = launch_links.rewrite_chapter(nbformat.read(path, as_version=4), moved, rel)
        first = nb.cells[0].source
        assert S["owner_repo"] not in first and "someone/elsewhere/trunk" in first
        assert len(nb.cells) == len(launch_links.rewrite_chapter(nb, moved, rel).cells), "not idempotent"
