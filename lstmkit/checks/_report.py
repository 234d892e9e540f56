"""The machinery every exercise check shares: call the reader's function, compare, report, diagnose.

A check calls the reader's function on seeded inputs, compares each output with lstmkit's own
implementation and either prints one PASS line or raises ``CheckFailed``, whose short report reads
(at most about ten lines, the report first):

    lstm_step_backward is wrong for N=2, D=3, H=4 (tolerance 1e-08):
      dx (2, 3): max rel. error 1.0e+00
      grads['weight_ih'] (16, 3): max rel. error 1.0e+00, only in block g
      ...
      right: dc_prev
      likely cause: only block g is off: the candidate g = tanh(a_g) is the one gate without a sigmoid, ...

The hint names the symptom that was measured (a shape, a constant factor, the only block that is off,
two blocks that trade places) and the likely cause; it never holds a solution line. In Jupyter,
IPython shows ``_render_traceback_`` instead of a traceback through this package, and every function
here sets ``__tracebackhide__`` for debuggers and pytest. The untouched stub gives one line.

Tolerance: float64 and the same arithmetic in another order agree to about 1e-15, while every bug we
have seen gives a relative error above 1e-4, so ``TOL = 1e-8`` separates the two with room to spare.
"""
import ast
import difflib
import inspect
import sys
import textwrap
import traceback
from pathlib import Path

import numpy as np

from lstmkit.gradcheck import rel_error

TOL = 1e-8
NDH = [(2, 3, 4), (1, 1, 1), (3, 4, 4), (1, 5, 2), (4, 2, 1)]    # (N, D, H); D == H hides a transpose;
#                                                                  the first case is large enough to show a pattern
TNDH = [(1, 1, 1, 1), (3, 2, 3, 4), (6, 1, 2, 2), (4, 3, 1, 1)]  # (T, N, D, H)
GRAD_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_PACKAGE = str(Path(__file__).resolve().parent.parent)            # lstmkit/: frames never shown


class CheckFailed(AssertionError):
    """A check found a wrong answer; str() is the short report, and so is what Jupyter shows."""

    def __init__(self, lines):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))

    def _render_traceback_(self):   # IPython: show the report, not frames of lstmkit
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self.lines[0]}"] + self.lines[1:]


class NotImplementedYet(CheckFailed):
    """The reader's function still raises the stub's NotImplementedError."""


# ---------------------------------------------------------------- calling the reader's function
def require_callable(fn):
    __tracebackhide__ = True
    if not callable(fn):
        raise ValueError(f"fn: expected the function you wrote (a callable), got {type(fn).__name__}")


def _copy(obj):
    """Deep copy of arrays in dicts/tuples/lists, so the reader's function cannot touch our inputs."""
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, dict):
        return {k: _copy(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):    # a NamedTuple cache
        return type(obj)(*(_copy(v) for v in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(_copy(v) for v in obj)
    return obj


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"array {value.shape}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    return repr(value)


def _where(filename):
    """'cell In[4]' for code typed in IPython/Jupyter, else the file name."""
    ipython = sys.modules.get("IPython")   # loaded when the reader works in Jupyter; never imported here
    try:
        shell = ipython.get_ipython() if ipython is not None else None
        label = shell.compile.format_code_name(filename) if shell is not None else None
    except Exception:   # an IPython without format_code_name
        label = None
    return f"cell {label[1]}" if label else Path(filename).name


def _reader_frames(err, limit=3):
    """The last frames of the reader's own code in err's traceback, two lines each."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if not str(Path(f.filename).resolve()).startswith(_PACKAGE)]
    lines = []
    for f in frames[-limit:]:
        lines.append(f"  {_where(f.filename)}, line {f.lineno}, in {f.name}")
        if f.line:
            lines.append(f"    {f.line.strip()}")
    return lines


def call(name, fn, _copy_args=True, **args):
    """fn(*args.values()) on copies; the reader's exceptions become a short CheckFailed."""
    __tracebackhide__ = True
    try:
        return fn(*(_copy(list(args.values())) if _copy_args else args.values()))
    except NotImplementedError:
        code = getattr(fn, "__code__", None)
        where = f" ({_where(code.co_filename)})" if code is not None else ""
        raise NotImplementedYet(f"not implemented yet: replace the `raise NotImplementedError()` line "
                                f"in {getattr(fn, '__name__', name)}{where}, run that cell, then this one.") from None
    except Exception as err:
        called = ", ".join(f"{k}={_describe(v)}" for k, v in args.items())
        lines = [f"{name} raised {type(err).__name__}: {err}", f"  when called with {called}"]
        raise CheckFailed(lines + _reader_frames(err)) from err


def unpack(name, result, names, case):
    """The reader's tuple of len(names) outputs, or a clear CheckFailed."""
    __tracebackhide__ = True
    if len(names) == 1:
        return (result,)
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = type(result).__name__
        if isinstance(result, (tuple, list)):
            got += f" of {len(result)}"
        raise CheckFailed(f"{name} should return a tuple ({', '.join(names)}), got {got} ({case})") from None
    return tuple(result)


def number(name, out, got, case, *, integer=False, kind=None):
    """The reader's scalar as a float (or int), or a CheckFailed naming what came instead.

    kind says what the answer should be, in the message (default: an integer or a real number).
    """
    __tracebackhide__ = True
    kind = kind or ("an integer" if integer else "a real number")
    if isinstance(got, np.ndarray) and got.ndim > 0:
        raise CheckFailed(f"{name}: {out} should be {kind}, got an array of shape {got.shape} ({case})") from None
    if isinstance(got, (complex, np.complexfloating)) or (isinstance(got, np.ndarray) and np.iscomplexobj(got)):
        raise CheckFailed(f"{name}: {out} should be {kind}, got the complex number {got!r} ({case}): "
                          "a square root or logarithm of a negative number?") from None
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating, np.ndarray)):
        raise CheckFailed(f"{name}: {out} should be {kind}, got {type(got).__name__} {got!r} ({case})") from None
    return int(got) if integer and isinstance(got, (int, np.integer)) else float(got)


def as_real(value):
    """value as a float64 array, or None if it is complex or no array at all (for the diagnoses)."""
    if np.iscomplexobj(value):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def passed(name, what, n_cases, sizes, tol=TOL):
    print(f"PASS {name}: {what} in {n_cases} cases ({sizes}); max rel. error < {tol:.0e}")


# ---------------------------------------------------------------- measuring the symptom
def _ratio(got, want):
    """The constant c with got = c * want, if there is one (to 1e-6), else None."""
    big = np.abs(want) > 1e-8 * max(1.0, float(np.max(np.abs(want), initial=0.0)))
    if not big.any() or np.any(np.abs(got[~big]) > 1e-6 * np.max(np.abs(got), initial=1.0)):
        return None
    r = got[big] / want[big]
    if not np.allclose(r, r.flat[0], rtol=1e-6, atol=0):
        return None
    # one or two entries always have "a constant ratio": then only a flipped sign says something
    return float(r.flat[0]) if r.size >= 3 or abs(r.flat[0] + 1) < 1e-6 else None


class Symptom:
    """What is wrong with one output: kind in {'ok', 'type', 'shape', 'transposed', 'complex', 'nan', 'value'}."""

    def __init__(self, kind, err=None, ratio=None, blocks=None, swapped=None):
        self.kind, self.err, self.ratio, self.blocks, self.swapped = kind, err, ratio, blocks, swapped


def _blocks(got, want, names, axis):
    """Which gate blocks along axis are off, and whether two of them traded places."""
    k = len(names)
    g_parts, w_parts = np.split(got, k, axis=axis), np.split(want, k, axis=axis)
    off = [n for n, a, b in zip(names, g_parts, w_parts, strict=True) if rel_error(a, b) > TOL]
    swapped = None
    if len(off) == 2:
        p, q = names.index(off[0]), names.index(off[1])
        if rel_error(g_parts[p], w_parts[q]) < TOL and rel_error(g_parts[q], w_parts[p]) < TOL:
            swapped = tuple(off)
    return off, swapped


class Report:
    """Compares the outputs of one case and raises once, with a report of about ten lines."""

    def __init__(self, name, case, tol=TOL):
        self.name, self.case, self.tol = name, case, tol
        self.symptoms, self.lines, self.right = {}, [], []

    def wrong(self, out, text):
        """An output that is wrong in a way the caller measured itself."""
        self.symptoms[out] = Symptom("value")
        self.lines.append(f"{out}: {text}")

    def compare(self, out, got, want, *, blocks=None, axis=0):
        """Compare one array output; blocks names the gate blocks along axis (e.g. 'ifgo')."""
        want = np.asarray(want, dtype=np.float64)
        if isinstance(got, (np.ndarray, np.generic, int, float, complex)) and np.iscomplexobj(got):
            self.symptoms[out] = Symptom("complex")
            self.lines.append(f"{out}: holds complex numbers; every output of this exercise is real")
            return
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            self.symptoms[out] = Symptom("type")
            expected = "a number" if want.ndim == 0 else f"a numpy array of shape {want.shape}"
            self.lines.append(f"{out}: expected {expected}, got {type(got).__name__}")
            return
        if got.shape != want.shape:
            kind = "transposed" if got.ndim == 2 and got.shape == want.shape[::-1] else "shape"
            self.symptoms[out] = Symptom(kind)
            expected = "a number" if want.ndim == 0 else want.shape
            self.lines.append(f"{out}: shape {got.shape}, expected {expected}")
        elif not np.all(np.isfinite(got)):
            self.symptoms[out] = Symptom("nan")
            self.lines.append(f"{out} {want.shape}: holds NaN or inf (an overflow?)")
        else:
            err = rel_error(got, want)
            if err <= self.tol:
                self.symptoms[out] = Symptom("ok", err)
                self.right.append(out)
                return
            s = Symptom("value", err, ratio=_ratio(got, want))
            if blocks and want.ndim > axis and want.shape[axis] % len(blocks) == 0 and want.shape[axis] > 0:
                s.blocks, s.swapped = _blocks(got, want, blocks, axis)
            self.symptoms[out] = s
            detail = ""
            if s.ratio is not None and abs(s.ratio + 1) < 1e-6:
                detail = ", the sign is flipped"
            elif s.ratio is not None:
                detail = f", {s.ratio:.4g} times the right value"
            elif s.swapped:
                detail = f", blocks {s.swapped[0]} and {s.swapped[1]} trade places"
            elif s.blocks and len(s.blocks) < len(blocks):
                detail = f", only in block{'s' if len(s.blocks) > 1 else ''} {', '.join(s.blocks)}"
            self.lines.append(f"{out} {want.shape}: max rel. error {err:.1e}{detail}")

    def grads(self, got, want, *, blocks=None):
        """Compare a grads dict with the keys of params; blocks names the gate rows."""
        if not isinstance(got, dict) or sorted(got) != sorted(want):
            keys = sorted(got) if isinstance(got, dict) else type(got).__name__
            self.wrong("grads", f"expected a dict with keys {sorted(want)}, got {keys}")
            return
        for k in GRAD_NAMES:
            self.compare(f"grads['{k}']", got[k], want[k], blocks=blocks, axis=0)

    # -- what the symptoms say, for the diagnose functions of the chapters
    def off(self, *outs):
        """True if every named output is wrong (outs may end with '*' to mean every grads entry)."""
        return all(self._kind(o) != "ok" for o in self._expand(outs))

    def ok(self, *outs):
        return all(self._kind(o) == "ok" for o in self._expand(outs))

    def kind(self, out):
        return self._kind(out)

    def every_output_off(self):
        return bool(self.symptoms) and all(s.kind != "ok" for s in self.symptoms.values())

    def block_sets(self):
        """The set of off blocks over every output that has blocks, and any swap seen."""
        sets = [tuple(s.blocks) for s in self.symptoms.values() if s.kind == "value" and s.blocks is not None]
        swaps = {s.swapped for s in self.symptoms.values() if s.kind == "value" and s.swapped}
        return set(sets), swaps

    def ratios(self):
        return {o: s.ratio for o, s in self.symptoms.items() if s.kind == "value"}

    def _kind(self, out):
        return self.symptoms[out].kind if out in self.symptoms else "ok"

    def _expand(self, outs):
        return [f"grads['{k}']" for k in GRAD_NAMES] if outs == ("grads",) else list(outs)

    def done(self, diagnose=None, max_lines=8):
        """Raise the report if anything was wrong; diagnose(report) -> the likely cause, or None."""
        __tracebackhide__ = True
        if not self.lines:
            return
        shown = self.lines[:max_lines - 1] if len(self.lines) > max_lines else self.lines
        lines = [f"{self.name} is wrong for {self.case} (tolerance {self.tol:.0e}):"]
        lines += [f"  {line}" for line in shown]
        if len(shown) < len(self.lines):
            lines.append(f"  ... and {len(self.lines) - len(shown)} more")
        if self.right:
            lines.append(f"  right: {', '.join(self.right)}")
        cause = _sign(self) or (diagnose(self) if diagnose else None) or generic_cause(self)
        if cause:
            lines.append(f"  likely cause: {cause}")
        raise CheckFailed(lines) from None


def _sign(rep):
    ratios = list(rep.ratios().values())
    if ratios and all(r is not None and abs(r + 1) < 1e-6 for r in ratios):
        return "the sign: a missing minus, or a difference taken the other way round"
    return None


def generic_cause(rep):
    """The cause that the symptoms alone suggest, whatever the exercise."""
    kinds = {s.kind for s in rep.symptoms.values()}
    if "complex" in kinds:
        return "a square root or logarithm of a negative number, or complex arithmetic; use real numpy functions"
    if "transposed" in kinds:
        return ("an output has the transposed shape: the gradient of W has W's shape, and a row vector "
                "times W from the right (dL/da @ W) maps (N, rows of W) to (N, columns of W)")
    if "shape" in kinds:
        return "compare each output's shape with the shape of what it is the gradient (or value) of"
    if "nan" in kinds:
        return "an overflow: exp of a large number, or a division by a number that can be 0"
    ratios = [r for r in rep.ratios().values() if r is not None]
    if ratios and len(ratios) == len(rep.ratios()):
        return "a constant factor: a mean where a sum is asked for (or back), or a term counted twice"
    return None


# ---------------------------------------------------------------- comparing the reader's source
def _statements(func):
    """The statements of func's body as normalised lines (no docstring, comments or layout), or None."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):   # no source to read (built in a string, or a lambda in a call)
        return None
    defs = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    if not defs:
        return None
    body = defs[0].body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]                                          # the docstring
    return [line.strip() for line in ast.unparse(ast.Module(body=body, type_ignores=[])).splitlines()]


def changed_lines(func, given):
    """How many statement lines func changes, inserts or deletes against given; None without source."""
    mine, theirs = _statements(func), _statements(given)
    if mine is None or theirs is None:
        return None
    ops = difflib.SequenceMatcher(a=theirs, b=mine, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def same_outputs(got, want, tol=TOL):
    """True if got equals want output by output (arrays, numbers, dicts of them), each within tol.

    For recognising a known mistake exactly: compare the reader's outputs with what that mistake gives.
    """
    if isinstance(want, dict):
        return isinstance(got, dict) and sorted(got) == sorted(want) and all(
            same_outputs(got[k], want[k], tol) for k in want)
    if isinstance(want, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(want)
                and all(same_outputs(a, b, tol) for a, b in zip(got, want, strict=True)))
    a, b = as_real(got), as_real(want)
    return a is not None and b is not None and a.shape == b.shape and bool(np.all(np.isfinite(a))) and (
        rel_error(a, b) <= tol)


def known_mistake(got, mistakes, tol=TOL):
    """The message of the first (message, outputs) in mistakes whose outputs equal got, else None."""
    return next((message for message, want in mistakes if same_outputs(got, want, tol)), None)
