"""A checkout that stays clean in a student's JupyterLab, and no grading tools in the student's way.

1. The stored notebooks carry the metadata JupyterLab writes (tools/normalize_notebooks.py), and
   the script changes metadata only, idempotently; make_exercises keeps it.
2. In JupyterLab (headless Chromium), as `make lab` starts it: opening a chapter does not mark it
   modified; running every cell and saving leaves the file as it was, apart from what the notebook
   checks ignore (outputs of cells tagged nbval-ignore-output, pictures, the sanitized rates); and
   nbgrader's menu and server extensions are off (jupyter-config/).
"""
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import nbformat
import pytest

from browser_support import ROOT, chromium_page, jupyterlab, require_chromium

sys.path.insert(0, str(ROOT / "tools"))
import make_exercises  # noqa: E402
import normalize_notebooks  # noqa: E402

LAB_CONFIG = ROOT / "jupyter-config"
CHAPTER = ROOT / "chapters" / "01_rnn_bptt.ipynb"     # no widgets, no progress bars: its file can stay as it is
EXERCISE = ROOT / "exercises" / "01_rnn_bptt.ipynb"


def test_stored_notebooks_are_normalized():
    assert normalize_notebooks.main(["--check"]) == 0, "run `python tools/normalize_notebooks.py`"


def test_normalize_changes_metadata_only_and_is_idempotent(tmp_path):
    nb = nbformat.read(ROOT / "solutions" / "03_lstm_cell.ipynb", as_version=4)
    before = copy.deepcopy(nb)
    nb.metadata.kernelspec.display_name = "Python 3"      # as nbconvert used to store it
    nb.cells[1].metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00.000000Z"}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert normalize_notebooks.main([str(path)]) == 0
    once = path.read_text(encoding="utf-8")
    assert normalize_notebooks.main(["--check", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == once
    after = nbformat.reads(once, as_version=4)
    assert after.metadata.kernelspec == normalize_notebooks.KERNELSPEC
    assert "execution" not in after.cells[1].metadata
    assert [(c.source, c.get("outputs")) for c in after.cells] == [(c.source, c.get("outputs")) for c in before.cells]


def test_exercises_keep_the_normalized_metadata():
    for solution in make_exercises.solutions()[:2]:
        exercise = nbformat.reads(make_exercises.generate(solution), as_version=4)
        assert exercise.metadata.kernelspec == normalize_notebooks.KERNELSPEC
        assert "language_info" in exercise.metadata
        assert not any("execution" in c.metadata for c in exercise.cells)


def test_make_lab_uses_the_students_config():
    def dry_run(*args):
        return subprocess.run(["make", "-n", "lab", "VENV=.venv", *args], cwd=ROOT, capture_output=True,
                              text=True).stdout

    assert f"JUPYTER_CONFIG_PATH={LAB_CONFIG}" in dry_run()
    grader = dry_run("GRADER=1")
    assert "JUPYTER_CONFIG_PATH" not in grader
    disabled = json.loads((LAB_CONFIG / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    # nbgrader's menus are the instructor's; the news prompt asks a student a question on first open
    assert disabled == {"@jupyter/nbgrader": True, "@jupyterlab/apputils-extension:announcements": True}


def compared(nb, sanitize):
    """What the notebook checks compare: sources, metadata (less widget state), execution counts
    and the text of outputs, sanitized; not the outputs of cells tagged nbval-ignore-output."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "nbval-ignore-output" in cell.metadata.get("tags", []):
            cell.outputs = []
        for out in cell.outputs:
            out.pop("metadata", None)
            if "data" in out:
                out["data"] = {k: v for k, v in out["data"].items() if k == "text/plain"}
            for key in ("text", "data"):
                if key in out:
                    text = json.dumps(out[key])
                    for pattern, replace in sanitize:
                        text = re.sub(pattern, replace, text)
                    out[key] = text
    return nb


def sanitizers():
    text = (ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    return re.findall(r"^regex: (.*)\nreplace: (.*)$", text, re.M)


@pytest.mark.slow
def test_open_run_and_save_a_chapter_in_jupyterlab(tmp_path, monkeypatch):
    require_chromium()
    root, home = tmp_path / "course", tmp_path / "home"
    (root / "chapters").mkdir(parents=True)
    home.mkdir()
    copy_path = root / "chapters" / CHAPTER.name
    shutil.copy(CHAPTER, copy_path)
    (root / "exercises").mkdir()
    shutil.copy(EXERCISE, root / "exercises")
    stored = CHAPTER.read_text(encoding="utf-8")
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(LAB_CONFIG))      # as `make lab` runs it
    with jupyterlab(root, home, tmp_path / "jupyterlab.log") as (base, token), \
            chromium_page(tmp_path / "failure.png") as page:
        page.set_default_timeout(180_000)
        try:
            status = urllib.request.urlopen(f"{base}/formgrader?token={token}").status
        except urllib.error.HTTPError as err:
            status = err.code
        assert status == 404, "nbgrader's formgrader is served in the students' JupyterLab"
        # an exercise (no outputs) opens unmodified too: it keeps the language_info Lab would write
        page.goto(f"{base}/lab/tree/exercises/{EXERCISE.name}?reset&token={token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
        page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for()
        page.wait_for_timeout(3000)
        tab = page.locator(".lm-TabBar-tab", has_text=EXERCISE.name)
        assert "jp-mod-dirty" not in (tab.get_attribute("class") or ""), "opening the exercise marked it modified"
        page.goto(f"{base}/lab/tree/chapters/{CHAPTER.name}?reset&token={token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
        page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for()
        page.wait_for_timeout(3000)
        menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
        assert "Run" in menus and not any("nbgrader" in m.lower() for m in menus), menus
        assert page.get_by_text("official Jupyter news").count() == 0, "JupyterLab asks about its news"
        tab = page.locator(".lm-TabBar-tab", has_text=CHAPTER.name)
        assert "jp-mod-dirty" not in (tab.get_attribute("class") or ""), "opening the chapter marked it modified"
        assert copy_path.read_text(encoding="utf-8") == stored

        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Restart Kernel and Run All Cells").first.click()
        page.locator(".jp-Dialog-button.jp-mod-accept").click()
        page.wait_for_function("() => [...document.querySelectorAll('.jp-InputPrompt')]"
                               ".some(p => p.textContent.includes('[*]'))")
        page.wait_for_function("() => ![...document.querySelectorAll('.jp-InputPrompt')]"
                               ".some(p => p.textContent.includes('[*]'))")
        page.keyboard.press("Control+s")
        page.wait_for_function("name => ![...document.querySelectorAll('.lm-TabBar-tab')]"
                               ".some(t => t.textContent.includes(name) && t.classList.contains('jp-mod-dirty'))",
                               arg=CHAPTER.name)
        page.wait_for_timeout(1000)
    saved = nbformat.read(copy_path, as_version=4)
    original = nbformat.reads(stored, as_version=4)
    assert saved.metadata == original.metadata, "JupyterLab saved other notebook metadata"
    assert compared(saved, sanitizers()) == compared(original, sanitizers()), \
        "running and saving the chapter in JupyterLab changed what the notebook checks compare"
    assert os.path.getsize(copy_path) > 0


def test_make_lab_opens_the_readers_copies(tmp_path):
    # make lab copies the course into work/ and opens it there: the checkout stays as it was, and a
    # copy the reader changed is kept when the copying runs again (after a git pull, say)
    dry = subprocess.run(["make", "-n", "lab", "VENV=.venv", f"WORK={tmp_path / 'w'}"], cwd=ROOT,
                         capture_output=True, text=True).stdout
    assert f"tools/copy_course.py {tmp_path / 'w'}" in dry and f"default_url=/lab/tree/{tmp_path / 'w'}/chapters" in dry
    sys.path.insert(0, str(ROOT / "tools"))
    from copy_course import copy_course, report

    work = tmp_path / "work"
    first = copy_course(work)
    assert (work / CHAPTER.relative_to(ROOT)).read_bytes() == CHAPTER.read_bytes()
    assert {p.parts[0] for p in first} == {"chapters", "exercises", "solutions", "README.md"}
    # the student's README, not the maintainers' notes on how the notebooks are checked
    assert not list(work.glob("*/README.md")) and "exercises/" in (work / "README.md").read_text()
    assert report(work, first) == \
        f"your copy of the course is in {work}/: {len(first)} files; start with {work}/README.md"
    mine = work / EXERCISE.relative_to(ROOT)
    mine.write_text("my answers")
    (work / CHAPTER.relative_to(ROOT)).unlink()               # deleted: the current version comes back
    again = copy_course(work)
    assert again == [CHAPTER.relative_to(ROOT)]
    assert report(work, again).endswith(f"1 new file(s) copied, {len(first) - 1} kept as you left them "
                                        "(delete a copy to get the current version)")
    assert mine.read_text() == "my answers"
    assert "work/" in (ROOT / ".gitignore").read_text().splitlines()
