"""The instructors' page, classroom/README.md, says what the course holds.

1. Points: for every assignment, the autograded and the written points of nbgrader's source
   assignment (tools/make_classroom.py `source_notebook`, the points in its nbgrader metadata), and
   their sum.
2. Weeks: a row for every chapter in chapters/; its hours follow the page's two rules (the main
   thread at 1,000 words an hour, to the nearest half hour; one hour per exercise); each plan puts
   every chapter in a week, and the hours per week in the text are the table's; the word counts
   the estimates rest on are within 10 % of today's.
3. Rubric: a heading for every written answer, with its exercise number and cell id, and none for a
   cell that is not a written answer.
4. nbgitpuller 1.3.0 (the course's), on a local repository, does what the page says: a later commit
   of the cloned branch is merged and the student's own line kept; a link to another branch into the
   same folder stops and leaves it as it was; once the folder is renamed, that link clones the new
   branch and the renamed folder keeps the student's work.
"""
import functools
import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "classroom" / "README.md"
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
WORDS_PER_HOUR = 1000
HOURS_PER_EXERCISE = 1
EXERCISE = re.compile(r"^## (\d+\.\d+) ", re.M)


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CLASSROOM = _load("make_classroom", ROOT / "tools" / "make_classroom.py")
PROSE = _load("prose", ROOT / "tests" / "course" / "test_prose.py")   # the course's word count


def section(title):
    """The page's text under the `## title` heading, up to the next `## ` heading."""
    text = PAGE.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def table(text, first_header):
    """The rows (lists of cell strings) of the markdown table whose header starts with first_header."""
    lines = text.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[top + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def number(cell):
    return float(cell.replace(",", ""))


@functools.cache
def source(solution):
    return CLASSROOM.source_notebook(solution)


def points(solution):
    """(autograded points, written points) of the solution's nbgrader source assignment."""
    auto = written = 0
    for cell in source(solution).cells:
        meta = cell.metadata["nbgrader"]
        if meta["grade"]:
            if cell.cell_type == "code":
                auto += meta["points"]
            else:
                written += meta["points"]
    return auto, written


def written_answers(solution):
    """{cell id: exercise number} for every manually graded cell of the solution's source assignment."""
    found, exercise = {}, None
    for cell in source(solution).cells:
        if cell.cell_type == "markdown" and EXERCISE.search(cell.source):
            exercise = EXERCISE.search(cell.source).group(1)
        meta = cell.metadata["nbgrader"]
        if meta["grade"] and cell.cell_type == "markdown":
            found[cell.id] = exercise
    return found


def test_points_table_is_what_nbgrader_grades():
    rows = {row[0]: row[1:] for row in table(section("Points per assignment"), "assignment")}
    assert sorted(rows) == [p.stem for p in SOLUTIONS], "one row per assignment, no other"
    for solution in SOLUTIONS:
        auto, written = points(solution)
        assert [number(c) for c in rows[solution.stem]] == [auto, written, auto + written], \
            f"{solution.stem}: nbgrader gives {auto} autograded and {written} written points"


def _round_half(hours):
    return round(hours * 2) / 2


def _weeks():
    rows = table(section("A module of 4 to 6 weeks"), "chapter")
    return {re.match(r"\[(\d\d)\]", row[0]).group(1): row for row in rows}


def test_every_chapter_has_a_row_with_hours_by_the_stated_rules():
    rows = _weeks()
    assert sorted(rows) == [p.name[:2] for p in CHAPTERS], "one row per chapter in chapters/"
    for chapter in CHAPTERS:
        row = rows[chapter.name[:2]]
        assert f"(../chapters/{chapter.name})" in row[0], f"{chapter.name}: the row links another file"
        reading, exercises, exercise_hours, total = (number(c) for c in row[3:7])
        words = PROSE.main_thread_words(PROSE.markdown(chapter))
        assert reading == _round_half(words / WORDS_PER_HOUR), f"{chapter.name}: {words} words"
        solution = ROOT / "solutions" / chapter.name
        count = len(EXERCISE.findall(PROSE.markdown(solution)))
        assert exercises == count and exercise_hours == count * HOURS_PER_EXERCISE, \
            f"{chapter.name}: {count} exercises in {solution.name}"
        assert total == reading + exercise_hours
        assert row[7], f"{chapter.name}: say what the chapter assumes"


@pytest.mark.parametrize("column, plan, weeks", [(1, "Six weeks", 6), (2, "Four weeks", 4)])
def test_each_plan_fills_its_weeks_as_the_text_says(column, plan, weeks):
    per_week = [0.0] * weeks
    optional = 0.0
    for row in _weeks().values():
        if row[column] == "optional":
            optional += number(row[6])
        else:
            per_week[int(row[column]) - 1] += number(row[6])
    assert all(per_week), f"{plan}: a week without a chapter"
    stated = re.search(rf"\*\*{plan}:\*\* ([\d., ]+?) hours", section("A module of 4 to 6 weeks")).group(1)
    assert [number(h) for h in stated.split(", ")] == per_week
    if optional:
        assert f"optional ({optional:g} hours more)" in section("A module of 4 to 6 weeks")


def test_the_word_counts_the_estimates_rest_on_are_current():
    rows = {row[0]: row for row in table(section("A module of 4 to 6 weeks"), "chapter | main-thread words")}
    assert sorted(rows) == [p.name[:2] for p in CHAPTERS]
    for chapter in CHAPTERS:
        text = PROSE.markdown(chapter)
        main = PROSE.main_thread_words(text)
        folded = len(re.findall(r"\w+", text)) - main
        stated_main, stated_folded = (number(c.removeprefix("about ")) for c in rows[chapter.name[:2]][1:3])
        assert abs(stated_main - main) <= 0.1 * main, f"{chapter.name}: {main} main-thread words"
        assert abs(stated_folded - folded) <= 0.1 * folded, f"{chapter.name}: {folded} folded words"


def test_the_rubric_covers_every_written_answer_and_nothing_else():
    rubric = dict((cell, exercise) for exercise, cell in
                  re.findall(r"^#### (\d+\.\d+) .*\(cell `([\w-]+)`\)$", section("A rubric for the written answers"),
                             flags=re.M))
    answers = {}
    for solution in SOLUTIONS:
        answers.update(written_answers(solution))
    assert answers, "the solutions hold written answers"
    assert rubric == answers, "the rubric's headings name each written answer's exercise and cell id"
    rubric_written = sum(points(s)[1] for s in SOLUTIONS)
    assert len(rubric) == rubric_written


# ---- nbgitpuller, as the page describes it ----------------------------------------------------------

def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)


def _edition(repo, branch, exercise, chapter, parent=None):
    """Commit an edition (one exercise file and one chapter file) to branch, on top of parent or alone."""
    _git(repo, "checkout", "-q", *(["-b", branch, parent] if parent else ["--orphan", branch]))
    (repo / "exercise.txt").write_text(exercise)
    (repo / "chapter.txt").write_text(chapter)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", branch)


def _pull(url, folder, branch):
    from nbgitpuller.pull import GitPuller

    for _ in GitPuller(url, str(folder), branch=branch).pull():
        pass


def test_nbgitpuller_merges_the_cloned_branch_and_never_switches_branches(tmp_path, monkeypatch):
    for var in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(var, "instructor")
    for var in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(var, "instructor@example.edu")
    monkeypatch.delenv("NBGITPULLER_DEPTH", raising=False)       # nbgitpuller's default: one commit deep
    origin = tmp_path / "origin"
    origin.mkdir()
    _git(origin, "init", "-q")
    _edition(origin, "class-v0.2.0", "answer: TODO\n", "chapter, first edition\n")
    url, home = origin.as_uri(), tmp_path / "home"

    _pull(url, home / "lstmkit", "class-v0.2.0")                 # the first click: a clone
    work = home / "lstmkit" / "exercise.txt"
    work.write_text("answer: the student's\n")

    # a fix committed on the same branch: merged, and the student's line kept where both changed it
    _edition(origin, "fix", "answer: TODO (clearer)\n", "chapter, corrected\n", parent="class-v0.2.0")
    _git(origin, "branch", "-f", "class-v0.2.0", "fix")
    _pull(url, home / "lstmkit", "class-v0.2.0")
    assert (home / "lstmkit" / "chapter.txt").read_text() == "chapter, corrected\n"
    assert work.read_text() == "answer: the student's\n"

    # a later release is another branch: the same folder is not updated, and nothing in it changes
    _edition(origin, "class-v0.3.0", "answer: TODO, v0.3\n", "chapter, second edition\n")
    with pytest.raises(subprocess.CalledProcessError):
        _pull(url, home / "lstmkit", "class-v0.3.0")
    assert (home / "lstmkit" / "chapter.txt").read_text() == "chapter, corrected\n"
    assert work.read_text() == "answer: the student's\n"

    # the page's way: rename the folder, then the new link clones the new edition
    (home / "lstmkit").rename(home / "lstmkit-0.2.0")
    _pull(url, home / "lstmkit", "class-v0.3.0")
    assert (home / "lstmkit" / "chapter.txt").read_text() == "chapter, second edition\n"
    assert (home / "lstmkit-0.2.0" / "exercise.txt").read_text() == "answer: the student's\n"
