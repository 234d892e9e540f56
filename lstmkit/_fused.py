"""The same equations, fused for speed: the sequence loops of rnn and lstm in fewer, larger numpy calls.

The layer modules teach a sequence as a plain loop over their step functions, and that loop is what
their ``forward`` runs; ``forward(..., fused=True)`` hands the work to the functions here, which
compute the same equations for a whole sequence, and ``backward`` follows the cache forward made.
Arguments arrive already checked by the public function; the caches are the layers' own types
(``rnn.RNNCache``, ``lstm.LSTMCache``), built from the arrays returned here, so this module imports
nothing from the layers. The GRU and the LSTM variants have no functions here: fusing their
backward measured less than 10 % faster than their loops (benchmarks/README.md). What the fusing does:

- the input projections x_t W_ih^T + b_ih of every step are one matmul before the loop (they do not
  depend on h), and every step writes into preallocated arrays;
- the LSTM's four gates are one (N, 4H) block; the rows of i, f, o are halved once (exact in binary
  floating point), so one tanh gives all four: sigmoid(a) = 0.5 + 0.5 tanh(a / 2);
- backward carries only dh (and dc) through time; dx and the weight gradients, which no later step
  needs, are one matmul over many steps' rows (for the LSTM over chunks that stay in cache).

Summation order is the only difference from the step loop (a few ulps).
"""
import numpy as np

from lstmkit.functional import ACTIVATIONS

# lstm_backward keeps da for a chunk of steps this large (bytes): small enough to stay in the 1-2 MB L2
# cache until the chunk's weight-gradient matmul reads it, large enough to make that matmul efficient
CHUNK_BYTES = 2 ** 20


def empty_views(dtype, *shapes):
    """Uninitialised arrays of the given shapes, as views of one buffer.

    One large allocation is mapped in a few (huge) pages; separate ones of a few MB each would be
    mapped 4 kB at a time on every call, and those page faults cost more than the arithmetic.
    """
    sizes = [int(np.prod(s)) for s in shapes]
    buffer = np.empty(sum(sizes), dtype=dtype)
    ends = np.cumsum(sizes)
    return [buffer[end - n:end].reshape(s) for s, n, end in zip(shapes, sizes, ends, strict=True)]


def _weight_grads(da, x, hs_prev):
    """grads from the pre-activation gradients of every step, one matmul each over T*N rows.

    da (T, N, G): dLoss/da_t; x (T, N, D); hs_prev (T, N, H), h_{t-1} of every step.
    """
    T, N, G = da.shape
    rows = da.reshape(T * N, G)
    return {
        "weight_ih": np.ascontiguousarray((x.reshape(T * N, -1).T @ rows).T),          # (G, D)
        "weight_hh": np.ascontiguousarray((hs_prev.reshape(T * N, -1).T @ rows).T),    # (G, H)
        "bias_ih": rows.sum(axis=0),                                                   # (G,)
        "bias_hh": rows.sum(axis=0),   # a second array: editing one leaves the other
    }


# ---- RNN ----------------------------------------------------------------------------------------

def rnn_forward(x, h0, params, activation):
    """rnn.forward: h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), fused.

    Returns hs (T+1, N, H), where step t reads hs[t] and writes hs[t+1] (hs[0] = h0), and the
    pre-activations a (T, N, H): the arrays of rnn.RNNCache.
    """
    f, _ = ACTIVATIONS[activation]
    (T, N, D), H, dtype = x.shape, h0.shape[1], h0.dtype
    W_hh_T = np.ascontiguousarray(params["weight_hh"].T)       # (H, H), row-major: faster matmul
    b_hh = params["bias_hh"]
    a, hs = empty_views(dtype, (T, N, H), (T + 1, N, H))
    np.matmul(x.reshape(T * N, D), params["weight_ih"].T, out=a.reshape(T * N, H))   # every x_t W_ih^T
    a += params["bias_ih"]
    hs[0] = h0
    hW = np.empty((N, H), dtype=dtype)
    for t in range(T):
        np.matmul(hs[t], W_hh_T, out=hW)                         # (N, H)
        a[t] += hW
        a[t] += b_hh
        if activation == "tanh":
            np.tanh(a[t], out=hs[t + 1])                         # the common case, without a temporary
        else:
            hs[t + 1] = f(a[t])
    return hs, a


def rnn_backward(dhs, cache, dh):
    """rnn.backward, fused: f'(a_t) for all T at once, the loop carries only dh (a copy is made).

    cache is an rnn.RNNCache (read by its fields x, hs, a, params, activation).
    """
    x, hs, a, params = cache.x, cache.hs, cache.a, cache.params
    T, N, D = x.shape
    _, df = ACTIVATIONS[cache.activation]
    if cache.activation == "tanh":
        da = np.square(hs[1:])                    # (T, N, H): tanh'(a) = 1 - h^2, from h itself
        np.subtract(1.0, da, out=da)
    else:
        da = df(a)                                # (T, N, H): f'(a_t)
    W_hh = params["weight_hh"]
    dh = dh.copy()
    for t in reversed(range(T)):
        dh += dhs[t]                              # dLoss/dh_t in total
        da[t] *= dh                               # delta_t = f'(a_t) * dh_t
        np.matmul(da[t], W_hh, out=dh)            # dh_prev (N, H): what flows back through W_hh
    grads = _weight_grads(da, x, hs[:-1])
    return (da.reshape(T * N, -1) @ params["weight_ih"]).reshape(T, N, D), dh, grads


# ---- LSTM ---------------------------------------------------------------------------------------

def lstm_forward(x, h0, c0, params):
    """lstm.forward, fused: one (N, 4H) block and one tanh for the four gates.

    Returns hs, cs (T+1, N, H) each, where step t reads hs[t], cs[t] and writes hs[t+1], cs[t+1]
    (hs[0], cs[0] = h0, c0); gates (T, N, 4H): i, f, g, o after their nonlinearities; tanh_c
    (T, N, H): the arrays of lstm.LSTMCache.
    """
    (T, N, D), H, dtype = x.shape, h0.shape[1], h0.dtype
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
    return hs, cs, gates, tanh_c


def lstm_backward(dhs, cache, dh, dc):
    """lstm.backward, fused: da of K steps at a time, then one weight-gradient matmul per chunk.

    cache is an lstm.LSTMCache (read by its fields x, hs, cs, gates, tanh_c, params).
    """
    x, hs, cs, gates, tanh_c, params = cache.x, cache.hs, cache.cs, cache.gates, cache.tanh_c, cache.params
    (T, N, D), H, dtype = x.shape, hs.shape[2], hs.dtype
    dh, dc = dh.copy(), dc.copy()                 # the loop updates them in place
    i, f, g, o = np.split(gates, 4, axis=2)              # each (T, N, H), views
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    K = max(1, CHUNK_BYTES // (N * 4 * H * dtype.itemsize))   # steps per chunk of da
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
