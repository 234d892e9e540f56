"""The LSTM cell and layer, forward and backward through time, in numpy.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh              (4H,) split into blocks i, f, g, o
    i_t = sigmoid(a_i)   f_t = sigmoid(a_f)   g_t = tanh(a_g)   o_t = sigmoid(a_o)
    c_t = f_t * c_{t-1} + i_t * g_t                          the cell state (the "carousel")
    h_t = o_t * tanh(c_t)

Layout is exactly torch.nn.LSTM's layer 0 (without ``_l0``): weight_ih (4H, D), weight_hh (4H, H),
bias_ih (4H,), bias_hh (4H,), gate rows in the order i, f, g, o, and g is the *candidate*, not the
input gate. CS231n's assignment orders the gates i, f, o, g and stores transposed weights (Wx (D, 4H)),
so its numbers do not map onto these rows one to one.

References: Hochreiter & Schmidhuber (1997), "Long short-term memory"; Gers, Schmidhuber & Cummins
(2000), "Learning to forget"; the torch.nn.LSTM documentation.
Taught in chapters/03_lstm_cell.ipynb and chapters/04_lstm_bptt.ipynb. The module reads top to
bottom: the step, its backward, then the sequence as a loop over the step, which is what ``forward``
runs; ``forward(..., fused=True)`` runs ``lstmkit._fused`` instead, the same equations fused for
speed, and ``backward`` follows the cache it is given.
"""
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lstmkit import _fused
from lstmkit._plumbing import checked, init_uniform, own, sequence_shape, unpack
from lstmkit._validate import (
    check_array,
    check_bool,
    check_params,
    check_state_pair,
    check_step_backward,
)
from lstmkit.functional import sigmoid


def init_params(input_size, hidden_size, *, rng, dtype=np.float64, forget_bias=None):
    """Parameters drawn like torch.nn.LSTM: every entry from U(-1/sqrt(H), 1/sqrt(H)).

    Returns weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,), rows i, f, g, o.
    forget_bias, when given, fills the forget block of bias_ih (rows H:2H) and zeroes that of
    bias_hh, so the forget gate starts at sigmoid(forget_bias) for a zero input (Gers et al. 2000).
    Defined in chapter 03.
    """
    return init_uniform(input_size, hidden_size, 4, rng, dtype, forget_bias, "forget_bias")


class StepCache(NamedTuple):
    """What step_forward keeps for step_backward (a tuple: cache[3:7] are the gates)."""
    x_t: np.ndarray       # (N, D)
    h_prev: np.ndarray    # (N, H)
    c_prev: np.ndarray    # (N, H)
    i: np.ndarray         # (N, H) each: the gates after their nonlinearities
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    tanh_c: np.ndarray    # (N, H)
    params: dict


def _check_step_forward(x_t, h_prev, c_prev, params):
    D, H, dtype = check_params(params, gates=4)
    N, _ = check_array("x_t", x_t, (None, D), dtype, ("N", "D"))
    check_array("h_prev", h_prev, (N, H), dtype, ("N", "H"))
    check_array("c_prev", c_prev, (N, H), dtype, ("N", "H"))


@checked(_check_step_forward)
def step_forward(x_t, h_prev, c_prev, params):
    """One time step.

    x_t (N, D), h_prev (N, H), c_prev (N, H) -> h (N, H), c (N, H), cache. Defined in chapter 03.
    """
    W_ih, W_hh, b_ih, b_hh = unpack(params)
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh   # (N, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)          # each (N, H), torch's row order
    i = sigmoid(a_i)     # input gate: how much of the candidate to write
    f = sigmoid(a_f)     # forget gate: how much of the old cell to keep
    g = np.tanh(a_g)     # candidate value
    o = sigmoid(a_o)     # output gate: how much of the cell to show
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, StepCache(x_t, h_prev, c_prev, i, f, g, o, tanh_c, params)


def _check_step_backward(dh, dc, cache):
    check_step_backward(cache, StepCache, "lstm.step_forward", "c_prev", dh=dh, dc=dc)


@checked(_check_step_backward)
def step_backward(dh, dc, cache):
    """Backward of one step.

    dh (N, H) is dLoss/dh_t in total, dc (N, H) is dLoss/dc_t arriving from step t+1.
    Returns dx (N, D), dh_prev (N, H), dc_prev (N, H) and grads shaped like params.
    Defined in chapter 04.
    """
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, params = cache
    W_ih, W_hh, _, _ = unpack(params)
    # h = o * tanh(c)
    do = dh * tanh_c
    dc = dc + dh * o * (1.0 - tanh_c ** 2)   # the cell gets gradient from h_t and from c_{t+1}
    # c = f * c_prev + i * g
    df = dc * c_prev
    di = dc * g
    dg = dc * i
    dc_prev = dc * f                         # dc_t/dc_{t-1} = f_t: the carousel's gradient path
    # gates from their pre-activations
    da_i = di * i * (1.0 - i)
    da_f = df * f * (1.0 - f)
    da_g = dg * (1.0 - g ** 2)
    da_o = do * o * (1.0 - o)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)   # (N, 4H)
    dx = da @ W_ih                           # (N, D)
    dh_prev = da @ W_hh                      # (N, H)
    grads = {
        "weight_ih": da.T @ x_t,             # (4H, D)
        "weight_hh": da.T @ h_prev,          # (4H, H)
        "bias_ih": da.sum(axis=0),           # (4H,)
        "bias_hh": da.sum(axis=0),           # (4H,)
    }
    return dx, dh_prev, dc_prev, grads


@dataclass
class LSTMCache:
    """What forward(..., fused=True) keeps for backward: whole-sequence arrays, no per-step tuples.

    x (T, N, D); hs (T+1, N, H) and cs (T+1, N, H): step t reads hs[t], cs[t] and writes hs[t+1],
    cs[t+1] (hs[0], cs[0] = h0, c0); gates (T, N, 4H): i, f, g, o after their nonlinearities;
    tanh_c (T, N, H). cache[t] is step t's StepCache (views, no copies), so the cache reads as the
    loop's list of step caches.
    """
    x: np.ndarray
    hs: np.ndarray
    cs: np.ndarray
    gates: np.ndarray
    tanh_c: np.ndarray
    params: dict

    @property
    def shape(self):
        """(T, N, H, dtype)."""
        return (*self.tanh_c.shape, self.tanh_c.dtype)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, t):
        t = range(len(self))[t]
        i, f, g, o = np.split(self.gates[t], 4, axis=1)
        return StepCache(self.x[t], self.hs[t], self.cs[t], i, f, g, o, self.tanh_c[t], self.params)


def forward(x, state0, params, *, fused=False):
    """Run the LSTM over a sequence: step_forward at every t, (h, c) carried from step to step.

    x (T, N, D); state0 = (h0, c0), each (N, H), or None for zeros.
    Returns hs (T, N, H), the final state (hT, cT) and cache, the list of the T step caches.
    fused=True computes the same equations with lstmkit._fused, faster (training asks for it), and
    returns an LSTMCache instead; backward takes either. Defined in chapter 03.
    """
    fused = check_bool("fused", fused)
    D, H, dtype = check_params(params, gates=4)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    h, c = check_state_pair("state0", state0, ("h0", "c0"), (N, H), dtype)
    x, h, c, params = own(x), own(h), own(c), own(params)   # the cache keeps them: the caller may edit theirs
    if fused:
        hs, cs, gates, tanh_c = _fused.lstm_forward(x, h, c, params)   # hs, cs (T+1, N, H) from h0, c0
        # outputs are copied so that a caller who edits them cannot change the cache
        return hs[1:].copy(), (hs[T].copy(), cs[T].copy()), LSTMCache(x, hs, cs, gates, tanh_c, params)
    hs, caches = np.empty((T, N, H), dtype=dtype), []
    step = step_forward.unchecked   # its arguments were checked above, once
    for t in range(T):
        h, c, cache = step(x[t], h, c, params)
        hs[t] = h
        caches.append(cache)
    return hs, (h.copy(), c.copy()), caches


def backward(dhs, cache, dstate=None):
    """Backpropagation through time: step_backward from the last step to the first.

    dhs (T, N, H) is dLoss/dh_t from the outputs at every t, or None for zeros; dstate is an
    optional (dhT, dcT), the gradient on the final state. Returns dx (T, N, D), (dh0, dc0) and
    grads shaped like params, summed over time. The cache of forward(..., fused=True) is
    backpropagated by lstmkit._fused, the list of step caches by the loop below.
    Defined in chapter 04.
    """
    T, N, H, dtype = sequence_shape(cache, LSTMCache, StepCache, "lstm.forward")
    dhs = np.zeros((T, N, H), dtype=dtype) if dhs is None else dhs
    check_array("dhs", dhs, (T, N, H), dtype, ("T", "N", "H"))
    dh, dc = check_state_pair("dstate", dstate, ("dhT", "dcT"), (N, H), dtype)
    if isinstance(cache, LSTMCache):
        return _fused.lstm_backward(dhs, cache, dh, dc)
    dx = np.empty((T, N, cache[0].x_t.shape[1]), dtype=dtype)
    grads = {k: np.zeros_like(v) for k, v in cache[0].params.items()}
    for t in reversed(range(T)):
        dx[t], dh, dc, step_grads = step_backward.unchecked(dhs[t] + dh, dc, cache[t])   # dc: the carousel
        for k in grads:
            grads[k] += step_grads[k]
    return dx, (dh, dc), grads
