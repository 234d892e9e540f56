"""The exercise notebooks: generated from the solutions, and every check fails on the stubs.

1. Staleness: tools/make_exercises.py regenerates each exercise from its solution into a temporary
   folder; the committed exercise must be the same notebook (compared as parsed JSON). If this fails,
   run `python tools/make_exercises.py` (the Makefile's `exercises` target).
2. Nothing leaks: no solution markers, no outputs, no execution counts in the exercises.
3. The shipped exercises, executed on a fresh kernel in exercises/, cell by cell: every cell tagged
   "check" fails with NotImplementedYet, shown as one line ("not implemented yet: replace the ...
   line in <function> (cell In[n])"), and every other cell runs. A check that passes on a stub would
   be a defect; so would a setup cell that needs the reader's code.
   Then what a student sees for wrong answers: exercise 04 with a typical mistake in each exercise;
   each check cell shows its report first, in at most ten lines, with no frame of lstmkit and no
   line of the worked solution.
4. The solutions are stored executed (counts 1..n, no errors) with a PASS line under every check;
   strict nbval (`make test`) re-runs them and compares those lines.
"""
import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
STUB = "raise NotImplementedError()"


def _plain(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _tool():
    spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "tools" / "make_exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ids(paths):
    return [p.stem for p in paths]


def test_every_solution_has_its_exercise_and_back():
    assert SOLUTIONS, "no solutions/NN_name.ipynb found"
    assert [p.name for p in SOLUTIONS] == [p.name for p in EXERCISES]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=_ids(SOLUTIONS))
def test_exercise_is_regenerated_from_its_solution(solution, tmp_path):
    tool = _tool()
    assert tool.main(["--out", str(tmp_path), str(solution)]) == 0
    fresh = json.loads((tmp_path / solution.name).read_text(encoding="utf-8"))
    committed = json.loads((ROOT / "exercises" / solution.name).read_text(encoding="utf-8"))
    assert committed == fresh, (f"exercises/{solution.name} is stale or was edited by hand: "
                                "run `python tools/make_exercises.py`")


def test_generation_is_deterministic():
    tool = _tool()
    assert tool.generate(SOLUTIONS[0]) == tool.generate(SOLUTIONS[0])


def test_check_mode_fails_on_a_hand_edited_exercise(tmp_path, capsys):
    tool = _tool()
    solution = SOLUTIONS[0]
    assert tool.main(["--out", str(tmp_path), str(solution)]) == 0
    assert tool.main(["--check", "--out", str(tmp_path), str(solution)]) == 0
    edited = tmp_path / solution.name
    edited.write_text(edited.read_text(encoding="utf-8").replace("raise NotImplementedError()", "pass", 1),
                      encoding="utf-8")
    assert tool.main(["--check", "--out", str(tmp_path), str(solution)]) == 1
    assert str(edited) in capsys.readouterr().out


@pytest.mark.parametrize("exercise", EXERCISES, ids=_ids(EXERCISES))
def test_exercise_leaks_no_solution(exercise):
    nb = nbformat.read(exercise, as_version=4)
    nbformat.validate(nb)
    solution = nbformat.read(ROOT / "solutions" / exercise.name, as_version=4)
    assert set(nb.metadata) == {"kernelspec", "language_info"}   # what JupyterLab writes on opening
    for cell, sol in zip(nb.cells, solution.cells, strict=True):
        assert "BEGIN SOLUTION" not in cell.source and "END SOLUTION" not in cell.source
        assert cell.id == sol.id
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert set(cell.metadata) <= {"tags"}
        if "BEGIN SOLUTION" in sol.source and cell.cell_type == "code":
            assert STUB in cell.source
        elif "BEGIN SOLUTION" in sol.source:     # a written answer keeps its stub; the title's note leaves nothing
            assert ("YOUR ANSWER HERE" in cell.source) == ("**Your answer**" in cell.source), cell.source
            assert sol.source.split("<!-- ### BEGIN SOLUTION -->")[0].rstrip() in cell.source
    n_checks = sum("check" in c.metadata.get("tags", []) for c in nb.cells)
    n_stubs = sum(STUB in c.source for c in nb.cells if c.cell_type == "code")
    assert n_checks == n_stubs >= 3, "one check cell per exercise function, at least 3 per chapter"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=_ids(SOLUTIONS))
def test_solution_is_stored_executed_with_every_check_passing(solution):
    nb = nbformat.read(solution, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "execute it top to bottom"
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        if "check" in cell.metadata.get("tags", []):
            assert "".join(o.get("text", "") for o in cell.outputs).startswith("PASS "), cell.source


@pytest.mark.parametrize("exercise", EXERCISES, ids=_ids(EXERCISES))
def test_shipped_exercise_fails_every_check_and_runs_everything_else(exercise):
    from nbclient import NotebookClient

    nb = nbformat.read(exercise, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(exercise.parent)}})
    client.execute()
    checked = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "check" in cell.metadata.get("tags", []):
            checked += 1
            assert errors, f"cell {index} ({cell.source!r}) passed on the stub: the check is too weak"
            assert errors[0].ename == "NotImplementedYet", f"cell {index}: {errors[0].ename}: {errors[0].evalue}"
            assert "not implemented yet" in errors[0].evalue
            shown = [_plain(line) for line in errors[0].traceback]
            assert len(shown) == 1 and re.search(r"replace the .* line in \w+ \(cell In\[\d+\]\)", shown[0]), shown
            assert "PASS" not in "".join(o.get("text", "") for o in cell.outputs)
        else:
            assert not errors, f"cell {index} failed on the stubs: {errors[0].ename}: {errors[0].evalue}"
    assert checked >= 3


WRONG_04 = {   # exercise 04's stub cells, filled with typical mistakes a student makes
    "lstm_step_backward": """def lstm_step_backward(dh, dc, cache):
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, params = cache
    do = dh * tanh_c
    dc = dc + dh * o * (1 - tanh_c ** 2)
    df, di, dg, dc_prev = dc * c_prev, dc * g, dc * i, dc * f
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * g * (1 - g), do * o * (1 - o)], axis=1)
    grads = {"weight_ih": da.T @ x_t, "weight_hh": da.T @ h_prev, "bias_ih": da.sum(0), "bias_hh": da.sum(0)}
    return da @ params["weight_ih"], da @ params["weight_hh"], dc_prev, grads""",
    "cell_gradients": """def cell_gradients(x, state0, params):
    (h, c), caches = state0, []
    for x_t in x:
        h, c, cache = lstm.step_forward(x_t, h, c, params)
        caches.append(cache)
    dh, dc = np.zeros_like(c), np.ones_like(c)
    dcs = [dc]
    for cache in reversed(caches):
        _, dh, dc, _ = lstm.step_backward(dh, dc, cache)
        dcs.append(dc)
    return np.array(dcs[::-1])""",
    "forget_bias_for_retention": """def forget_bias_for_retention(keep, T):
    return math.log(keep / (1 - keep))""",
    "peephole_step_backward": """def peephole_step_backward(dh, dc, cache):
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, c, params, _ = cache
    da_o = dh * tanh_c * o * (1 - o)
    dc = dc + dh * o * (1 - tanh_c ** 2) + da_o * params["peephole_o"]
    da_i, da_f, da_g = dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)
    grads = {"weight_ih": da.T @ x_t, "weight_hh": da.T @ h_prev, "bias_ih": da.sum(0), "bias_hh": da.sum(0),
             "peephole_i": (da_i * c_prev).sum(0), "peephole_f": (da_f * c_prev).sum(0),
             "peephole_o": (da_o * c).sum(0)}
    return da @ params["weight_ih"], da @ params["weight_hh"], dc * f, grads""",
}


def test_a_wrong_answer_shows_a_short_report_first_in_the_notebook():
    from nbclient import NotebookClient

    path = ROOT / "exercises" / "04_lstm_bptt.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for name, code in WRONG_04.items():
            if cell.cell_type == "code" and cell.source.startswith(f"def {name}("):
                cell.source = code
    solution = nbformat.read(ROOT / "solutions" / path.name, as_version=4)
    solution_lines = {line.split("#")[0].strip() for c in solution.cells if c.cell_type == "code"
                      for line in c.source.splitlines()}
    solution_lines = {line for line in solution_lines if len(line) >= 12 and not line.startswith(("def ", "return"))}
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    shown = {}
    for cell in nb.cells:
        if "check" in cell.metadata.get("tags", []):
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert errors, cell.source
            shown[cell.source] = [_plain(line) for line in errors[0].traceback]
    expected = {"checks.ch04.lstm_step_backward": "only block g is off",
                "checks.ch04.cell_gradients": "with h_t held fixed",
                "checks.ch04.forget_bias_for_retention": "T-th root",
                "checks.ch04.peephole_step_backward": "dc_prev is only the carousel's"}
    for source, lines in shown.items():
        call = source.split("(")[0]
        text = "\n".join(lines)
        assert lines[0].startswith(f"CheckFailed: {call.rsplit('.', 1)[1]}"), text   # the report first
        assert 2 <= len(lines) <= 10, text
        assert expected[call] in text and "likely cause:" in text, text
        assert "lstmkit" not in text and "File " not in text and "Traceback" not in text, text
        assert not [line for line in solution_lines if line in text], text
