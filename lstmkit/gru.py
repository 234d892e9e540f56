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
modeling"; the torch.nn.GRU documentation. Taught in chapters/06_beyond_lstm.ipynb.
"""
from dataclasses import dataclass

import numpy as np

from lstmkit._validate import check_array, check_optional_finite, check_params, init_uniform
from lstmkit.rnn import sigmoid


def init_params(input_size, hidden_size, *, rng, dtype=np.float64, update_bias=None):
    """Parameters drawn like torch.nn.GRU: every entry from U(-1/sqrt(H), 1/sqrt(H)).

    Returns weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,), rows r, z, n.
    update_bias, when given, fills the update-gate block of bias_ih (rows H:2H, the rows the LSTM's
    forget gate has too) and zeroes that of bias_hh, so z starts near sigmoid(update_bias): the GRU's
    counterpart of the LSTM's forget bias. Defined in chapter 06.
    """
    check_optional_finite("update_bias", update_bias)
    params = init_uniform(input_size, hidden_size, 3, rng, dtype)
    H = hidden_size
    if update_bias is not None:
        params["bias_ih"][H:2 * H] = update_bias
        params["bias_hh"][H:2 * H] = 0.0
    return params


def step_forward(x_t, h_prev, params):
    """One time step.

    x_t (N, D), h_prev (N, H) -> h (N, H), cache = (x_t, h_prev, r, z, n, hn, params), where
    hn = h_prev W_hn^T + b_hn (N, H) is the term the reset gate multiplies. Defined in chapter 06.
    """
    D, H, dtype = check_params(params, gates=3)
    N, _ = check_array("x_t", x_t, (None, D), dtype, ("N", "D"))
    check_array("h_prev", h_prev, (N, H), dtype, ("N", "H"))
    gi = x_t @ params["weight_ih"].T + params["bias_ih"]   # (N, 3H)
    return _step_forward(gi, x_t, h_prev, params)


def _step_forward(gi, x_t, h_prev, params):
    """The step from the input projection gi = x_t W_ih^T + b_ih (N, 3H), already computed."""
    gh = h_prev @ params["weight_hh"].T + params["bias_hh"]   # (N, 3H)
    gi_r, gi_z, gi_n = np.split(gi, 3, axis=1)                # each (N, H), torch's row order
    gh_r, gh_z, hn = np.split(gh, 3, axis=1)
    r = sigmoid(gi_r + gh_r)      # reset gate: how much of the old state the candidate sees
    z = sigmoid(gi_z + gh_z)      # update gate: how much of the old state to keep
    n = np.tanh(gi_n + r * hn)    # candidate; torch resets *after* the matmul
    h = (1.0 - z) * n + z * h_prev
    return h, (x_t, h_prev, r, z, n, hn, params)


def step_backward(dh, cache):
    """Backward of one step: dh (N, H) is dLoss/dh_t in total (from the output and from t+1).

    Returns dx (N, D), dh_prev (N, H) and grads shaped like params. Defined in chapter 06.
    """
    h_prev = cache[1]
    check_array("dh", dh, h_prev.shape, h_prev.dtype, ("N", "H"))
    return _step_backward(dh, cache)


def _step_backward(dh, cache):
    x_t, h_prev, params = cache[0], cache[1], cache[-1]
    dgi, dgh, dh_prev = _gate_gradients(dh, cache)
    dx = dgi @ params["weight_ih"]          # (N, D)
    dh_prev += dgh @ params["weight_hh"]    # (N, H): the path through all three gates
    grads = {
        "weight_ih": dgi.T @ x_t,           # (3H, D)
        "weight_hh": dgh.T @ h_prev,        # (3H, H)
        "bias_ih": dgi.sum(axis=0),         # (3H,)
        "bias_hh": dgh.sum(axis=0),         # (3H,)
    }
    return dx, dh_prev, grads


def _gate_gradients(dh, cache):
    """dLoss/d(gi) and dLoss/d(gh), each (N, 3H), and the direct part z * dh of dh_prev."""
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


@dataclass
class _GRUCache:
    """What gru.forward keeps for gru.backward: the T step caches, in order. Opaque to callers."""
    steps: list
    x: np.ndarray
    params: dict

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, t):
        return self.steps[t]


def forward(x, h0, params):
    """Run the GRU over a sequence.

    x (T, N, D), h0 (N, H) or None for zeros -> hs (T, N, H), cache. Defined in chapter 06.

    The input projections x_t W_ih^T + b_ih of every step are one matmul before the loop (they do
    not depend on h); each step is then _step_forward.
    """
    D, H, dtype = check_params(params, gates=3)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    if h0 is None:
        h0 = np.zeros((N, H), dtype=dtype)
    check_array("h0", h0, (N, H), dtype, ("N", "H"))
    gis = (x.reshape(T * N, D) @ params["weight_ih"].T).reshape(T, N, 3 * H) + params["bias_ih"]  # (T, N, 3H)
    hs, steps, h = np.empty((T, N, H), dtype=dtype), [], h0
    for t in range(T):
        h, cache = _step_forward(gis[t], x[t], h, params)
        hs[t] = h
        steps.append(cache)
    return hs, _GRUCache(steps, x, params)


def backward(dhs, cache):
    """Backpropagation through time.

    dhs (T, N, H) is dLoss/dh_t from the outputs at every t (zeros where the loss ignores h_t), or
    None for zeros. Returns dx (T, N, D), dh0 (N, H) and grads shaped like params, summed over time.
    Defined in chapter 06.

    The same derivatives as _step_backward, in a fused order: the loop carries only dh and keeps
    each step's dLoss/d(gi) and dLoss/d(gh); dx and the weight gradients are then one matmul each
    over all T*N rows, e.g. dW_hh = dgh^T h_prev over every step.
    """
    if not isinstance(cache, _GRUCache):
        raise ValueError(f"cache: expected the cache returned by gru.forward, got {type(cache).__name__}")
    x, params = cache.x, cache.params
    (T, N, D), H, dtype = x.shape, params["weight_hh"].shape[1], x.dtype
    if dhs is None:
        dhs = np.zeros((T, N, H), dtype=dtype)
    check_array("dhs", dhs, (T, N, H), dtype, ("T", "N", "H"))
    dgi, dgh = np.empty((T, N, 3 * H), dtype=dtype), np.empty((T, N, 3 * H), dtype=dtype)
    hs_prev = np.empty((T, N, H), dtype=dtype)
    W_hh = params["weight_hh"]
    dh = np.zeros((N, H), dtype=dtype)      # nothing flows in from beyond the last step
    for t in reversed(range(T)):
        step = cache.steps[t]
        hs_prev[t] = step[1]
        dgi[t], dgh[t], dh_direct = _gate_gradients(dhs[t] + dh, step)
        dh = dh_direct + dgh[t] @ W_hh      # dh_prev (N, H)
    dgi2, dgh2 = dgi.reshape(T * N, 3 * H), dgh.reshape(T * N, 3 * H)
    grads = {
        "weight_ih": dgi2.T @ x.reshape(T * N, D),          # (3H, D): sum over t of dgi_t^T x_t
        "weight_hh": dgh2.T @ hs_prev.reshape(T * N, H),    # (3H, H): sum over t of dgh_t^T h_{t-1}
        "bias_ih": dgi2.sum(axis=0),
        "bias_hh": dgh2.sum(axis=0),
    }
    return (dgi2 @ params["weight_ih"]).reshape(T, N, D), dh, grads


def state_gradients(x, h0, params, dhT):
    """dLoss/dh_t for t = 0..T, for the loss sum(h_T * dhT) of a GRU run over x from h0.

    x (T, N, D), h0 (N, H), dhT (N, H) -> (T+1, N, H); entry t is the gradient on the state after
    t steps (entry T is dhT, entry 0 the gradient on h0). Measures how far back a signal at the
    last step reaches, the GRU's counterpart of chapter 04's dc_T/dc_t. Defined in chapter 06.
    """
    hs, cache = forward(x, h0, params)
    check_array("dhT", dhT, hs.shape[1:], hs.dtype, ("N", "H"))
    out = np.empty((len(x) + 1,) + dhT.shape, dtype=dhT.dtype)
    out[-1] = dh = dhT
    for t in reversed(range(len(x))):
        _, dh, _ = _step_backward(dh, cache.steps[t])
        out[t] = dh
    return out
