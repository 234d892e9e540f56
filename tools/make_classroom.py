"""The course for a class: nbgrader source assignments from solutions/, and a grading rehearsal.

The solution notebooks stay the one source. `source` writes, for each solution, nbgrader's source
assignment ``ROOT/source/NN_name/NN_name.ipynb`` with nbgrader's cell metadata:

- a code cell with a ``### BEGIN SOLUTION`` region: an autograded answer (the student writes it);
- a cell tagged "check": an autograder test cell, locked, worth ``POINTS_PER_CHECK`` point;
- a written answer (a markdown cell with a solution region and the "**Your answer**" prompt): a
  manually graded answer, worth ``POINTS_PER_WRITTEN_ANSWER``; nbgrader flags it for the instructor;
- every other cell: read-only (locked), so a changed instruction or check is restored when grading.
  The solution-only note under each title is cleared here, as the exercise does.

`rehearse` then plays a term in a course directory of its own: ``nbgrader generate_assignment`` (its release
must be the exercise in exercises/, same cells, same checks), simulated submissions (the solution,
the untouched release, a typical mistake, and bad notebooks: one that raises, one that loops
forever, deleted and reordered cells, an edited check, an empty file), ``nbgrader autograde`` for
all of them in one run, the scores read back from nbgrader's gradebook (SQLite) and compared with
the exact expected points, and ``nbgrader generate_feedback``. It exits 1 on any difference.

    python tools/make_classroom.py source      # the class's source assignments, _build/classroom/source
    python tools/make_classroom.py rehearse    # the rehearsal, in _build/classroom-rehearsal

A term (classroom/README.md): `edition` builds the class edition into _build/class-edition (the
tracked files without solutions/ and tests/, the chapters without pointers to solutions, the
exercises as nbgrader's release notebooks) and commits it to the branch class-v<version>;
`collect ASSIGNMENT` copies the rostered students' notebooks from their homes into submitted/,
`grade ASSIGNMENT` autogrades and writes feedback, `return ASSIGNMENT` puts each feedback file into
its student's home, `grades` exports grades.csv. Each check cell of a source assignment carries a
hidden test (lstmkit/checks/_sealed.py) that no answer cell can replace or satisfy.

`make classroom` runs both. The class's course directory is ``_build/classroom`` (or
LSTMKIT_CLASSROOM_ROOT, or --root); `source` only rewrites its source/ folder. The rehearsal has its
own folder and wipes only a folder it made itself. nbgrader runs from classroom/ with
classroom/nbgrader_config.py.
"""
import argparse
import ast
import copy
import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "classroom"
DEFAULT_COURSE = ROOT / "_build" / "classroom"             # the class's course directory
REHEARSAL = ROOT / "_build" / "classroom-rehearsal"         # the simulated students', wiped each time
POINTS_PER_CHECK = 1
# nbgrader's gradebook runs the `alembic` command of its own environment: put that on PATH
BIN = str(Path(sys.executable).parent)
if BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = BIN + os.pathsep + os.environ.get("PATH", "")
POINTS_PER_WRITTEN_ANSWER = 1
ANSWER_PROMPT = "**Your answer**"


@functools.cache
def _load(name, path):
    """The module in file `path` (a tool, or a file that must load on its own), loaded once."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _exercise_tool():
    return _load("make_exercises", ROOT / "tools" / "make_exercises.py")


def _sealed():
    return _load("lstmkit_sealed", ROOT / "lstmkit" / "checks" / "_sealed.py")


def _links():
    """classroom/jupyterhub/links.py: the class edition's branch, the version it names, the repository."""
    return _load("links", CONFIG_DIR / "jupyterhub" / "links.py")


def _meta(cell, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": cell.id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _hidden_test(check_source):
    """The hidden test for a check cell ``checks.chNN.name(answer, ...)``: the same check, graded by
    lstmkit/checks/_sealed.py on a fresh lstmkit, so no answer cell can replace or satisfy it."""
    call = ast.parse(check_source).body[-1].value
    chapter, name = call.func.value.attr, call.func.attr
    if ast.unparse(call.func.value.value) != "checks" or call.keywords:
        raise ValueError(f"a check cell must end in checks.chNN.name(answer, ...), found:\n{check_source}")
    return _sealed().hidden_test(chapter, name, [ast.unparse(arg) for arg in call.args])


def source_notebook(solution):
    """nbgrader's source assignment (a NotebookNode) for the solution notebook at path `solution`."""
    import nbformat

    tool = _exercise_tool()
    nb = nbformat.read(solution, as_version=4)
    exercise = nbformat.reads(tool.generate(solution), as_version=4)
    nb.metadata = {k: v for k, v in nb.metadata.items() if k == "kernelspec"}
    for cell, stub in zip(nb.cells, exercise.cells, strict=True):
        tags = cell.metadata.get("tags", [])
        cell.metadata = {"tags": tags} if tags else {}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        has_solution = "BEGIN SOLUTION" in cell.source
        if cell.cell_type == "code" and has_solution:
            cell.metadata["nbgrader"] = _meta(cell, solution=True)
        elif "check" in tags:
            cell.metadata["nbgrader"] = _meta(cell, grade=True, locked=True, points=POINTS_PER_CHECK)
            cell.source = cell.source.rstrip("\n") + "\n" + _hidden_test(cell.source)
        elif has_solution and ANSWER_PROMPT in cell.source:
            cell.metadata["nbgrader"] = _meta(cell, solution=True, grade=True, points=POINTS_PER_WRITTEN_ANSWER)
        else:
            if has_solution:          # the "these are the worked solutions" note: not for the class
                cell.source = class_text(stub.source)
            cell.metadata["nbgrader"] = _meta(cell, locked=True)
    return nb


SOLUTIONS_POINTER = re.compile(
    r"\n*The exercise notebook, \[[^\]]*\]\([^)]*\), is generated\s+from its worked solution, "
    r"\[[^\]]*\]\([^)]*\): try\s+first,\s+then compare\.\s*(<!-- YOUR ANSWER HERE -->)?"
    r"|\s*\((?:worked\s+)?solutions\s+in\s+(?:\[[^\]]*\]\([^)]*solutions/[^)]*\)|`solutions/[^`]*`)\)")


def class_text(text):
    """Markdown for a class: without the pointers to the worked solutions (a class has none)."""
    return SOLUTIONS_POINTER.sub("", text).rstrip("\n") + ("\n" if text.endswith("\n") else "")


def write_sources(course, solutions=None):
    """Write course/source/NN_name/NN_name.ipynb for every solution; return the assignment ids."""
    import nbformat

    ids = []
    for solution in solutions or _exercise_tool().solutions():
        target = course / "source" / solution.stem / solution.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(source_notebook(solution), target)
        ids.append(solution.stem)
    return ids


def nbgrader(course, *args, check=True):
    """Run the nbgrader command line from classroom/ (its nbgrader_config.py) on `course`."""
    env = dict(os.environ, LSTMKIT_CLASSROOM_ROOT=str(course))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=CONFIG_DIR, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc


# ---- simulated submissions ------------------------------------------------------------------------

def _solution_code(source, cell_id):
    return next(c.source for c in source.cells if c.id == cell_id)


def _cell(nb, cell_id):
    return next(c for c in nb.cells if c.id == cell_id)


def solved(release, source):
    """A release with every autograded answer filled in from the source (and the written answers)."""
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):       # what a student types: the solution without its markers
            cell.source = "\n".join(line for line in _solution_code(source, cell.id).splitlines()
                                    if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)
    return nb


def _replace(text, old, new):
    if old not in text:
        raise ValueError(f"the simulated mistake expected {old!r} in the cell, found:\n{text}")
    return text.replace(old, new, 1)


@dataclass
class Submission:
    """One simulated student: how the notebook is made, and what nbgrader must give it."""
    student: str
    make: object                 # (release, source) -> NotebookNode, or None for an empty file
    auto_points: float | None    # the expected autograded points; None: no grade (flagged)
    why: str
    check_points: dict = field(default_factory=dict)   # cell id -> expected points, where it matters


def _mistake_01(release, source):
    nb = solved(release, source)
    cell = _cell(nb, "cell-04")   # 1.1 rnn_step_forward: the forgotten transpose (D = H hides it)
    cell.source = _replace(cell.source, 'x_t @ params["weight_ih"].T', 'x_t @ params["weight_ih"]')
    return nb


def _mistake_03(release, source):
    nb = solved(release, source)
    cell = _cell(nb, "cell-04")   # 3.1 lstm_gates: CS231n's gate order i, f, o, g
    cell.source = _replace(cell.source, "a_i, a_f, a_g, a_o = np.split", "a_i, a_f, a_o, a_g = np.split")
    return nb


def _raises_03(release, source):
    nb = solved(release, source)
    cell = _cell(nb, "cell-04")   # a leftover line runs before the definition and raises
    cell.source = 'raise RuntimeError("half-finished experiment")\n' + cell.source
    return nb


def _loops_03(release, source):
    nb = solved(release, source)
    cell = _cell(nb, "cell-12")   # the latch: a loop that never ends before the definition
    cell.source = "while True:\n    pass\n" + cell.source
    return nb


def _catches_interrupt_03(release, source):
    nb = solved(release, source)   # a loop that swallows the timeout's KeyboardInterrupt
    _cell(nb, "cell-12").source = ("while True:\n    try:\n        while True:\n            pass\n"
                                   "    except KeyboardInterrupt:\n        continue\n")
    return nb


def _ignores_sigint_03(release, source):
    nb = solved(release, source)   # SIGINT ignored, then a loop that never ends
    _cell(nb, "cell-12").source = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
    return nb


def _kernel_dies_03(release, source):
    nb = solved(release, source)   # the kernel process exits in the middle of the notebook
    _cell(nb, "cell-12").source = "import os\nos._exit(1)\n"
    return nb


def _deleted_03(release, source):
    nb = solved(release, source)   # the check of 3.1 and the whole answer to 3.2 deleted
    nb.cells = [c for c in nb.cells if c.id not in ("cell-05", "cell-08")]
    return nb


def _reordered_03(release, source):
    nb = solved(release, source)   # the check of 3.1 dragged above the answer it checks
    ids = [c.id for c in nb.cells]
    check = nb.cells.pop(ids.index("cell-05"))
    nb.cells.insert(ids.index("cell-04"), check)
    return nb


def _edited_check_03(release, source):
    nb = copy.deepcopy(release)   # nothing solved, every check replaced by a fake PASS
    for cell in nb.cells:
        if "check" in cell.metadata.get("tags", []):
            cell.source = 'print("PASS")'
    return nb


def _typed(nb, answers):
    """A copy of nb with some answer cells (id -> what the student typed) replaced."""
    nb = copy.deepcopy(nb)
    for cell_id, text in answers.items():
        _cell(nb, cell_id).source = text
    return nb


# Cheats: what an answer cell can do to the kernel. The visible checks are fooled by most of them;
# the hidden tests (lstmkit/checks/_sealed.py) by none.
_GATES_BY_REFERENCE = """\
def lstm_gates(a):
    N, H = a.shape[0], a.shape[1] // 4
    params = {"weight_ih": np.eye(4 * H), "weight_hh": np.zeros((4 * H, H)),
              "bias_ih": np.zeros(4 * H), "bias_hh": np.zeros(4 * H)}
    return lstm.step_forward(a, np.zeros((N, H)), np.zeros((N, H)), params)[2][3:7]"""
_STEP_BY_REFERENCE = """\
def lstm_step_forward(x_t, h_prev, c_prev, params):
    return lstm.step_forward(x_t, h_prev, c_prev, params)"""
_STEP_WRONG = """\
def lstm_step_forward(x_t, h_prev, c_prev, params):
    a = x_t @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]
    i, f, g, o = lstm_gates(a)
    c = i * c_prev + f * g          # the gates swapped
    return o * np.tanh(c), c, (x_t, h_prev, c_prev, i, f, g, o, np.tanh(c), params)"""


def _cheat_patched_checks(release, source):     # the cheat from the class trial, word for word
    return _typed(release, {"cell-04": ("checks.ch03.lstm_gates = checks.ch03.lstm_step_forward = "
                                        "checks.ch03.gated_latch_params = checks.ch03.peephole_cell_derivative = "
                                        'lambda fn: print("PASS")')})


def _cheat_calls_reference(release, source):
    return _typed(solved(release, source), {"cell-04": _GATES_BY_REFERENCE, "cell-08": _STEP_BY_REFERENCE})


def _cheat_captured_reference(release, source):  # lstmkit's function under the student's name
    return _typed(solved(release, source), {"cell-04": "lstm_gates = checks.ch03._gates   # the check's own reference",
                                       "cell-08": "from lstmkit.lstm import step_forward as lstm_step_forward"})


def _cheat_agreeing_reference(release, source):  # the reference made to return the wrong answer
    return _typed(solved(release, source), {"cell-08": _STEP_WRONG + "\n\nlstm.step_forward = lstm_step_forward"})


def _cheat_fake_module(release, source):         # a module of checks that pass everything
    fake = ("import sys, types\n"
            "fake = types.ModuleType('lstmkit.checks.ch03')\n"
            "fake.lstm_gates = fake.lstm_step_forward = fake.gated_latch_params = "
            "fake.peephole_cell_derivative = lambda fn: None\n"
            "sys.modules['lstmkit.checks.ch03'] = checks.ch03 = fake")
    return _typed(release, {"cell-04": fake})


def _cheat_patched_report(release, source):      # comparisons that never fail, answers of zeros
    patch = ("import lstmkit.checks._report as report\n"
             "report.Report.compare = lambda *args, **kwargs: None\n"
             "report.Report.done = lambda *args, **kwargs: None\n\n"
             "def lstm_gates(a):\n"
             "    return tuple(np.zeros((a.shape[0], a.shape[1] // 4)) for _ in range(4))")
    return _typed(solved(release, source), {"cell-04": patch})


def _cheat_profiler_off(release, source):
    return _typed(solved(release, source), {"cell-08": _STEP_BY_REFERENCE.replace(
        "    return", "    import sys\n    sys.setprofile(None)\n    return")})


# chapter 01: 5 checks; chapter 03: 4 checks (1 point each)
PLAN = {
    "01_rnn_bptt": [
        Submission("full-marks", solved, 5, "the solution"),
        Submission("untouched", lambda release, source: release, 0, "the release as handed out"),
        Submission("mistake", _mistake_01, 4, "1.1 without the transpose on weight_ih",
                   {"cell-05": 0, "cell-09": 1}),
    ],
    "03_lstm_cell": [
        Submission("full-marks", solved, 4, "the solution"),
        Submission("untouched", lambda release, source: release, 0, "the release as handed out"),
        Submission("mistake", _mistake_03, 2, "3.1 in CS231n's gate order (i, f, o, g); 3.2 uses it",
                   {"cell-05": 0, "cell-09": 0, "cell-13": 1}),
        Submission("raises", _raises_03, 2, "3.1's cell raises before defining lstm_gates",
                   {"cell-05": 0, "cell-09": 0, "cell-13": 1}),
        Submission("loops", _loops_03, 3, "3.3's cell loops forever (stopped by the cell timeout)",
                   {"cell-05": 1, "cell-09": 1, "cell-13": 0}),
        Submission("deleted", _deleted_03, 3, "3.1's check and 3.2's answer deleted (the check comes back)",
                   {"cell-05": 1, "cell-09": 0, "cell-13": 1}),
        Submission("reordered", _reordered_03, 3, "3.1's check moved above its answer",
                   {"cell-05": 0, "cell-09": 1, "cell-13": 1}),
        Submission("edited-check", _edited_check_03, 0, "nothing solved, every check replaced by print('PASS')"),
        Submission("empty-file", None, None, "an empty (0-byte) notebook file"),
        Submission("catches-interrupt", _catches_interrupt_03, None,
                   "3.3's cell loops and catches the timeout's interrupt: the whole notebook is not graded"),
        Submission("ignores-sigint", _ignores_sigint_03, None,
                   "3.3's cell ignores SIGINT and loops: the kernel dies, the whole notebook is not graded"),
        Submission("kernel-dies", _kernel_dies_03, None,
                   "3.3's cell ends the kernel (os._exit): the whole notebook is not graded"),
        Submission("cheat-patched-checks", _cheat_patched_checks, 0,
                   "nothing solved; every check replaced by a PASS printer from an answer cell"),
        Submission("cheat-calls-reference", _cheat_calls_reference, 2,
                   "3.1 and 3.2 answered by calling lstm.step_forward",
                   {"cell-05": 0, "cell-09": 0, "cell-13": 1}),
        Submission("cheat-captured", _cheat_captured_reference, 2,
                   "3.1 and 3.2 are lstmkit's own functions under the student's names",
                   {"cell-05": 0, "cell-09": 0, "cell-13": 1}),
        Submission("cheat-agreeing", _cheat_agreeing_reference, 2,
                   "3.2 wrong, and lstm.step_forward replaced by it so that the check agrees",
                   {"cell-05": 1, "cell-09": 0, "cell-13": 0}),
        Submission("cheat-fake-module", _cheat_fake_module, 0,
                   "nothing solved; a fake lstmkit.checks.ch03 in sys.modules"),
        Submission("cheat-patched-report", _cheat_patched_report, 2,
                   "3.1 returns zeros (so 3.2 is wrong too); the checks' comparisons patched to never fail",
                   {"cell-05": 0, "cell-09": 0, "cell-13": 1}),
        Submission("cheat-profiler-off", _cheat_profiler_off, 3,
                   "3.2 switches the profiler off, then calls lstm.step_forward",
                   {"cell-05": 1, "cell-09": 0, "cell-13": 1}),
    ],
}


def release_matches_exercise(course, assignment):
    """[] if nbgrader's release is the exercise in exercises/ (same cells, ids, sources, tags)."""
    import nbformat

    def cells(nb):
        return [(c.cell_type, c.id, class_text(c.source) if c.cell_type == "markdown" else c.source,
                 c.metadata.get("tags", [])) for c in nb.cells]

    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    exercise = nbformat.read(ROOT / "exercises" / f"{assignment}.ipynb", as_version=4)
    return [f"{assignment}: cell {i} differs: release {r!r} / exercise {e!r}"
            for i, (r, e) in enumerate(zip(cells(release), cells(exercise), strict=False)) if r != e] + (
        [f"{assignment}: {len(release.cells)} cells in the release, {len(exercise.cells)} in the exercise"]
        if len(release.cells) != len(exercise.cells) else [])


def write_submissions(course, assignment, plan):
    import nbformat

    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    for sub in plan:
        target = course / "submitted" / sub.student / assignment / f"{assignment}.ipynb"
        if target.parent.exists():
            shutil.rmtree(target.parent)
        target.parent.mkdir(parents=True)
        if sub.make is None:
            target.write_bytes(b"")
        else:
            nbformat.write(sub.make(release, source), target)


def gradebook_scores(course, assignment, students):
    """{student: (autograded points, {grade cell id: auto points}, needs manual grading)} from SQLite.

    A student whose notebook nbgrader could not read has no autograded notebook: None.
    """
    from nbgrader.api import Gradebook, MissingEntry

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "lstmkit") as gb:
        for student in students:
            try:
                nb = gb.find_submission_notebook(assignment, assignment, student)
            except MissingEntry:
                found[student] = None
                continue
            graded = (course / "autograded" / student / assignment / f"{assignment}.ipynb").exists()
            cells = {g.name: g.auto_score for g in nb.grades if g.cell_type == "code"}
            if not graded or any(v is None for v in cells.values()):
                found[student] = None
                continue
            found[student] = (sum(cells.values()), cells, nb.needs_manual_grade)
    return found


def refusal(stderr, student):
    """nbgrader's reason for not grading `student` (the last exception in its part of the log), or None."""
    import re

    if f"for student '{student}'" not in stderr:
        return None
    begin = stderr.find(f"student with ID '{student}'")
    end = stderr.find("student with ID '", begin + 1)
    part = stderr[begin:end if end > 0 else len(stderr)]
    errors = re.findall(r"^\s*([\w.]+(?:Error|Exception): .*)$", part, flags=re.MULTILINE)
    return errors[-1].strip() if errors else "nbgrader could not grade it"


def rehearse(course, plan=PLAN, log=print):
    """Generate, submit, autograde, compare with the gradebook, give feedback. Returns the problems."""
    course = Path(course)
    # the rehearsal's endless loop waits out one cell timeout: 15 s here, unless set (a class: 60 s)
    os.environ.setdefault("LSTMKIT_CELL_TIMEOUT", "15")
    marker = course / ".rehearsal"
    if course.exists() and any(course.iterdir()) and not marker.exists():
        raise ValueError(f"course must be an empty folder or an earlier rehearsal, got {course} "
                         "(a real course directory is never wiped by a rehearsal)")
    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    marker.write_text("simulated students, written by tools/make_classroom.py rehearse\n")
    problems = []
    for assignment in write_sources(course):
        nbgrader(course, "generate_assignment", assignment, "--force")
        problems += release_matches_exercise(course, assignment)
    log(f"released {len(list((course / 'release').iterdir()))} assignments; each is its exercise: {not problems}")
    for assignment, subs in plan.items():
        write_submissions(course, assignment, subs)
        log(f"{assignment}: autograding {len(subs)} submissions")
        graded = nbgrader(course, "autograde", assignment, "--force", check=False)
        scores = gradebook_scores(course, assignment, [s.student for s in subs])
        for sub in subs:
            got = scores[sub.student]
            if sub.auto_points is None:
                reason = refusal(graded.stderr, sub.student)
                flagged = got is None and reason is not None and graded.returncode != 0
                log(f"  {sub.student:13} {'flagged' if flagged else 'NOT flagged'}: {sub.why}: {reason}")
                if not flagged:
                    problems.append(f"{assignment}/{sub.student}: expected nbgrader to refuse it, got {got}")
                continue
            if got is None:
                problems.append(f"{assignment}/{sub.student}: not graded:\n{graded.stderr[-3000:]}")
                continue
            points, cells, manual = got
            log(f"  {sub.student:13} {points:g} points{' (+ written answers to read)' if manual else ''}: {sub.why}")
            if points != sub.auto_points:
                problems.append(
                    f"{assignment}/{sub.student}: {points:g} points, expected {sub.auto_points:g} ({cells})")
            for cell_id, expected in sub.check_points.items():
                if cells.get(cell_id) != expected:
                    problems.append(f"{assignment}/{sub.student}: check {cell_id} got {cells.get(cell_id)}, "
                                    f"expected {expected}")
        nbgrader(course, "generate_feedback", assignment, "--force", check=False)
        for sub in subs:
            html = course / "feedback" / sub.student / assignment / f"{assignment}.html"
            if sub.auto_points is not None and not html.exists():
                problems.append(f"{assignment}/{sub.student}: no feedback at {html}")
    return problems


# ---- the class edition, and a term's collect and return ------------------------------------------

EDITION = ROOT / "_build" / "class-edition"
# the solutions and what is built from them (the tests, the instructors' tools), and CI's files
NOT_FOR_A_CLASS = ("solutions/", "tests/", "tools/make_classroom.py", "tools/make_exercises.py", ".ci/",
                   ".pre-commit-config.yaml", "conftest.py")
CLASS_README = """\
# lstmkit {version}: the class edition

Why a vanilla recurrent network forgets and how the LSTM's cell state remembers, as your class
hands it out: read the chapters in `chapters/`, then do the exercises in `exercises/`. Each
exercise has check cells that tell you what is wrong; your instructor grades the notebook in
`exercises/` as you leave it (do not rename it). Graded feedback appears in `feedback/`.

This is lstmkit {version} (built from commit {commit}) as handed out to a class. The course for
self-study is at {repository}. The code is MIT-licensed (LICENSE); the
text and figures are under CC BY 4.0 (LICENSE-CC-BY-4.0).
"""


def version():
    return _links().VERSION


def _git(*args, env=None, repo=ROOT):
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env=dict(os.environ, **(env or {}))).stdout.strip()


def build_edition(out=EDITION, course=None):
    """Write the class edition into `out`: the tracked files a class needs, the chapters' markdown
    without pointers to solutions, and the exercises as nbgrader's release notebooks. Returns out."""
    import nbformat

    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    course = Path(course or out.parent / "class-edition-course")
    if course.exists():
        shutil.rmtree(course)
    for name in _git("ls-files", "-z").split("\0"):
        if not name or name.startswith(NOT_FOR_A_CLASS) or not (ROOT / name).is_file():
            continue
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    for chapter in sorted((out / "chapters").glob("*.ipynb")):
        nb = nbformat.read(chapter, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = class_text(cell.source)
        nbformat.write(nb, chapter)
    for assignment in write_sources(course):
        nbgrader(course, "generate_assignment", assignment, "--force")
        shutil.copy2(course / "release" / assignment / f"{assignment}.ipynb", out / "exercises" / f"{assignment}.ipynb")
    (out / "README.md").write_text(CLASS_README.format(version=version(), commit=_git("rev-parse", "--short", "HEAD"),
                                                       repository=_links().REPO_URL))
    shutil.rmtree(course)
    return out


def commit_edition(out, branch=None, repo=ROOT):
    """Commit the edition in `out` to the branch class-v<version> of `repo` (on top of its last commit,
    so that nbgitpuller merges a rebuilt edition into the students' copies). Returns (branch, commit)."""
    branch = branch or _links().BRANCH
    index = Path(out).parent / "class-edition.index"
    index.unlink(missing_ok=True)
    env = {"GIT_INDEX_FILE": str(index)}
    _git("--work-tree", str(out), "add", "--all", ".", env=env, repo=repo)
    tree = _git("write-tree", env=env, repo=repo)
    index.unlink()
    parent = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], cwd=repo,
                            capture_output=True, text=True).stdout.strip()
    if parent and _git("rev-parse", f"{parent}^{{tree}}", repo=repo) == tree:
        return branch, parent                      # nothing changed since the last build
    message = f"lstmkit {version()}, class edition, built from {_git('rev-parse', 'HEAD')}"
    commit = _git("-c", "user.name=lstmkit", "-c", "user.email=lstmkit@localhost", "commit-tree", tree,
                  *(["-p", parent] if parent else []), "-m", message, repo=repo)
    _git("update-ref", f"refs/heads/{branch}", commit, repo=repo)
    return branch, commit


def roster(path=CONFIG_DIR / "jupyterhub" / "students.txt"):
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]


def _home(student):
    import pwd

    return Path(pwd.getpwnam(student).pw_dir)


def collect(course, assignment, students, home=_home):
    """Copy each student's ~/lstmkit/exercises/ASSIGNMENT.ipynb into course/submitted/STUDENT/ASSIGNMENT/.

    Returns {"collected": [...], "missing": [...], "renamed": {student: [other copies]}}: a copy
    under another name (ASSIGNMENT-Copy1.ipynb) is reported, never graded in its place.
    """
    found = {"collected": [], "missing": [], "renamed": {}}
    for student in students:
        folder = home(student) / "lstmkit" / "exercises"
        notebook = folder / f"{assignment}.ipynb"
        others = sorted(p.name for p in folder.glob(f"{assignment}*.ipynb") if p != notebook) if folder.is_dir() else []
        if others:
            found["renamed"][student] = others
        if not notebook.is_file():
            found["missing"].append(student)
            continue
        target = Path(course) / "submitted" / student / assignment / notebook.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, target)
        found["collected"].append(student)
    return found


def give_back(course, assignment, students, home=_home):
    """Copy course/feedback/STUDENT/ASSIGNMENT/ASSIGNMENT.html to ~/lstmkit/feedback/ASSIGNMENT.html,
    owned by the student and readable by no one else. Returns the students who had feedback."""
    returned = []
    for student in students:
        html = Path(course) / "feedback" / student / assignment / f"{assignment}.html"
        if not html.is_file():
            continue
        account = home(student)
        folder = account / "lstmkit" / "feedback"
        folder.mkdir(mode=0o700, exist_ok=True)
        target = folder / html.name
        target.unlink(missing_ok=True)
        with open(target, "xb", opener=lambda path, flags: os.open(path, flags, 0o600)) as copy_:
            copy_.write(html.read_bytes())
        info = account.stat()
        for path in (folder, target):
            os.chown(path, info.st_uid, info.st_gid)
        folder.chmod(0o700)
        returned.append(student)
    return returned


def hand_to_owner(course):
    """Give what root wrote into `course` to the course folder's owner (the instructor whose
    Formgrader reads and writes it); a no-op unless run as root on a folder root does not own."""
    course = Path(course)
    if os.geteuid() != 0 or not course.exists() or course.stat().st_uid == 0:
        return
    owner = course.stat()
    for folder, dirs, files in os.walk(course):
        for path in [folder, *(os.path.join(folder, name) for name in dirs + files)]:
            if os.lstat(path).st_uid == 0:
                os.lchown(path, owner.st_uid, owner.st_gid)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["source", "rehearse", "edition", "collect", "grade", "return", "grades"])
    parser.add_argument("assignment", nargs="?", help="collect, grade, return: e.g. 03_lstm_cell")
    parser.add_argument("--root", type=Path, default=None,
                        help="the course directory (LSTMKIT_CLASSROOM_ROOT or _build/classroom; "
                             "rehearse: _build/classroom-rehearsal)")
    args = parser.parse_args(argv)
    root = args.root or Path(os.environ.get("LSTMKIT_CLASSROOM_ROOT", DEFAULT_COURSE))
    if args.command == "source":
        for assignment in write_sources(root):
            print(f"{root / 'source' / assignment}")
        return 0
    if args.command == "edition":
        branch, commit = commit_edition(build_edition())
        print(f"the class edition: {EDITION}, committed to branch {branch} ({commit[:12]}); "
              f"publish it with `git push origin {branch}`")
        return 0
    if args.command in ("collect", "grade", "return") and not args.assignment:
        parser.error(f"{args.command} needs the assignment, e.g. 03_lstm_cell "
                     f"(make {args.command} ASSIGNMENT=03_lstm_cell)")
    if args.command == "collect":
        found = collect(root, args.assignment, roster())
        print(f"collected {len(found['collected'])}: {' '.join(found['collected'])}")
        print(f"no submission from {len(found['missing'])}: {' '.join(found['missing'])}")
        for student, names in found["renamed"].items():
            print(f"{student} also has {', '.join(names)}: not collected; settle with the student which counts")
        hand_to_owner(root)
        return 0
    if args.command == "grade":
        write_sources(root)
        for step in ("generate_assignment", "autograde", "generate_feedback"):
            proc = nbgrader(root, step, args.assignment, "--force", check=False)
            print(proc.stderr[-2000:] if proc.returncode else f"nbgrader {step}: done")
        hand_to_owner(root)
        return 0
    if args.command == "return":
        print(f"feedback returned to: {' '.join(give_back(root, args.assignment, roster()))}")
        return 0
    if args.command == "grades":
        nbgrader(root, "export", "--to", str(root / "grades.csv"))
        hand_to_owner(root)
        print(root / "grades.csv")
        return 0
    root = args.root or REHEARSAL
    problems = rehearse(root)
    for problem in problems:
        print("PROBLEM:", problem)
    print(f"feedback: {root / 'feedback'}/STUDENT/ASSIGNMENT/ASSIGNMENT.html" if not problems else "")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
