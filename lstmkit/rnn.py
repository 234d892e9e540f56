"""The vanilla (Elman) recurrent network, forward and backward through time, in numpy.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        h_t = f(a_t)

Parameters are named and shaped as torch.nn.RNN's layer 0 (without the ``_l0`` suffix), so a
torch ``state_dict`` round-trips through ``lstmkit.interop``. Sequences are time-major (T, N, D).

References: Elman (1990), "Finding structure in time"; Werbos (1990), "Backpropagation through
time"; CS231n assignment 3 (``rnn_layers.py``), whose forward/backward pairs this module follows.
Taught in chapters/01_rnn_bptt.ipynb and chapters/02_vanishing_gradients.ipynb, which teach the step
functions; forward and backward are the same equations fused over a whole sequence for speed
(their docstrings say how).
"""
from dataclasses import dataclass

import numpy as np

from lstmkit._validate import check_array, check_choice, check_params, init_uniform


def sigmoid(a):
    """Logistic sigmoid written through tanh: exact, and no overflow warning at |a| = 1e4."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _empty_views(dtype, *shapes):
    """Uninitialised arrays of the given shapes, as views of one buffer.

    One large allocation is mapped in a few (huge) pages; separate ones of a few MB each would be
    mapped 4 kB at a time on every call, and those page faults cost more than the arithmetic.
    """
    sizes = [int(np.prod(s)) for s in shapes]
    buffer = np.empty(sum(sizes), dtype=dtype)
    ends = np.cumsum(sizes)
    return [buffer[end - n:end].reshape(s) for s, n, end in zip(shapes, sizes, ends)]


# name -> (f, f') with both written as functions of the pre-activation a
ACTIVATIONS = {
    "tanh": (np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
    "sigmoid": (sigmoid, lambda a: sigmoid(a) * (1.0 - sigmoid(a))),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(a.dtype)),
    "identity": (lambda a: a, lambda a: np.ones_like(a)),
}


def init_params(input_size, hidden_size, *, rng, dtype=np.float64):
    """Parameters drawn like torch.nn.RNN: every entry from U(-1/sqrt(H), 1/sqrt(H)).

    Returns {"weight_ih": (H, D), "weight_hh": (H, H), "bias_ih": (H,), "bias_hh": (H,)}.
    rng is a np.random.Generator (one seeded generator, passed explicitly).
    Defined in chapter 01.
    """
    return init_uniform(input_size, hidden_size, 1, rng, dtype)


def step_forward(x_t, h_prev, params, activation="tanh"):
    """One time step.

    x_t (N, D), h_prev (N, H) -> h (N, H), cache. Defined in chapter 01.
    """
    check_choice("activation", activation, ACTIVATIONS)
    D, H, dtype = check_params(params, gates=1)
    N, _ = check_array("x_t", x_t, (None, D), dtype, ("N", "D"))
    check_array("h_prev", h_prev, (N, H), dtype, ("N", "H"))
    return _step_forward(x_t, h_prev, params, activation)


def _step_forward(x_t, h_prev, params, activation):
    f, _ = ACTIVATIONS[activation]
    a = x_t @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]  # (N, H)
    h = f(a)
    return h, (x_t, h_prev, a, params, activation)


def step_backward(dh, cache):
    """Backward of one step: dh (N, H) is dLoss/dh_t in total (from the output and from t+1).

    Returns dx (N, D), dh_prev (N, H) and grads, a dict shaped like params. Defined in chapter 01.
    """
    x_t, h_prev, a, params, activation = cache
    check_array("dh", dh, a.shape, a.dtype, ("N", "H"))
    return _step_backward(dh, cache)


def _step_backward(dh, cache):
    x_t, h_prev, a, params, activation = cache
    _, df = ACTIVATIONS[activation]
    da = dh * df(a)                      # (N, H): the error signal delta_t = f'(a_t) * dh_t
    dx = da @ params["weight_ih"]        # (N, D)
    dh_prev = da @ params["weight_hh"]   # (N, H): what flows back to t-1 through W_hh
    grads = {
        "weight_ih": da.T @ x_t,         # (H, D)
        "weight_hh": da.T @ h_prev,      # (H, H)
        "bias_ih": da.sum(axis=0),       # (H,)
        "bias_hh": da.sum(axis=0),       # (H,)
    }
    return dx, dh_prev, grads


@dataclass
class _RNNCache:
    """What rnn.forward keeps for rnn.backward: whole-sequence arrays, no per-step tuples.

    x (T, N, D); hs (T+1, N, H): step t reads hs[t] and writes hs[t+1] (hs[0] = h0);
    a (T, N, H): the pre-activations. cache[t] is step t's cache, as step_forward would have
    returned it (views, no copies).
    """
    x: np.ndarray
    hs: np.ndarray
    a: np.ndarray
    params: dict
    activation: str

    def __len__(self):
        return len(self.x)

    def __getitem__(self, t):
        t = range(len(self))[t]
        return (self.x[t], self.hs[t], self.a[t], self.params, self.activation)


def forward(x, h0, params, activation="tanh"):
    """Run the RNN over a sequence.

    x (T, N, D), h0 (N, H) or None for zeros -> hs (T, N, H), cache. Defined in chapter 01.

    The loop computes exactly the equation of _step_forward, fused for speed: the input
    projections x_t W_ih^T + b_ih of every step are one matmul before the loop (they do not depend
    on h) and every step writes into preallocated arrays. With OpenBLAS and N > 1, hs is the step
    loop's to the last bit; for N = 1 BLAS sums the per-step product in another order (~1e-16
    relative). tests/test_fast_path.py checks both paths agree.
    """
    check_choice("activation", activation, ACTIVATIONS)
    D, H, dtype = check_params(params, gates=1)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    if h0 is None:
        h0 = np.zeros((N, H), dtype=dtype)
    check_array("h0", h0, (N, H), dtype, ("N", "H"))
    f, _ = ACTIVATIONS[activation]
    W_hh_T = np.ascontiguousarray(params["weight_hh"].T)       # (H, H), row-major: faster matmul
    b_hh = params["bias_hh"]
    a, hs = _empty_views(dtype, (T, N, H), (T + 1, N, H))
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
    # hs[1:] is copied so that a caller who edits the outputs cannot change the cache
    return hs[1:].copy(), _RNNCache(x, hs, a, params, activation)


def backward(dhs, cache):
    """Backpropagation through time.

    dhs (T, N, H) is dLoss/dh_t from the outputs at every t (zeros where the loss ignores h_t).
    Returns dx (T, N, D), dh0 (N, H) and grads shaped like params, summed over time.
    Defined in chapter 01.

    The same derivatives as _step_backward, in a fused order: f'(a_t) needs no gradient from later
    steps, so it is computed for all T at once; the loop carries only dh and turns f'(a) into
    da (T, N, H) in place; dx and the weight gradients are then one matmul each over all T*N rows,
    e.g. dW_hh = da^T h_prev over every step.
    """
    if not isinstance(cache, _RNNCache):
        raise ValueError(f"cache: expected the cache returned by rnn.forward, got {type(cache).__name__}")
    x, hs, a, params = cache.x, cache.hs, cache.a, cache.params
    (T, N, D), H = x.shape, a.shape[2]
    check_array("dhs", dhs, (T, N, H), a.dtype, ("T", "N", "H"))
    _, df = ACTIVATIONS[cache.activation]
    if cache.activation == "tanh":
        da = np.square(hs[1:])                    # (T, N, H): tanh'(a) = 1 - h^2, from h itself
        np.subtract(1.0, da, out=da)
    else:
        da = df(a)                                # (T, N, H): f'(a_t)
    W_hh = params["weight_hh"]
    dh = np.zeros((N, H), dtype=a.dtype)          # nothing flows in from beyond the last step
    for t in reversed(range(T)):
        dh += dhs[t]                              # dLoss/dh_t in total
        da[t] *= dh                               # delta_t = f'(a_t) * dh_t
        np.matmul(da[t], W_hh, out=dh)            # dh_prev (N, H): what flows back through W_hh
    da2 = da.reshape(T * N, H)
    db = da2.sum(axis=0)                          # (H,)
    # sum over t of da_t^T x_t and da_t^T h_{t-1}, computed transposed (x^T da is faster) then laid out
    grads = {
        "weight_ih": np.ascontiguousarray((x.reshape(T * N, D).T @ da2).T),        # (H, D)
        "weight_hh": np.ascontiguousarray((hs[:-1].reshape(T * N, H).T @ da2).T),  # (H, H)
        "bias_ih": db,
        "bias_hh": db.copy(),
    }
    return (da2 @ params["weight_ih"]).reshape(T, N, D), dh, grads
