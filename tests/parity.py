"""One harness for the layers' gradient tests: the problems, the two references, the tolerances.

Every recurrent layer of lstmkit (rnn, lstm, gru and the LSTM variants) follows one contract,
forward(x, state0, params, *, fused=False) -> (hs, stateT, cache) and backward(dhs, cache, dstate)
-> (dx, dstate0, grads), so one loss serves them all:

    L = sum_t <h_t, dhs_t> + <stateT, dstate>        (every output and the final state carry gradient)

and the same two references check every layer: centred finite differences and torch autograd.
LAYERS run the loop (forward's default); FUSED_LAYERS are the layers that have a fused path, run
with fused=True, so both paths meet both references.

Tolerances, stated once:
- FD_TOL = 1e-7 (relative, CS231n's rel_error): centred differences with h = 1e-5 in float64 are
  accurate to ~1e-9 relative on these smooth functions (truncation error O(h^2)); 1e-7 leaves room
  for cancellation near zero and still catches a missing factor (errors of 1e-2 and more).
- FD_ATOL = 1e-9: the absolute accuracy of finite differences on these O(1) losses is ~1e-10
  (truncation h^2 and rounding eps/h), so an entry whose gradient is tiny or exactly zero (the rows
  of a gate a variant removes) can show a large *relative* error with a correct backward; such an
  array passes if every entry is within 1e-9. A wrong term is off by far more (> 1e-4 on these draws).
- TORCH_TOL = 1e-9: torch and numpy compute the same float64 arithmetic in a different order, which
  costs ~1e-15 relative; 1e-9 is loose on purpose, a wrong term is off by more than 1e-3.
"""
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pytest

from lstmkit import gru, lstm, rnn, variants
from lstmkit.gradcheck import numerical_gradient, rel_error

FD_TOL, FD_ATOL, TORCH_TOL = 1e-7, 1e-9, 1e-9

try:
    import torch
except ImportError:        # the numpy core must work without torch; only these references skip
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


@dataclass(frozen=True)
class Layer:
    """One recurrent layer under the common contract, and how torch computes it (if it can)."""
    name: str
    forward: object          # forward(x, state0, params, *, fused=False) -> (hs, stateT, cache)
    backward: object         # backward(dhs, cache, dstate) -> (dx, dstate0, grads)
    init: object             # init(D, H, rng) -> params
    pair: bool               # the state is (h, c) rather than h
    to_torch: object = None  # params -> a torch module with the same weights, or None


def _variant(name):
    return Layer(f"variants.{name}", partial(variants.forward, variant=name), variants.backward,
                 lambda D, H, rng: variants.init_params(D, H, rng=rng, variant=name, forget_bias=0.5), True)


def _torch_module(kind, activation=None):
    def build(params):
        from lstmkit import interop
        if kind == "rnn":
            return interop.rnn_to_torch(params, activation)
        return getattr(interop, f"{kind}_to_torch")(params)
    return build


LAYERS = [
    Layer("rnn.tanh", rnn.forward, rnn.backward, lambda D, H, rng: rnn.init_params(D, H, rng=rng), False,
          _torch_module("rnn", "tanh")),
    Layer("rnn.relu", partial(rnn.forward, activation="relu"), rnn.backward,
          lambda D, H, rng: rnn.init_params(D, H, rng=rng), False, _torch_module("rnn", "relu")),
    Layer("lstm", lstm.forward, lstm.backward, lambda D, H, rng: lstm.init_params(D, H, rng=rng), True,
          _torch_module("lstm")),
    Layer("gru", gru.forward, gru.backward, lambda D, H, rng: gru.init_params(D, H, rng=rng), False,
          _torch_module("gru")),
] + [_variant(name) for name in ("peephole", "coupled", "no_forget", "no_output_activation")]
LAYER_IDS = [layer.name for layer in LAYERS]
# the layers whose forward(..., fused=True) runs lstmkit._fused (the others run their loop either way)
FUSED_LAYERS = [replace(layer, name=f"{layer.name}.fused", forward=partial(layer.forward, fused=True))
                for layer in LAYERS if layer.name in ("rnn.tanh", "rnn.relu", "lstm")]
FUSED_IDS = [layer.name for layer in FUSED_LAYERS]


def parts(state):
    """The arrays of a state: [h] or [h, c]."""
    return list(state) if isinstance(state, tuple) else [state]


def make_problem(layer, rng, T, N, D, H, scale=1.0):
    """params, x (T, N, D), state0, dhs (T, N, H) and dstate, every array drawn from rng in float64.

    scale multiplies the drawn parameters: larger weights push the gates away from 0.5, where more
    mistakes show.
    """
    params = {k: scale * v for k, v in layer.init(D, H, rng).items()}
    x = rng.standard_normal((T, N, D))
    draw = lambda: rng.standard_normal((N, H))  # noqa: E731
    state0, dstate = ((draw(), draw()), (draw(), draw())) if layer.pair else (draw(), draw())
    return params, x, state0, rng.standard_normal((T, N, H)), dstate


def loss(layer, x, state0, params, dhs, dstate):
    """L = sum_t <h_t, dhs_t> + <stateT, dstate>, from a fresh forward pass."""
    hs, stateT, _ = layer.forward(x, state0, params)
    return np.sum(hs * dhs) + sum(np.sum(s * d) for s, d in zip(parts(stateT), parts(dstate), strict=True))


def assert_close(name, analytic, numeric, tol=FD_TOL, atol=0.0):
    """rel_error below tol, or (for an exactly-zero gradient) every entry within atol."""
    err = rel_error(analytic, numeric)
    assert err < tol or np.max(np.abs(analytic - numeric)) <= atol, f"{name}: rel. error {err:.2e}"


def check_against_finite_differences(layer, params, x, state0, dhs, dstate):
    """backward's every gradient (x, each part of state0, each parameter) against centred differences."""
    _, _, cache = layer.forward(x, state0, params)
    dx, dstate0, grads = layer.backward(dhs, cache, dstate)
    f = lambda _: loss(layer, x, state0, params, dhs, dstate)  # noqa: E731
    assert_close("dx", dx, numerical_gradient(f, x, 1.0), atol=FD_ATOL)
    for k, (d, s) in enumerate(zip(parts(dstate0), parts(state0), strict=True)):
        assert_close(f"dstate0[{k}]", d, numerical_gradient(f, s, 1.0), atol=FD_ATOL)
    assert sorted(grads) == sorted(params)
    for k in params:
        assert_close(k, grads[k], numerical_gradient(f, params[k], 1.0), atol=FD_ATOL)


def lstmkit_gradients(layer, params, x, state0, dhs, dstate):
    """The layer's forward and backward on the loss above, named as interop.torch_gradients names them:
    "hs", "hT" (and "cT"), "x", "h0" (and "c0") and one entry per parameter."""
    hs, stateT, cache = layer.forward(x, state0, params)
    dx, dstate0, grads = layer.backward(dhs, cache, dstate)
    names = ("h", "c") if layer.pair else ("h",)
    found = {"hs": hs, "x": dx, **grads}
    for n, s_T, d_0 in zip(names, parts(stateT), parts(dstate0), strict=True):
        found[f"{n}T"], found[f"{n}0"] = s_T, d_0
    return found


def torch_reference(layer, params, x, state0, dhs, dstate, module=None):
    """torch's outputs and gradients of the same loss, as numpy arrays, named as lstmkit_gradients names
    them: from module (a torch module with params' weights, e.g. the one they were read from), else
    from layer.to_torch(params), in float64."""
    from lstmkit import interop

    module = layer.to_torch(params) if module is None else module
    return interop.torch_gradients(module, x, state0, dhs, dstate)


def check_against_torch(layer, params, x, state0, dhs, dstate, module=None):
    """forward (outputs, final state) and backward (x, initial state, parameters) against torch."""
    ref = torch_reference(layer, params, x, state0, dhs, dstate, module)
    ours = lstmkit_gradients(layer, params, x, state0, dhs, dstate)
    assert sorted(ours) == sorted(ref)
    # forward: hs, hT (, cT)
    for k in ("hs", "hT", "cT"):
        if k in ours:
            assert_close(k, ours[k], ref[k], TORCH_TOL)
    # backward: x, h0 (, c0) and every parameter
    for k in ("x", "h0", "c0", *params):
        if k in ours:
            assert_close(k, ours[k], ref[k], TORCH_TOL)
