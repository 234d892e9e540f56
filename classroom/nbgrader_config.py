# nbgrader's configuration for the lstmkit course. Run nbgrader from this folder (`cd classroom`),
# or let `make classroom` (tools/make_classroom.py) do it.
#
# The course directory (source/, release/, submitted/, autograded/, feedback/, gradebook.db) is
# generated, so it lives in the ignored _build/classroom, not in git; LSTMKIT_CLASSROOM_ROOT moves it
# (a real class keeps its submissions somewhere backed up). The source assignments are written from
# solutions/ by `python tools/make_classroom.py source`: never edit them by hand.
import os
from pathlib import Path

c = get_config()  # noqa: F821 (traitlets defines it while it loads this file)
_here = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "lstmkit"
c.CourseDirectory.root = os.environ.get("LSTMKIT_CLASSROOM_ROOT", str(_here.parent / "_build" / "classroom"))

# The release must be the exercise a student already knows: the same stubs as tools/make_exercises.py.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "<!-- YOUR ANSWER HERE -->"

# Grading. Each cell gets this many seconds, then the kernel is interrupted, the cell is marked
# with CellTimeoutError and grading goes on with the next cell: a loop that never ends costs its
# own points only. The slowest check cell takes about a second on a 2-core machine.
c.Execute.timeout = int(os.environ.get("LSTMKIT_CELL_TIMEOUT", "60"))
c.Execute.interrupt_on_timeout = True
# A student who deleted a check cell gets it back, with a note, and is graded on it.
c.OverwriteCells.add_missing_cells = True
# Students' own names for files stay as they are; only the assignment notebook is graded.
c.Autograde.create_student = True
