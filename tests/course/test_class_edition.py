"""The class edition (`make class-edition`, tools/make_classroom.py): what a class is handed.

It holds no solutions and no pointer to them; its exercises are nbgrader's release notebooks, so a
solved copy taken from a student's home is graded by nbgrader (a copy of the self-study exercise,
which has only "check" tags, is not); and it is committed to the branch class-v<version> that the
hub's image and the nbgitpuller link both name, each rebuild on top of the last.
"""
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("make_classroom", ROOT / "tools" / "make_classroom.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_edition_holds_no_solutions(edition):
    assert not (edition / "solutions").exists() and not (edition / "tests").exists()
    solution_lines = {line.strip() for path in (ROOT / "solutions").glob("*.ipynb")
                      for cell in nbformat.read(path, as_version=4).cells if "BEGIN SOLUTION" in cell.source
                      for line in cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0].splitlines()
                      if len(line.strip()) > 30}
    given = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "exercises").glob("*.ipynb"))
    solution_lines = {line for line in solution_lines if line not in given}   # not also given to the student
    assert len(solution_lines) > 50
    for path in edition.rglob("*"):
        if path.is_file() and path.suffix in (".ipynb", ".md"):
            text = path.read_text(encoding="utf-8")
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path
            leaked = [line for line in solution_lines if line in text]
            assert not leaked, (path, leaked[:3])
    for path in [*edition.glob("chapters/*.ipynb"), *edition.glob("exercises/*.ipynb"), edition / "README.md"]:
        text = path.read_text(encoding="utf-8")
        assert "solutions/" not in text and "worked solution" not in text, path


@pytest.mark.slow
def test_the_edition_exercises_are_nbgraders_release(edition):
    tool = _tool()
    for solution in tool._exercise_tool().solutions():
        nb = nbformat.read(edition / "exercises" / solution.name, as_version=4)
        assert all(c.metadata.get("nbgrader", {}).get("grade_id") == c.id for c in nb.cells), solution.name
        exercise = nbformat.read(ROOT / "exercises" / solution.name, as_version=4)
        assert [c.id for c in nb.cells] == [c.id for c in exercise.cells]
        assert [c.source for c in nb.cells if c.cell_type == "code"] == \
               [c.source for c in exercise.cells if c.cell_type == "code"], "the student's cells are the exercise's"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_solved_copy_from_a_students_home_is_graded(edition, tmp_path):
    """Blocker 1 of the class trial: the handed-out notebook, solved, gets every point in nbgrader."""
    tool = _tool()
    name = "03_lstm_cell"
    course = tmp_path / "course"
    tool.write_sources(course, [ROOT / "solutions" / f"{name}.ipynb"])
    tool.nbgrader(course, "generate_assignment", name, "--force")
    source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    handed_out = nbformat.read(edition / "exercises" / f"{name}.ipynb", as_version=4)
    target = course / "submitted" / "student" / name / f"{name}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(tool.solved(handed_out, source), target)
    tool.nbgrader(course, "autograde", name, "--force")
    scores = tool.gradebook_scores(course, name, ["student"])
    assert scores["student"] is not None and scores["student"][0] == 4, scores


def test_each_build_is_committed_on_top_of_the_last(tmp_path):
    tool = _tool()
    repo, out = tmp_path / "repo", tmp_path / "edition"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    out.mkdir()
    (out / "a.txt").write_text("first\n")
    branch, first = tool.commit_edition(out, repo=repo)
    assert branch == f"class-v{tool.version()}"
    assert tool.commit_edition(out, repo=repo) == (branch, first), "an unchanged edition makes no commit"
    (out / "a.txt").write_text("second\n")
    _, second = tool.commit_edition(out, repo=repo)
    assert tool._git("rev-parse", f"{second}^", repo=repo) == first, "a rebuild is a child of the last build"
    assert tool._git("show", f"{branch}:a.txt", repo=repo) == "second"
    assert tool._git("ls-tree", "--name-only", branch, repo=repo) == "a.txt"


def test_collect_and_return_through_the_homes(tmp_path):
    tool = _tool()
    homes = {name: tmp_path / "home" / name for name in ("ada", "bo", "cy")}
    for home in homes.values():
        (home / "lstmkit" / "exercises").mkdir(parents=True)
    (homes["ada"] / "lstmkit" / "exercises" / "03_lstm_cell.ipynb").write_text('{"ada": 1}')
    (homes["bo"] / "lstmkit" / "exercises" / "03_lstm_cell-Copy1.ipynb").write_text('{"bo": 1}')
    course = tmp_path / "course"
    found = tool.collect(course, "03_lstm_cell", list(homes), home=homes.__getitem__)
    assert found == {"collected": ["ada"], "missing": ["bo", "cy"], "renamed": {"bo": ["03_lstm_cell-Copy1.ipynb"]}}
    assert (course / "submitted" / "ada" / "03_lstm_cell" / "03_lstm_cell.ipynb").read_text() == '{"ada": 1}'

    html = course / "feedback" / "ada" / "03_lstm_cell" / "03_lstm_cell.html"
    html.parent.mkdir(parents=True)
    html.write_text("<p>ada: 4 / 5</p>")
    assert tool.give_back(course, "03_lstm_cell", list(homes), home=homes.__getitem__) == ["ada"]
    returned = homes["ada"] / "lstmkit" / "feedback" / "03_lstm_cell.html"
    assert returned.read_text() == "<p>ada: 4 / 5</p>"
    assert returned.stat().st_mode & 0o777 == 0o600 and returned.parent.stat().st_mode & 0o777 == 0o700
    assert not (homes["bo"] / "lstmkit" / "feedback").exists()


def test_make_targets_need_an_assignment():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "make_classroom.py"), "collect"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "collect needs the assignment" in out.stderr
    assert shutil.which("git")


def test_what_root_writes_into_an_instructors_course_is_theirs(tmp_path):
    import os

    if os.geteuid() != 0:
        pytest.skip("changing owners needs root")
    tool = _tool()
    course = tmp_path / "course"
    (course / "submitted" / "ada").mkdir(parents=True)
    (course / "submitted" / "ada" / "a.ipynb").write_text("{}")
    os.chown(course, 4242, 4343)
    tool.hand_to_owner(course)
    for path in [course, *course.rglob("*")]:
        assert (path.stat().st_uid, path.stat().st_gid) == (4242, 4343), path


@pytest.mark.slow
def test_the_edition_pins_the_package_with_the_notebooks(edition):
    """One branch holds both: the image (repo2docker) and TLJH install lstmkit from the edition itself."""
    tool = _tool()
    assert f'__version__ = "{tool.version()}"' in (edition / "lstmkit" / "__init__.py").read_text()
    assert (edition / "lstmkit" / "checks" / "_sealed.py").is_file(), "the hidden tests load it at grading"
    pip_lines = [line.strip() for line in (edition / "environment.yml").read_text().splitlines()]
    assert "- ." in pip_lines and "- -e ." not in pip_lines, "installed into site-packages, not editable"
    assert (edition / "pyproject.toml").read_bytes() == (ROOT / "pyproject.toml").read_bytes()
