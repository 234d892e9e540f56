"""The vanilla (Elman) recurrent network, forward and backward through time, in numpy.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        h_t = f(a_t)

Parameters are named and shaped as torch.nn.RNN's layer 0 (without the ``_l0`` suffix), so a
torch ``state_dict`` round-trips through ``lstmkit.interop``. Sequences are time-major (T, N, D).

References: Elman (1990), "Finding structure in time"; Werbos (1990), "Backpropagation through
time"; CS231n assignment 3 (``rnn_layers.py``), whose forward/backward pairs this module follows.
Taught in chapters/01_rnn_bptt.ipynb and chapters/02_vanishing_gradients.ipynb. The module reads
top to bottom: the step, its backward, then the sequence as a loop over the step, which is what
``forward`` runs; ``forward(..., fused=True)`` runs ``lstmkit._fused`` instead, the same equations
fused for speed, and ``backward`` follows the cache it is given.
"""
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lstmkit import _fused
from lstmkit._plumbing import checked, init_uniform, own, sequence_shape, unpack
from lstmkit._validate import (
    check_array,
    check_bool,
    check_choice,
    check_params,
    check_state,
    check_step_backward,
)
from lstmkit.functional import ACTIVATIONS, sigmoid  # noqa: F401  (rnn.sigmoid: the chapters import it from here)


def init_params(input_size, hidden_size, *, rng, dtype=np.float64, identity=False):
    """Parameters drawn like torch.nn.RNN: every entry from U(-1/sqrt(H), 1/sqrt(H)).

    Returns {"weight_ih": (H, D), "weight_hh": (H, H), "bias_ih": (H,), "bias_hh": (H,)}.
    rng is a np.random.Generator (one seeded generator, passed explicitly).
    identity=True is the IRNN's start (Le, Jaitly & Hinton 2015, used with activation "relu"):
    weight_hh = I and both biases 0, so h_t = relu(h_{t-1} + W_ih x_t) copies a non-negative
    state forward unchanged; weight_ih keeps torch's draw, and the generator advances as without
    it. Defined in chapter 01.
    """
    if not isinstance(identity, (bool, np.bool_)):
        raise ValueError(f"identity: expected True or False, got {identity!r}")
    params = init_uniform(input_size, hidden_size, 1, rng, dtype)
    if identity:
        params["weight_hh"] = np.eye(hidden_size, dtype=params["weight_hh"].dtype)
        params["bias_ih"][:] = 0.0
        params["bias_hh"][:] = 0.0
    return params


class StepCache(NamedTuple):
    """What step_forward keeps for step_backward (a tuple: cache[2] is a)."""
    x_t: np.ndarray       # (N, D)
    h_prev: np.ndarray    # (N, H)
    a: np.ndarray         # (N, H), the pre-activation
    params: dict
    activation: str


def _check_step_forward(x_t, h_prev, params, activation="tanh"):
    check_choice("activation", activation, ACTIVATIONS)
    D, H, dtype = check_params(params, gates=1)
    N, _ = check_array("x_t", x_t, (None, D), dtype, ("N", "D"))
    check_array("h_prev", h_prev, (N, H), dtype, ("N", "H"))


@checked(_check_step_forward)
def step_forward(x_t, h_prev, params, activation="tanh"):
    """One time step: x_t (N, D), h_prev (N, H) -> h (N, H), cache. Defined in chapter 01."""
    W_ih, W_hh, b_ih, b_hh = unpack(params)
    f, _ = ACTIVATIONS[activation]
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh   # (N, H)
    h = f(a)
    return h, StepCache(x_t, h_prev, a, params, activation)


def _check_step_backward(dh, cache):
    check_step_backward(cache, StepCache, "rnn.step_forward", "h_prev", dh=dh)


@checked(_check_step_backward)
def step_backward(dh, cache):
    """Backward of one step: dh (N, H) is dLoss/dh_t in total (from the output and from t+1).

    Returns dx (N, D), dh_prev (N, H) and grads, a dict shaped like params. Defined in chapter 01.
    """
    x_t, h_prev, a, params, activation = cache
    W_ih, W_hh, _, _ = unpack(params)
    _, df = ACTIVATIONS[activation]
    da = dh * df(a)               # (N, H): the error signal delta_t = f'(a_t) * dh_t
    dx = da @ W_ih                # (N, D)
    dh_prev = da @ W_hh           # (N, H): what flows back to t-1 through W_hh
    grads = {
        "weight_ih": da.T @ x_t,      # (H, D)
        "weight_hh": da.T @ h_prev,   # (H, H)
        "bias_ih": da.sum(axis=0),    # (H,)
        "bias_hh": da.sum(axis=0),    # (H,)
    }
    return dx, dh_prev, grads


@dataclass
class RNNCache:
    """What forward(..., fused=True) keeps for backward: whole-sequence arrays, no per-step tuples.

    x (T, N, D); hs (T+1, N, H): step t reads hs[t] and writes hs[t+1] (hs[0] = h0);
    a (T, N, H): the pre-activations. cache[t] is step t's StepCache (views, no copies), so the
    cache reads as the loop's list of step caches.
    """
    x: np.ndarray
    hs: np.ndarray
    a: np.ndarray
    params: dict
    activation: str

    @property
    def shape(self):
        """(T, N, H, dtype)."""
        return (*self.a.shape, self.a.dtype)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, t):
        t = range(len(self))[t]
        return StepCache(self.x[t], self.hs[t], self.a[t], self.params, self.activation)


def forward(x, state0, params, *, activation="tanh", fused=False):
    """Run the RNN over a sequence: step_forward at every t, h carried from step to step.

    x (T, N, D), state0 = h0 (N, H) or None for zeros; activation is a name in ACTIVATIONS.
    Returns hs (T, N, H), the final state hT (N, H) and cache, the list of the T step caches.
    fused=True computes the same equations with lstmkit._fused, faster (training asks for it),
    and returns an RNNCache instead; backward takes either. Defined in chapter 01.
    """
    check_choice("activation", activation, ACTIVATIONS)
    fused = check_bool("fused", fused)
    D, H, dtype = check_params(params, gates=1)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    h = check_state("state0 (h0)", state0, (N, H), dtype)
    x, h, params = own(x), own(h), own(params)   # the cache keeps them: the caller may edit theirs
    if fused:
        hs, a = _fused.rnn_forward(x, h, params, activation)   # hs (T+1, N, H) from h0, a (T, N, H)
        # outputs are copied so that a caller who edits them cannot change the cache
        return hs[1:].copy(), hs[T].copy(), RNNCache(x, hs, a, params, activation)
    hs, caches = np.empty((T, N, H), dtype=dtype), []
    step = step_forward.unchecked   # its arguments were checked above, once
    for t in range(T):
        h, cache = step(x[t], h, params, activation)
        hs[t] = h
        caches.append(cache)
    return hs, h.copy(), caches


def backward(dhs, cache, dstate=None):
    """Backpropagation through time: step_backward from the last step to the first.

    dhs (T, N, H) is dLoss/dh_t from the outputs at every t (zeros where the loss ignores h_t), or
    None for zeros; dstate is an optional dhT (N, H), the gradient on the final state.
    Returns dx (T, N, D), dh0 (N, H) and grads shaped like params, summed over time. The cache of
    forward(..., fused=True) is backpropagated by lstmkit._fused, the list of step caches by the
    loop below. Defined in chapter 01.
    """
    T, N, H, dtype = sequence_shape(cache, RNNCache, StepCache, "rnn.forward")
    dhs = np.zeros((T, N, H), dtype=dtype) if dhs is None else dhs
    check_array("dhs", dhs, (T, N, H), dtype, ("T", "N", "H"))
    dh = check_state("dstate", dstate, (N, H), dtype)
    if isinstance(cache, RNNCache):
        return _fused.rnn_backward(dhs, cache, dh)
    dx = np.empty((T, N, cache[0].x_t.shape[1]), dtype=dtype)
    grads = {k: np.zeros_like(v) for k, v in cache[0].params.items()}
    for t in reversed(range(T)):
        dx[t], dh, step_grads = step_backward.unchecked(dhs[t] + dh, cache[t])   # dh: from the output and from t+1
        for k in grads:
            grads[k] += step_grads[k]
    return dx, dh, grads
