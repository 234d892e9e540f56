"""Gradient checking: compare a hand-written backward pass with centred finite differences.

CS231n's conventions (assignment 1-3, ``gradient_check.py``): the relative error
max|a - b| / max(1e-8, |a| + |b|) and an upstream gradient ``df`` that turns a vector-valued
function into the scalar sum(f(x) * df). In float64, errors below about 1e-7 mean the backward is
right; 1e-4 to 1e-2 usually means a bug; above that it is certainly wrong.
Taught in chapter 01.
"""
import numpy as np

from lstmkit._validate import (
    ArgumentTypeError,
    check_bool,
    check_callable,
    check_float_array,
    check_positive_number,
)
from lstmkit._validate import as_real_array as _as_real_array


def rel_error(a, b):
    """CS231n's relative error: max |a - b| / max(1e-8, |a| + |b|), elementwise. Defined in chapter 01."""
    a, b = _as_real_array("a", a), _as_real_array("b", b)
    if a.shape != b.shape:
        raise ValueError(f"b: expected the shape of a {a.shape}, got {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f, x, df, h=1e-5):
    """Centred finite differences of sum(f(x) * df) with respect to x.

    f is called as f(x) while single entries of x are nudged in place by +-h (and restored), so
    x may be an array that f reads through a closure, e.g. params["weight_hh"].
    df is the upstream gradient, shaped like f(x) (use 1.0 for a scalar f). Returns an array
    shaped like x. Defined in chapter 02.
    """
    check_callable("f", f)
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x: expected a floating numpy array, got {getattr(x, 'dtype', type(x).__name__)}")
    check_float_array("x", x)      # float32 or float64: float16 cannot resolve a step of 1e-5
    if not x.flags.writeable:
        raise ValueError("x: expected a writeable array (its entries are nudged in place), got a read-only one")
    h = check_positive_number("h", h)
    out = _output(f, x)
    df = _as_real_array("df", df)
    if df.ndim and df.shape != out.shape:
        raise ValueError(f"df: expected the shape of f(x) {out.shape} (or a number), got {df.shape}")
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
    """f(x) as a float64 copy; None, complex or non-finite results are refused, naming f."""
    value = f(x)
    try:
        out = _as_real_array("f", value)
    except ArgumentTypeError:
        raise ArgumentTypeError(f"f: expected f(x) to return real numbers, got {type(value).__name__} "
                                f"{getattr(value, 'dtype', '')}".rstrip()) from None
    if not np.all(np.isfinite(out)):
        raise ValueError("f: expected finite values of f(x), got NaN or inf")
    return np.array(out, copy=True)


def check_gradients(f, inputs, analytic, h=1e-5, verbose=True):
    """Check every gradient of a forward/backward pair.

    f() recomputes a scalar loss from the arrays in ``inputs`` (a dict name -> array that f reads);
    analytic maps the same names to the gradients the backward pass gave. Returns a dict
    name -> relative error and, if verbose, prints one line per name at fixed precision.
    Defined in chapter 01.
    """
    check_callable("f", f)
    for name, d in (("inputs", inputs), ("analytic", analytic)):
        if not isinstance(d, dict):
            raise ArgumentTypeError(f"{name}: expected a dict name -> numpy array, got {type(d).__name__}")
    verbose = check_bool("verbose", verbose)
    missing = [k for k in analytic if k not in inputs]
    if missing:
        raise ValueError(f"analytic: expected only names found in inputs {sorted(inputs)}, got extra {missing}")
    errors = {}
    for name, grad in analytic.items():
        num = numerical_gradient(lambda _: f(), inputs[name], 1.0, h=h)
        errors[name] = rel_error(num, grad)
        if verbose:
            print(f"{name:>12s}: relative error {errors[name]:.1e}")
    return errors
