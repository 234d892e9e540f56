"""The layers' plumbing: drawing and unpacking parameters, private copies for caches, and the
decorator that keeps a function's argument check out of its maths.

None of this is mathematics and none of it is argument checking (that is ``_validate``): it is
the piping every layer shares, so that rnn, lstm, gru and variants show only their equations.
"""
import functools
import inspect

import numpy as np

from lstmkit._validate import (
    PARAM_NAMES,
    check_float_dtype,
    check_optional_finite,
    check_positive_int,
    check_rng,
)


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


def own(value):
    """A private copy of an array, or of a dict of arrays (params), for a cache to keep.

    A cache that kept the caller's arrays would change if the caller edited them in place between
    forward and backward, and the gradients with it, silently.
    """
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: own(v) for k, v in value.items()}
    return value


class Replace(dict):
    """What a check returns to hand the function other arguments, by name: a caller's callable wrapped
    so that a wrong result names that argument, as the check cannot see results before the call."""


def checked(check, *, copies=True):
    """Decorator: run check(*args, **kwargs) before the function, so the function shows only its maths.

    check is called with every argument of the call, the function's defaults filled in, so it takes
    the function's parameters without repeating their defaults. What it returns is not used, unless
    it is a ``Replace``: then those arguments are replaced before the call.

    The function gets private copies of its array (and params dict) arguments, and the arrays it
    returns are copied too (a step's new c is also in its cache), so a cache never shares memory
    with anything the caller holds. The function without the check (and without the copies) stays
    reachable as ``.unchecked``, for loops whose arguments were checked, and copied, once before
    the loop; the check alone as ``.check``, for a caller that checks arguments it passes on later.
    copies=False is for functions that keep nothing and return new arrays: the check
    only, and the function's result as it is.
    """
    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def run(*args, **kwargs):
            # the check sees every argument, the defaults filled in: it needs no defaults of its own
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            replace = check(*bound.args, **bound.kwargs)
            if isinstance(replace, Replace):
                bound.arguments.update(replace)
                args, kwargs = bound.args, bound.kwargs
            if not copies:
                return fn(*args, **kwargs)
            args = [own(a) for a in args]
            kwargs = {k: own(v) for k, v in kwargs.items()}
            return tuple(own(out) for out in fn(*args, **kwargs))
        run.unchecked = fn
        run.check = check
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


def deprecated_alias(old, new):
    """Make module ``old`` a deprecated name of module ``new``: warn once, at the importer's line,
    and hand every attribute over. Returns (__getattr__, __dir__) for the old module to keep."""
    import importlib
    import warnings

    module = importlib.import_module(new)
    warnings.warn(f"{old} is deprecated and will be removed in lstmkit 0.4: import {new} instead",
                  DeprecationWarning, stacklevel=3)   # 3: past this function and the old module

    def __getattr__(name):
        return getattr(module, name)

    def __dir__():
        return dir(module)
    return __getattr__, __dir__
