"""Gradient checking: compare a hand-written backward pass with centred finite differences.

CS231n's conventions (assignment 1-3, ``gradient_check.py``): the relative error
max|a - b| / max(1e-8, |a| + |b|) and an upstream gradient ``df`` that turns a vector-valued
function into the scalar sum(f(x) * df). In float64, errors below about 1e-7 mean the backward is
right; 1e-4 to 1e-2 usually means a bug; above that it is certainly wrong.
Taught in chapter 01.
"""
import numpy as np

from lstmkit._plumbing import checked
from lstmkit._validate import (
    ArgumentTypeError,
    check_bool,
    check_callable,
    check_float_array,
    check_positive_number,
)
from lstmkit._validate import as_real_array as _as_real_array


def _check_rel_error(a, b, names=("a", "b")):
    """a and b: real numbers of one shape, finite (a NaN would make the error NaN, which no bound catches).

    names: what the two are called in the caller's words, e.g. ("numerical gradient", "analytic['w']").
    """
    a, b = _as_real_array(names[0], a), _as_real_array(names[1], b)
    if a.shape != b.shape:
        raise ValueError(f"{names[1]}: expected the shape of {names[0]} {a.shape}, got {b.shape}")
    for name, v in zip(names, (a, b), strict=True):
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name}: expected finite values, got {int(np.sum(~np.isfinite(v)))} NaN or inf")


@checked(_check_rel_error, copies=False)
def rel_error(a, b):
    """CS231n's relative error: max |a - b| / max(1e-8, |a| + |b|), elementwise. Defined in chapter 01."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _check_numerical_gradient(f, x, df, h):
    check_callable("f", f)
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x: expected a floating numpy array, got {getattr(x, 'dtype', type(x).__name__)}")
    check_float_array("x", x)      # float32 or float64: float16 cannot resolve a step of 1e-5
    if not x.flags.writeable:
        raise ValueError("x: expected a writeable array (its entries are nudged in place), got a read-only one")
    check_positive_number("h", h)
    out = _output(f, x)
    df = _as_real_array("df", df)
    if df.ndim and df.shape != out.shape:
        raise ValueError(f"df: expected the shape of f(x) {out.shape} (or a number), got {df.shape}")


@checked(_check_numerical_gradient, copies=False)
def numerical_gradient(f, x, df, h=1e-5):
    """Centred finite differences of sum(f(x) * df) with respect to x.

    f is called as f(x) while single entries of x are nudged in place by +-h (and restored), so
    x may be an array that f reads through a closure, e.g. params["weight_hh"].
    df is the upstream gradient, shaped like f(x) (use 1.0 for a scalar f). Returns an array
    shaped like x. Defined in chapter 02.
    """
    df = np.asarray(df, dtype=np.float64)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    for _ in it:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        plus = _output(f, x)
        x[ix] = old - h
        minus = _output(f, x)
        x[ix] = old
        grad[ix] = np.sum((plus - minus) * df) / (2 * h)
    return grad


def _output(f, x):
    """f(x) as a float64 copy; an error inside f, None, complex or non-finite results are refused, naming f."""
    try:
        value = f(x)
    except Exception as err:   # noqa: BLE001  any error of the caller's f: say it came from f
        raise ValueError(f"f: expected f(x) to return a value, but calling it raised "
                         f"{type(err).__name__}: {err}") from err
    try:
        out = _as_real_array("f", value)
    except ArgumentTypeError:
        raise ArgumentTypeError(f"f: expected f(x) to return real numbers, got {type(value).__name__} "
                                f"{getattr(value, 'dtype', '')}".rstrip()) from None
    if not np.all(np.isfinite(out)):
        raise ValueError("f: expected finite values of f(x), got NaN or inf")
    return np.array(out, copy=True)


def _check_check_gradients(f, inputs, analytic, h, verbose):
    check_callable("f", f)
    for name, d in (("inputs", inputs), ("analytic", analytic)):
        if not isinstance(d, dict):
            raise ArgumentTypeError(f"{name}: expected a dict name -> numpy array, got {type(d).__name__}")
    check_bool("verbose", verbose)
    missing = [k for k in analytic if k not in inputs]
    if missing:
        raise ValueError(f"analytic: expected only names found in inputs {sorted(inputs)}, got extra {missing}")
    for name, grad in analytic.items():   # before any finite difference is computed
        x = inputs[name]
        check_float_array(f"inputs['{name}']", x)
        _check_rel_error(x, grad, (f"inputs['{name}']", f"analytic['{name}']"))


@checked(_check_check_gradients, copies=False)
def check_gradients(f, inputs, analytic, h=1e-5, verbose=True):
    """Check every gradient of a forward/backward pair.

    f() recomputes a scalar loss from the arrays in ``inputs`` (a dict name -> array that f reads);
    analytic maps the same names to the gradients the backward pass gave. Returns a dict
    name -> relative error and, if verbose, prints one line per name at fixed precision.
    Defined in chapter 01.
    """
    errors = {}
    for name, grad in analytic.items():
        num = numerical_gradient(lambda _: f(), inputs[name], 1.0, h=h)
        errors[name] = rel_error(num, grad)
        if verbose:
            print(f"{name:>12s}: relative error {errors[name]:.1e}")
    return errors
