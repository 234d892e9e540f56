"""The gated recurrent unit (GRU), forward and backward through time, in numpy.

    a_r = W_ir x_t + b_ir + W_hr h_{t-1} + b_hr        r_t = sigmoid(a_r)   reset gate
    a_z = W_iz x_t + b_iz + W_hz h_{t-1} + b_hz        z_t = sigmoid(a_z)   update gate
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))                candidate
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

Exactly torch.nn.GRU's layer 0 (without ``_l0``): weight_ih (3H, D), weight_hh (3H, H),
bias_ih (3H,), bias_hh (3H,), gate rows in the order r, z, n. Two details of torch's formula that
other texts write differently: the reset gate multiplies W_hn h_{t-1} + b_hn *after* the matmul
(Cho et al. 2014 put it before: W_hn (r * h_{t-1})), and z_t weighs the *old* state, so z_t near 1
keeps h: z plays the LSTM forget gate's role and dh_t/dh_{t-1} contains diag(z_t).

References: Cho et al. (2014), "Learning phrase representations using RNN encoder-decoder";
Chung et al. (2014), "Empirical evaluation of gated recurrent neural networks on sequence
modeling"; the torch.nn.GRU documentation. Taught in chapters/06_beyond_lstm.ipynb. The module reads top to
bottom: the step, its backward, then the sequence as a loop over the step. There is no fused path:
a backward that batched the weight gradients over all steps measured less than 10 % faster than
this loop (benchmarks/README.md), so it was not worth a second copy of the equations.
"""
from typing import NamedTuple

import numpy as np

from lstmkit._plumbing import checked, init_uniform, own, sequence_shape, unpack
from lstmkit._validate import (
    check_array,
    check_bool,
    check_params,
    check_state,
    check_step_backward,
)
from lstmkit.functional import sigmoid


def init_params(input_size, hidden_size, *, rng, dtype=np.float64, update_bias=None):
    """Parameters drawn like torch.nn.GRU: every entry from U(-1/sqrt(H), 1/sqrt(H)).

    Returns weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,), rows r, z, n.
    update_bias, when given, fills the update-gate block of bias_ih (rows H:2H, the rows the LSTM's
    forget gate has too) and zeroes that of bias_hh, so z starts near sigmoid(update_bias): the GRU's
    counterpart of the LSTM's forget bias. Defined in chapter 06.
    """
    return init_uniform(input_size, hidden_size, 3, rng, dtype, update_bias, "update_bias")


class StepCache(NamedTuple):
    """What step_forward keeps for step_backward (a tuple: cache[1] is h_prev)."""
    x_t: np.ndarray       # (N, D)
    h_prev: np.ndarray    # (N, H)
    r: np.ndarray         # (N, H) each: the gates and the candidate
    z: np.ndarray
    n: np.ndarray
    hn: np.ndarray        # (N, H): h_prev W_hn^T + b_hn, the term the reset gate multiplies
    params: dict


def _check_step_forward(x_t, h_prev, params):
    D, H, dtype = check_params(params, gates=3)
    N, _ = check_array("x_t", x_t, (None, D), dtype, ("N", "D"))
    check_array("h_prev", h_prev, (N, H), dtype, ("N", "H"))


@checked(_check_step_forward)
def step_forward(x_t, h_prev, params):
    """One time step: x_t (N, D), h_prev (N, H) -> h (N, H), cache. Defined in chapter 06."""
    W_ih, W_hh, b_ih, b_hh = unpack(params)
    gi = x_t @ W_ih.T + b_ih                      # (N, 3H)
    gh = h_prev @ W_hh.T + b_hh                   # (N, 3H)
    gi_r, gi_z, gi_n = np.split(gi, 3, axis=1)    # each (N, H), torch's row order
    gh_r, gh_z, hn = np.split(gh, 3, axis=1)
    r = sigmoid(gi_r + gh_r)      # reset gate: how much of the old state the candidate sees
    z = sigmoid(gi_z + gh_z)      # update gate: how much of the old state to keep
    n = np.tanh(gi_n + r * hn)    # candidate; torch resets *after* the matmul
    h = (1.0 - z) * n + z * h_prev
    return h, StepCache(x_t, h_prev, r, z, n, hn, params)


def projection_gradients(dh, cache):
    """dLoss/d(gi) and dLoss/d(gh), each (N, 3H), and the direct part z * dh of dh_prev.

    dh (N, H) is dLoss/dh_t in total; gi = x_t W_ih^T + b_ih, gh = h_prev W_hh^T + b_hh.
    Used by ``step_backward``, chapter 06.
    """
    x_t, h_prev, r, z, n, hn, params = cache
    # h = (1 - z) * n + z * h_prev
    dn = dh * (1.0 - z)
    dz = dh * (h_prev - n)
    dh_prev = dh * z                        # the direct path: z near 1 carries the gradient back
    # n = tanh(gi_n + r * hn)
    da_n = dn * (1.0 - n ** 2)              # dLoss / d(gi_n), (N, H)
    dr = da_n * hn
    dhn = da_n * r                          # dLoss / d(hn): the reset gate scales this path
    # r = sigmoid(a_r), z = sigmoid(a_z)
    da_r = dr * r * (1.0 - r)
    da_z = dz * z * (1.0 - z)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)   # (N, 3H): dLoss / d(x W_ih^T + b_ih)
    dgh = np.concatenate([da_r, da_z, dhn], axis=1)    # (N, 3H): dLoss / d(h W_hh^T + b_hh)
    return dgi, dgh, dh_prev


def _check_step_backward(dh, cache):
    check_step_backward(cache, StepCache, "gru.step_forward", "h_prev", dh=dh)


@checked(_check_step_backward)
def step_backward(dh, cache):
    """Backward of one step: dh (N, H) is dLoss/dh_t in total (from the output and from t+1).

    Returns dx (N, D), dh_prev (N, H) and grads shaped like params. Defined in chapter 06.
    """
    x_t, h_prev, params = cache.x_t, cache.h_prev, cache.params
    W_ih, W_hh, _, _ = unpack(params)
    dgi, dgh, dh_prev = projection_gradients(dh, cache)
    dx = dgi @ W_ih                         # (N, D)
    dh_prev = dh_prev + dgh @ W_hh          # (N, H): the direct path plus the one through all three gates
    grads = {
        "weight_ih": dgi.T @ x_t,           # (3H, D)
        "weight_hh": dgh.T @ h_prev,        # (3H, H)
        "bias_ih": dgi.sum(axis=0),         # (3H,)
        "bias_hh": dgh.sum(axis=0),         # (3H,)
    }
    return dx, dh_prev, grads


def forward(x, state0, params, *, fused=False):
    """Run the GRU over a sequence: step_forward at every t, h carried from step to step.

    x (T, N, D), state0 = h0 (N, H) or None for zeros. Returns hs (T, N, H), the final state hT
    (N, H) and cache, the list of the T step caches. The GRU has no fused path (see the module
    docstring), so fused=True runs the same loop: the switch is there so that every layer takes the
    same arguments. Defined in chapter 06.
    """
    check_bool("fused", fused)
    D, H, dtype = check_params(params, gates=3)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    h = check_state("state0 (h0)", state0, (N, H), dtype)
    x, h, params = own(x), own(h), own(params)   # the caches keep them: the caller may edit theirs
    hs, caches = np.empty((T, N, H), dtype=dtype), []
    step = step_forward.unchecked   # its arguments were checked above, once
    for t in range(T):
        h, cache = step(x[t], h, params)
        hs[t] = h
        caches.append(cache)
    return hs, h.copy(), caches


def backward(dhs, cache, dstate=None):
    """Backpropagation through time: step_backward from the last step to the first.

    dhs (T, N, H) is dLoss/dh_t from the outputs at every t (zeros where the loss ignores h_t), or
    None for zeros; dstate is an optional dhT (N, H), the gradient on the final state.
    Returns dx (T, N, D), dh0 (N, H) and grads shaped like params, summed over time.
    Defined in chapter 06.
    """
    T, N, H, dtype = sequence_shape(cache, (), StepCache, "gru.forward")
    dhs = np.zeros((T, N, H), dtype=dtype) if dhs is None else dhs
    check_array("dhs", dhs, (T, N, H), dtype, ("T", "N", "H"))
    dh = check_state("dstate", dstate, (N, H), dtype)
    dx = np.empty((T, N, cache[0].x_t.shape[1]), dtype=dtype)
    grads = {k: np.zeros_like(v) for k, v in cache[0].params.items()}
    for t in reversed(range(T)):
        dx[t], dh, step_grads = step_backward.unchecked(dhs[t] + dh, cache[t])   # dh: from the output and from t+1
        for k in grads:
            grads[k] += step_grads[k]
    return dx, dh, grads
