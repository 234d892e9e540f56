"""The graded checks (lstmkit/checks/_sealed.py) against what an answer cell can do to its kernel.

Each case runs in a fresh interpreter, as a notebook would: the exercise's imports, the cheat, then
the visible check (which the cheat fools) and the hidden test that tools/make_classroom.py adds to
the class's check cell (which it must not fool). The solution passes both.
"""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lstmkit" / "checks"))
import _sealed  # noqa: E402  (standard library only, as the hidden test loads it)

sys.path.pop(0)

NOTEBOOK = """\
import numpy as np
from lstmkit import checks, lstm, rnn

def lstm_gates(a):
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    return rnn.sigmoid(a_i), rnn.sigmoid(a_f), np.tanh(a_g), rnn.sigmoid(a_o)
"""
WRONG = "def lstm_gates(a):\n    return tuple(np.zeros((a.shape[0], a.shape[1] // 4)) for _ in range(4))\n"
CHEATS = {
    "patched check": WRONG + 'checks.ch03.lstm_gates = lambda fn: print("PASS")',
    "fake module": WRONG + ("import sys, types\nfake = types.ModuleType('lstmkit.checks.ch03')\n"
                            "fake.lstm_gates = lambda fn: None\n"
                            "sys.modules['lstmkit.checks.ch03'] = checks.ch03 = fake"),
    "patched report": WRONG + ("import lstmkit.checks._report as report\n"
                               "report.Report.compare = report.Report.done = lambda *a, **k: None"),
    "calls the reference": ("def lstm_gates(a):\n    N, H = a.shape[0], a.shape[1] // 4\n"
                            "    p = {'weight_ih': np.eye(4 * H), 'weight_hh': np.zeros((4 * H, H)),\n"
                            "         'bias_ih': np.zeros(4 * H), 'bias_hh': np.zeros(4 * H)}\n"
                            "    return lstm.step_forward(a, np.zeros((N, H)), np.zeros((N, H)), p)[2][3:7]"),
    "is the check's reference": "lstm_gates = checks.ch03._gates",
    "reference made to agree": WRONG + ("def fake_step(x, h, c, params):\n"
                                        "    return h, c, (x, h, c, *lstm_gates(x), None, params)\n"
                                        "lstm.step_forward = fake_step"),
    "profiler switched off": ("import sys\n_sf = lstm.step_forward\n"
                              "def lstm_gates(a):\n    sys.setprofile(None)\n    N, H = a.shape[0], a.shape[1] // 4\n"
                              "    p = {'weight_ih': np.eye(4 * H), 'weight_hh': np.zeros((4 * H, H)),\n"
                              "         'bias_ih': np.zeros(4 * H), 'bias_hh': np.zeros(4 * H)}\n"
                              "    return _sf(a, np.zeros((N, H)), np.zeros((N, H)), p)[2][3:7]"),
}


def _run(cells, tmp_path):
    """Run the cells as one script in a fresh interpreter, outside the checkout: (visible ok, hidden ok)."""
    check = "checks.ch03.lstm_gates(lstm_gates)"
    hidden = _sealed.hidden_test("ch03", "lstm_gates", ["lstm_gates"])
    def attempt(code, what):
        return (f"try:\n{textwrap.indent(code, '    ')}\n    print('{what} PASSED')\n"
                f"except AssertionError as e:\n    print('{what} FAILED', e)")

    script = "\n".join([cells, attempt(check, "VISIBLE"), attempt(hidden, "HIDDEN")])
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return "VISIBLE PASSED" in out.stdout, "HIDDEN PASSED" in out.stdout, out.stdout


def test_the_solution_passes_the_graded_check(tmp_path):
    visible, hidden, out = _run(NOTEBOOK, tmp_path)
    assert visible and hidden, out


def test_a_wrong_answer_fails_the_graded_check(tmp_path):
    visible, hidden, out = _run(NOTEBOOK + WRONG, tmp_path)
    assert not visible and not hidden, out


@pytest.mark.parametrize("cheat", CHEATS)
def test_a_cheat_fools_the_visible_check_and_not_the_graded_one(cheat, tmp_path):
    visible, hidden, out = _run(NOTEBOOK + CHEATS[cheat], tmp_path)
    assert visible, f"the cheat should fool the visible check (else it proves nothing):\n{out}"
    assert not hidden, out
    if cheat in ("calls the reference", "is the check's reference"):
        assert "which the exercise asks you to write yourself" in out, out
    if cheat == "profiler switched off":
        assert "switched off the grader's watch" in out, out


def test_grading_leaves_the_kernels_modules_as_they_were(tmp_path):
    script = NOTEBOOK + ("import sys\nbefore = dict(sys.modules)\nfn_before = lstm.step_forward\n"
                         + _sealed.hidden_test("ch03", "lstm_gates", ["lstm_gates"]) + "\n"
                         "assert {k: v for k, v in sys.modules.items() if k.startswith('lstmkit')} == "
                         "{k: v for k, v in before.items() if k.startswith('lstmkit')}\n"
                         "assert lstm.step_forward is fn_before and globals()['lstm'] is before['lstmkit.lstm']\n"
                         "print('SAME')")
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "SAME" in out.stdout, out.stderr[-3000:]
