"""Argument checks shared by the core modules.

Every public function of lstmkit checks what it is given and raises a ValueError that names the
argument, what was expected and what arrived, so a mistake stops at the line that made it instead
of travelling on as a silent broadcast or a NaN.

The rules every module follows:

- Arrays are plain numpy arrays (a masked array is refused: its masked entries would be computed
  with) of float32 or float64 (float16 loses the digits a gradient check needs, longdouble is not
  what torch or BLAS compute in: both are refused), finite, of the right rank and shape. The layer
  inputs are not copied on the way in; what a cache needs is copied, so editing an argument in
  place after a call cannot change a later backward.
- Sizes: every size T, N, D, H is at least 1. An empty sequence, batch, input or hidden layer is
  refused with a ValueError in every layer (rnn, lstm, gru, variants, readout) rather than given a
  meaning of its own in some of them.
- Scalars: a number is an int or a float (numpy's included), never a bool, a string or a complex
  number, and finite; integers are not floats that happen to be whole; seeds are integers >= 0.
- A value of the wrong *type* (a string where a number belongs, a list as a choice) raises
  ``ArgumentTypeError``, which is both a TypeError (Python's convention) and a ValueError (this
  package's promise); a value of the right type but out of range raises a ValueError.
"""
import numbers

import numpy as np

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type: a TypeError by Python's convention, a ValueError by lstmkit's."""


def _shape(dims):
    """(T, N, 3) written the way the error messages show shapes."""
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def check_params(params, gates, name="params"):
    """Check a torch-layout parameter dict; return (D, H, dtype).

    gates is the number of stacked blocks in the weights: 1 for the RNN, 4 for the LSTM (i, f, g, o).
    """
    if not isinstance(params, dict):
        raise ValueError(f"{name}: expected a dict of numpy arrays with keys {list(PARAM_NAMES)}, "
                         f"got {type(params).__name__}")
    missing = [k for k in PARAM_NAMES if k not in params]
    extra = [k for k in params if k not in PARAM_NAMES]
    if missing or extra:
        raise ValueError(f"{name}: expected keys {list(PARAM_NAMES)}, got {sorted(params)} "
                         f"(missing {missing}, extra {extra})")
    for k in PARAM_NAMES:
        check_float_array(f"{name}['{k}']", params[k])
    w_hh = params["weight_hh"]
    if w_hh.ndim != 2 or w_hh.shape[0] != gates * w_hh.shape[1]:
        raise ValueError(f"{name}['weight_hh']: expected shape ({gates}*H, H), got {_shape(w_hh.shape)}")
    H = w_hh.shape[1]
    dtype = w_hh.dtype
    w_ih = params["weight_ih"]
    if w_ih.ndim != 2 or w_ih.shape[0] != gates * H:
        raise ValueError(f"{name}['weight_ih']: expected shape ({gates * H}, D), got {_shape(w_ih.shape)}")
    D = w_ih.shape[1]
    if H == 0 or D == 0:
        raise ValueError(f"{name}: expected at least one input and one hidden unit (D >= 1, H >= 1), "
                         f"got D={D}, H={H}")
    for k in ("bias_ih", "bias_hh"):
        if params[k].shape != (gates * H,):
            raise ValueError(f"{name}['{k}']: expected shape ({gates * H},), got {_shape(params[k].shape)}")
    for k in PARAM_NAMES:
        if params[k].dtype != dtype:
            raise ValueError(f"{name}['{k}']: expected dtype {dtype} like {name}['weight_hh'], "
                             f"got {params[k].dtype}")
    return D, H, dtype


def check_float_array(name, a):
    """a must be a finite numpy array of floats (integers would silently truncate updates)."""
    if not isinstance(a, np.ndarray):
        raise ArgumentTypeError(f"{name}: expected a numpy array, got {type(a).__name__}")
    if isinstance(a, np.ma.MaskedArray):   # its masked entries would be computed with, silently or not at all
        raise ArgumentTypeError(f"{name}: expected a plain numpy array, got a masked array (pass "
                                f"{name}.filled(value) to say what its masked entries hold)")
    if a.dtype not in FLOAT_DTYPES:
        raise ValueError(f"{name}: expected a floating dtype (float32 or float64), got {a.dtype}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: expected finite values, got {int(np.sum(~np.isfinite(a)))} NaN or inf")


def check_array(name, a, shape, dtype, labels=None):
    """Check that a is a finite float array of the given shape (None = any size) and dtype.

    labels names each axis in the message, e.g. ("T", "N", "D").
    """
    check_float_array(name, a)
    labels = labels or [None] * len(shape)
    want = _shape([lab if s is None else (f"{lab}={s}" if lab and lab != str(s) else s)
                   for s, lab in zip(shape, labels, strict=False)])
    if a.ndim != len(shape):
        raise ValueError(f"{name}: expected {len(shape)} dimensions {want}, got shape {_shape(a.shape)}")
    if any(s is not None and s != n for s, n in zip(shape, a.shape, strict=True)):
        raise ValueError(f"{name}: expected shape {want}, got {_shape(a.shape)}")
    if 0 in a.shape:
        raise ValueError(f"{name}: expected every size >= 1 in {want}, got shape {_shape(a.shape)}")
    if a.dtype != dtype:
        raise ValueError(f"{name}: expected dtype {dtype} (the dtype of the params; no silent upcast), "
                         f"got {a.dtype}")
    return a.shape


def check_choice(name, value, choices):
    """value must be one of choices (a string, usually); a list or array is refused, not hashed."""
    try:
        hash(value)
    except TypeError:
        raise ArgumentTypeError(f"{name}: expected one of {sorted(choices)}, got {type(value).__name__} "
                                f"{value!r}") from None
    if isinstance(value, bool) or value not in choices:
        raise ValueError(f"{name}: expected one of {sorted(choices)}, got {value!r}")
    return value


def is_integer(value):
    """True for int and numpy integers, False for bool (True is not the number 1 here)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value):
    """True for real numbers (int, float, numpy's), False for bool, complex, strings and arrays."""
    return (isinstance(value, numbers.Real) or isinstance(value, (np.integer, np.floating))) \
        and not isinstance(value, (bool, np.bool_))


def check_int(name, value, lo=None, hi=None, what=None):
    """value must be an integer (not a bool, not a whole float) in [lo, hi]; returns it as an int.

    what replaces the generic wording, e.g. "a positive integer".
    """
    what = what or "an integer" + (f" >= {lo}" if lo is not None and hi is None else "") + \
        (f" in [{lo}, {hi}]" if lo is not None and hi is not None else "")
    if not is_integer(value):
        raise ArgumentTypeError(f"{name}: expected {what}, got {type(value).__name__} {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(f"{name}: expected {what}, got {value!r}")
    return int(value)


def check_positive_int(name, value):
    """value must be an integer >= 1; a string, float or bool is an ArgumentTypeError, 0 a ValueError."""
    return check_int(name, value, lo=1, what="a positive integer")


def check_seed(name, value):
    """A seed for np.random.default_rng: an integer >= 0."""
    return check_int(name, value, lo=0, what="a seed (an integer >= 0)")


def check_number(name, value, lo=-np.inf, hi=np.inf, *, lo_open=False, hi_open=False, what=None):
    """value must be a finite real number in the interval from lo to hi; returns it as a float.

    lo_open/hi_open exclude the end points. Strings, complex numbers, bools and arrays are refused
    with ArgumentTypeError, NaN and infinities with a ValueError.
    """
    if what is None:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        if lo == -np.inf and hi == np.inf:
            what = "a finite number"
        elif hi == np.inf:
            what = f"a finite number {'>' if lo_open else '>='} {lo:g}"
        elif lo == -np.inf:
            what = f"a finite number {'<' if hi_open else '<='} {hi:g}"
        else:
            what = f"a number in {left}{lo:g}, {hi:g}{right}"
    if not is_real(value):
        raise ArgumentTypeError(f"{name}: expected {what}, got {type(value).__name__} {value!r}")
    v = float(value)
    if not np.isfinite(v) or v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
        raise ValueError(f"{name}: expected {what}, got {value!r}")
    return v


def as_real_array(name, value):
    """value (an array, a list, a number) as a float64 array; complex, strings, None and objects refused."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise ArgumentTypeError(f"{name}: expected real numbers, got {arr.dtype} ({type(value).__name__})")
    return arr.astype(np.float64)


def check_bool(name, value):
    """value must be True or False (numpy's bool included); returns a Python bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{name}: expected True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_callable(name, fn, what="a function"):
    if not callable(fn):
        raise ArgumentTypeError(f"{name}: expected {what} (a callable), got {type(fn).__name__}")
    return fn






def check_nonnegative_number(name, value):
    """value must be a finite real number >= 0; returns it as a float."""
    return check_number(name, value, 0.0, what="a finite number >= 0")


def check_positive_number(name, value):
    """value must be a finite real number > 0; returns it as a float."""
    return check_number(name, value, 0.0, lo_open=True, what="a finite number > 0")


def check_rng(rng, name="rng"):
    """rng must be a np.random.Generator (one seeded generator, passed explicitly)."""
    if not isinstance(rng, np.random.Generator):
        raise ArgumentTypeError(f"{name}: expected a np.random.Generator, got {type(rng).__name__}")
    return rng


def check_float_dtype(dtype, name="dtype"):
    """dtype must name float32 or float64; returns it as a np.dtype."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ArgumentTypeError(f"{name}: expected a floating dtype (float32 or float64), got {dtype!r}") from None
    if dt not in FLOAT_DTYPES:
        raise ValueError(f"{name}: expected a floating dtype (float32 or float64), got {dt}")
    return dt


def check_optional_finite(name, value):
    """value must be None or a finite number (a bias to fill in)."""
    if value is None:
        return None
    return check_number(name, value, what="a finite number or None")


def check_state_pair(name, pair, parts, shape, dtype):
    """An LSTM state or its gradient: None (zeros) or a tuple of two arrays of shape (N, H).

    parts names the two halves in messages, e.g. ("h0", "c0") or ("dhT", "dcT"); returns them as
    given (not copied), or two new zero arrays for None.
    """
    if pair is None:
        return np.zeros(shape, dtype=dtype), np.zeros(shape, dtype=dtype)
    if not (isinstance(pair, tuple) and len(pair) == 2):
        raise ValueError(f"{name}: expected a tuple ({parts[0]}, {parts[1]}) or None, got {type(pair).__name__}")
    for k, (part, a) in enumerate(zip(parts, pair, strict=True)):
        check_array(f"{name}[{k}] ({part})", a, shape, dtype, ("N", "H"))
    return pair






def check_step_cache(cache, step_type, source):
    """cache must be a step cache made by source (another layer's cache has other fields)."""
    if not isinstance(cache, step_type):
        raise ArgumentTypeError(f"cache: expected the step cache returned by {source} ({step_type.__qualname__} "
                                f"of {step_type.__module__}), got {type(cache).__module__}.{type(cache).__qualname__}")


def check_step_backward(cache, step_type, source, like, **upstream):
    """A step backward's arguments: cache made by source, and each upstream gradient (dh, dc) shaped
    and typed like the cache's field ``like``, an (N, H) array."""
    check_step_cache(cache, step_type, source)
    state = getattr(cache, like)
    for name, grad in upstream.items():
        check_array(name, grad, state.shape, state.dtype, ("N", "H"))






def check_state(name, state, shape, dtype):
    """An RNN/GRU state or its gradient: None (zeros) or an array of shape (N, H); returns it."""
    if state is None:
        return np.zeros(shape, dtype=dtype)
    check_array(name, state, shape, dtype, ("N", "H"))
    return state
