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
Taught in chapters/03_lstm_cell.ipynb and chapters/04_lstm_bptt.ipynb, which teach the step
functions; forward and backward are the same equations fused over a whole sequence for speed
(their docstrings say how).
"""
from dataclasses import dataclass

import numpy as np

from lstmkit._validate import check_array, check_optional_finite, check_params, check_state_pair, init_uniform
from lstmkit.rnn import sigmoid


def init_params(input_size, hidden_size, *, rng, dtype=np.float64, forget_bias=None):
    """Parameters drawn like torch.nn.LSTM: every entry from U(-1/sqrt(H), 1/sqrt(H)).

    Returns weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,), rows i, f, g, o.
    forget_bias, when given, fills the forget block of bias_ih (rows H:2H) and zeroes that of
    bias_hh, so the forget gate starts at sigmoid(forget_bias) for a zero input (Gers et al. 2000).
    Defined in chapter 03.
    """
    check_optional_finite("forget_bias", forget_bias)
    params = init_uniform(input_size, hidden_size, 4, rng, dtype)
    H = hidden_size
    if forget_bias is not None:
        params["bias_ih"][H:2 * H] = forget_bias
        params["bias_hh"][H:2 * H] = 0.0
    return params


def step_forward(x_t, h_prev, c_prev, params):
    """One time step.

    x_t (N, D), h_prev (N, H), c_prev (N, H) -> h (N, H), c (N, H), cache. Defined in chapter 03.
    """
    D, H, dtype = check_params(params, gates=4)
    N, _ = check_array("x_t", x_t, (None, D), dtype, ("N", "D"))
    check_array("h_prev", h_prev, (N, H), dtype, ("N", "H"))
    check_array("c_prev", c_prev, (N, H), dtype, ("N", "H"))
    return _step_forward(x_t, h_prev, c_prev, params)


def _step_forward(x_t, h_prev, c_prev, params):
    a = x_t @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]  # (N, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)   # each (N, H), torch's row order
    i = sigmoid(a_i)     # input gate: how much of the candidate to write
    f = sigmoid(a_f)     # forget gate: how much of the old cell to keep
    g = np.tanh(a_g)     # candidate value
    o = sigmoid(a_o)     # output gate: how much of the cell to show
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (x_t, h_prev, c_prev, i, f, g, o, tanh_c, params)


def step_backward(dh, dc, cache):
    """Backward of one step.

    dh (N, H) is dLoss/dh_t in total, dc (N, H) is dLoss/dc_t arriving from step t+1.
    Returns dx (N, D), dh_prev (N, H), dc_prev (N, H) and grads shaped like params.
    Defined in chapter 04.
    """
    c_prev = cache[2]
    check_array("dh", dh, c_prev.shape, c_prev.dtype, ("N", "H"))
    check_array("dc", dc, c_prev.shape, c_prev.dtype, ("N", "H"))
    return _step_backward(dh, dc, cache)


def _step_backward(dh, dc, cache):
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, params = cache
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
    dx = da @ params["weight_ih"]            # (N, D)
    dh_prev = da @ params["weight_hh"]       # (N, H)
    grads = {
        "weight_ih": da.T @ x_t,             # (4H, D)
        "weight_hh": da.T @ h_prev,          # (4H, H)
        "bias_ih": da.sum(axis=0),           # (4H,)
        "bias_hh": da.sum(axis=0),           # (4H,)
    }
    return dx, dh_prev, dc_prev, grads


# backward keeps da for a chunk of steps this large (bytes): small enough to stay in the 1-2 MB L2
# cache until the chunk's weight-gradient matmul reads it, large enough to make that matmul efficient
_CHUNK_BYTES = 2 ** 20


@dataclass
class _LSTMCache:
    """What lstm.forward keeps for lstm.backward: whole-sequence arrays, no per-step tuples.

    x (T, N, D); hs (T+1, N, H) and cs (T+1, N, H): step t reads hs[t], cs[t] and writes hs[t+1],
    cs[t+1] (hs[0], cs[0] = h0, c0); gates (T, N, 4H): i, f, g, o after their nonlinearities;
    tanh_c (T, N, H).
    cache[t] is step t's cache, as step_forward would have returned it (views, no copies).
    """
    x: np.ndarray
    hs: np.ndarray
    cs: np.ndarray
    gates: np.ndarray
    tanh_c: np.ndarray
    params: dict

    def __len__(self):
        return len(self.x)

    def __getitem__(self, t):
        t = range(len(self))[t]
        i, f, g, o = np.split(self.gates[t], 4, axis=1)
        return (self.x[t], self.hs[t], self.cs[t], i, f, g, o, self.tanh_c[t], self.params)


def forward(x, state0, params):
    """Run the LSTM over a sequence.

    x (T, N, D); state0 = (h0, c0), each (N, H), or None for zeros.
    Returns hs (T, N, H), the final state (hT, cT) and cache. Defined in chapter 03.

    The loop computes exactly the equations of _step_forward, fused for speed: the input
    projections x_t W_ih^T + b_ih of every step are one matmul before the loop (they do not depend
    on h), the four gates are one (N, 4H) block, and every step writes into preallocated arrays.
    The rows of i, f, o are halved once, which is exact in binary floating point, so a single tanh
    over the whole block gives all four gates: sigmoid(a) = 0.5 + 0.5 tanh(a / 2). With OpenBLAS
    and N > 1, hs is the step loop's to the last bit; for N = 1 BLAS sums the per-step product in
    another order (~1e-16 relative). tests/test_fast_path.py checks both paths agree.
    """
    D, H, dtype = check_params(params, gates=4)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    h0, c0 = check_state_pair("state0", state0, ("h0", "c0"), (N, H), dtype)
    half = np.full(4 * H, 0.5, dtype=dtype)    # 1/2 on the rows of i, f, o ...
    half[2 * H:3 * H] = 1.0                    # ... and 1 on those of g
    shift = half.copy()
    shift[2 * H:3 * H] = 0.0                   # then 0.5 + 0.5 tanh for i, f, o; tanh alone for g
    W_ih = params["weight_ih"] * half[:, None]                        # (4H, D)
    W_hh_T = np.ascontiguousarray((params["weight_hh"] * half[:, None]).T)   # (H, 4H), row-major: faster
    b_ih, b_hh = params["bias_ih"] * half, params["bias_hh"] * half
    gates = (x.reshape(T * N, D) @ W_ih.T).reshape(T, N, 4 * H)   # (T, N, 4H): every input projection
    gates += b_ih
    hs, cs = np.empty((T + 1, N, H), dtype=dtype), np.empty((T + 1, N, H), dtype=dtype)
    hs[0], cs[0] = h0, c0
    tanh_c = np.empty((T, N, H), dtype=dtype)
    i, f, g, o = np.split(gates, 4, axis=2)       # each (T, N, H), views (split once: it is slow)
    hW, ig = np.empty((N, 4 * H), dtype=dtype), np.empty((N, H), dtype=dtype)
    for t in range(T):
        a = gates[t]                               # (N, 4H), holds x_t W_ih^T + b_ih so far
        np.matmul(hs[t], W_hh_T, out=hW)          # (N, 4H)
        a += hW
        a += b_hh
        np.tanh(a, out=a)
        a *= half                                  # i, f, o: sigmoid; g: tanh
        a += shift
        np.multiply(f[t], cs[t], out=cs[t + 1])    # c = f * c_prev + i * g
        np.multiply(i[t], g[t], out=ig)
        cs[t + 1] += ig
        np.tanh(cs[t + 1], out=tanh_c[t])
        np.multiply(o[t], tanh_c[t], out=hs[t + 1])   # h = o * tanh(c)
    cache = _LSTMCache(x, hs, cs, gates, tanh_c, params)
    # hs[1:] is copied so that a caller who edits the outputs cannot change the cache
    return hs[1:].copy(), (hs[T], cs[T]), cache


def backward(dhs, cache, dstate=None):
    """Backpropagation through time.

    dhs (T, N, H) is dLoss/dh_t from the outputs at every t, or None for zeros; dstate is an
    optional (dhT, dcT), the gradient on the final state. Returns dx (T, N, D), (dh0, dc0) and
    grads shaped like params, summed over time. Defined in chapter 04.

    The same derivatives as _step_backward, fused: the loop carries dh and dc, writes
    da_t = [da_i, da_f, da_g, da_o] (N, 4H) into a buffer of K steps without allocating, and makes
    one matmul per step (dh_prev = da_t W_hh). dx and the weight gradients, which no later step
    needs, wait until a chunk of K steps is complete and then take one matmul over its K*N rows,
    e.g. dW_hh += h_prev^T da over the chunk: fewer, larger matmuls on data still in cache.
    """
    if not isinstance(cache, _LSTMCache):
        raise ValueError(f"cache: expected the cache returned by lstm.forward, got {type(cache).__name__}")
    x, hs, cs, gates, tanh_c, params = cache.x, cache.hs, cache.cs, cache.gates, cache.tanh_c, cache.params
    (T, N, D), H, dtype = x.shape, hs.shape[2], hs.dtype
    if dhs is None:
        dhs = np.zeros((T, N, H), dtype=dtype)
    check_array("dhs", dhs, (T, N, H), dtype, ("T", "N", "H"))
    dh, dc = check_state_pair("dstate", dstate, ("dhT", "dcT"), (N, H), dtype)
    dh, dc = dh.copy(), dc.copy()                 # the loop updates them in place
    i, f, g, o = np.split(gates, 4, axis=2)              # each (T, N, H), views
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    K = max(1, _CHUNK_BYTES // (N * 4 * H * dtype.itemsize))   # steps per chunk of da
    da = np.empty((K, N, 4 * H), dtype=dtype)            # dLoss/da_t of the steps in the chunk
    di, df, dg, do = np.split(da, 4, axis=2)             # gate gradients first, then in place da_*
    dx = np.empty((T, N, D), dtype=dtype)
    dW_ih_T, dW_hh_T = np.zeros((D, 4 * H), dtype=dtype), np.zeros((H, 4 * H), dtype=dtype)
    db = np.zeros(4 * H, dtype=dtype)
    tmp, slope = np.empty((N, H), dtype=dtype), np.empty((N, 4 * H), dtype=dtype)
    for t in reversed(range(T)):
        t0 = t - t % K                                   # the chunk holds steps t0 .. t0+K-1
        k = t - t0
        dh += dhs[t]                                     # dLoss/dh_t in total
        # h = o * tanh(c)
        np.multiply(dh, tanh_c[t], out=do[k])
        np.multiply(tanh_c[t], tanh_c[t], out=tmp)
        np.subtract(1.0, tmp, out=tmp)
        tmp *= o[t]
        tmp *= dh
        dc += tmp                                        # from h_t and from c_{t+1}
        # c = f * c_prev + i * g
        np.multiply(dc, cs[t], out=df[k])
        np.multiply(dc, g[t], out=di[k])
        np.multiply(dc, i[t], out=dg[k])
        dc *= f[t]                                       # dc_prev: the carousel's gradient path
        # gates from their pre-activations: s (1 - s) for the sigmoids i, f, o; 1 - g^2 for g
        np.subtract(1.0, gates[t], out=slope)
        slope *= gates[t]
        slope_g = slope[:, 2 * H:3 * H]
        np.multiply(g[t], g[t], out=slope_g)
        np.subtract(1.0, slope_g, out=slope_g)
        da[k] *= slope                                   # (N, 4H) = [da_i, da_f, da_g, da_o]
        np.matmul(da[k], W_hh, out=dh)                   # dh_prev (N, H)
        if k == 0:                                       # chunk complete: one matmul over its rows
            n = min(K, T - t0)
            rows = da[:n].reshape(n * N, 4 * H)          # (n N, 4H)
            np.matmul(rows, W_ih, out=dx[t0:t0 + n].reshape(n * N, D))
            dW_ih_T += x[t0:t0 + n].reshape(n * N, D).T @ rows      # (D, 4H): x^T da is the fast way round
            dW_hh_T += hs[t0:t0 + n].reshape(n * N, H).T @ rows     # (H, 4H): h_prev^T da
            db += rows.sum(axis=0)
    grads = {
        "weight_ih": np.ascontiguousarray(dW_ih_T.T),    # (4H, D)
        "weight_hh": np.ascontiguousarray(dW_hh_T.T),    # (4H, H)
        "bias_ih": db,
        "bias_hh": db.copy(),
    }
    return dx, (dh, dc), grads
