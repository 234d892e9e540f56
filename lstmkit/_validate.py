"""Argument checks shared by the core modules.

Every public function of lstmkit checks what it is given and raises a ValueError that names the
argument, what was expected and what arrived, so a mistake stops at the line that made it instead
of travelling on as a silent broadcast or a NaN.
"""
import functools

import numpy as np

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


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
        raise ValueError(f"{name}: expected a numpy array, got {type(a).__name__}")
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"{name}: expected a floating dtype (float32 or float64), got {a.dtype}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: expected finite values, got {int(np.sum(~np.isfinite(a)))} NaN or inf")


def check_array(name, a, shape, dtype, labels=None):
    """Check that a is a finite float array of the given shape (None = any size) and dtype.

    labels names each axis in the message, e.g. ("T", "N", "D").
    """
    check_float_array(name, a)
    labels = labels or [None] * len(shape)
    want = _shape([lab if s is None else (f"{lab}={s}" if lab else s) for s, lab in zip(shape, labels, strict=False)])
    if a.ndim != len(shape):
        raise ValueError(f"{name}: expected {len(shape)} dimensions {want}, got shape {_shape(a.shape)}")
    if any(s is not None and s != n for s, n in zip(shape, a.shape, strict=True)):
        raise ValueError(f"{name}: expected shape {want}, got {_shape(a.shape)}")
    if a.dtype != dtype:
        raise ValueError(f"{name}: expected dtype {dtype} (the dtype of the params; no silent upcast), "
                         f"got {a.dtype}")
    return a.shape


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name}: expected one of {sorted(choices)}, got {value!r}")


def check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")


def init_uniform(input_size, hidden_size, gates, rng, dtype, memory_bias=None, memory_bias_name=None):
    """Check init_params' arguments, then draw torch's default: every entry from U(-1/sqrt(H), 1/sqrt(H)).

    Returns weight_ih (gates*H, D), weight_hh (gates*H, H), bias_ih (gates*H,), bias_hh (gates*H,),
    drawn in that order (so a seed gives the same numbers whichever module asks). memory_bias, when
    given, fills rows H:2H of bias_ih (the LSTM's forget gate, the GRU's update gate) and zeroes those
    of bias_hh; memory_bias_name names it in the message.
    """
    check_optional_finite(memory_bias_name, memory_bias)
    params = _draw_uniform(input_size, hidden_size, gates, rng, dtype)
    if memory_bias is not None:
        H = hidden_size
        params["bias_ih"][H:2 * H] = memory_bias
        params["bias_hh"][H:2 * H] = 0.0
    return params


def _draw_uniform(input_size, hidden_size, gates, rng, dtype):
    check_positive_int("input_size", input_size)
    check_positive_int("hidden_size", hidden_size)
    check_rng(rng)
    check_float_dtype(dtype)
    D, G = input_size, gates * hidden_size
    k = 1.0 / np.sqrt(hidden_size)
    shapes = {"weight_ih": (G, D), "weight_hh": (G, hidden_size), "bias_ih": (G,), "bias_hh": (G,)}
    return {name: rng.uniform(-k, k, size=s).astype(dtype) for name, s in shapes.items()}


def check_nonnegative_number(name, value):
    """value must be a finite real number >= 0; returns it as a float."""
    if isinstance(value, bool) or not np.isscalar(value) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def check_positive_number(name, value):
    """value must be a finite real number > 0; returns it as a float."""
    if isinstance(value, bool) or not np.isscalar(value) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


def check_rng(rng):
    """rng must be a np.random.Generator (one seeded generator, passed explicitly)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a np.random.Generator, got {type(rng).__name__}")


def check_float_dtype(dtype):
    """dtype must name a floating dtype (float32 or float64)."""
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(f"dtype: expected a floating dtype, got {np.dtype(dtype)}")


def check_optional_finite(name, value):
    """value must be None or a finite number (a bias to fill in)."""
    if value is not None and not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number or None, got {value!r}")


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


def checked(check):
    """Decorator: run check(*args, **kwargs) before the function, so the function shows only its maths.

    The function without the check stays reachable as ``.unchecked``, for loops whose arguments
    were checked once before the loop.
    """
    def decorate(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            check(*args, **kwargs)
            return fn(*args, **kwargs)
        run.unchecked = fn
        return run
    return decorate


def unpack(params):
    """(weight_ih, weight_hh, bias_ih, bias_hh) of a torch-layout parameter dict."""
    return tuple(params[k] for k in PARAM_NAMES)


def sequence_shape(cache, fused_type, step_type, source):
    """(T, N, H, dtype) of a sequence cache: fused_type, or a non-empty list of step_type caches.

    source names the function that makes such caches, for the message.
    """
    if isinstance(cache, fused_type):
        return cache.shape
    if isinstance(cache, list) and cache and all(isinstance(s, step_type) for s in cache):
        N, H = cache[0].h_prev.shape
        return len(cache), N, H, cache[0].h_prev.dtype
    raise ValueError(f"cache: expected the cache returned by {source}, got {type(cache).__name__}")


def check_state(name, state, shape, dtype):
    """An RNN/GRU state or its gradient: None (zeros) or an array of shape (N, H); returns it."""
    if state is None:
        return np.zeros(shape, dtype=dtype)
    check_array(name, state, shape, dtype, ("N", "H"))
    return state
