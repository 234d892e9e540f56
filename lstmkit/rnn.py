"""The vanilla (Elman) recurrent network, forward and backward through time, in numpy.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        h_t = f(a_t)

Parameters are named and shaped as torch.nn.RNN's layer 0 (without the ``_l0`` suffix), so a
torch ``state_dict`` round-trips through ``lstmkit.interop``. Sequences are time-major (T, N, D).

References: Elman (1990), "Finding structure in time"; Werbos (1990), "Backpropagation through
time"; CS231n assignment 3 (``rnn_layers.py``), whose forward/backward pairs this module follows.
Taught in chapters/01_rnn_bptt.ipynb and chapters/02_vanishing_gradients.ipynb.
"""
import numpy as np

from lstmkit._validate import check_array, check_choice, check_params, check_positive_int


def sigmoid(a):
    """Logistic sigmoid written through tanh: exact, and no overflow warning at |a| = 1e4."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


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
    check_positive_int("input_size", input_size)
    check_positive_int("hidden_size", hidden_size)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a np.random.Generator, got {type(rng).__name__}")
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(f"dtype: expected a floating dtype, got {np.dtype(dtype)}")
    D, H = input_size, hidden_size
    k = 1.0 / np.sqrt(H)
    shapes = {"weight_ih": (H, D), "weight_hh": (H, H), "bias_ih": (H,), "bias_hh": (H,)}
    return {name: rng.uniform(-k, k, size=s).astype(dtype) for name, s in shapes.items()}


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


def forward(x, h0, params, activation="tanh"):
    """Run the RNN over a sequence.

    x (T, N, D), h0 (N, H) or None for zeros -> hs (T, N, H), cache. Defined in chapter 01.
    """
    check_choice("activation", activation, ACTIVATIONS)
    D, H, dtype = check_params(params, gates=1)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    if h0 is None:
        h0 = np.zeros((N, H), dtype=dtype)
    check_array("h0", h0, (N, H), dtype, ("N", "H"))
    hs = np.empty((T, N, H), dtype=dtype)
    caches = []
    h = h0
    for t in range(T):
        h, step_cache = _step_forward(x[t], h, params, activation)
        hs[t] = h
        caches.append(step_cache)
    return hs, caches


def backward(dhs, cache):
    """Backpropagation through time.

    dhs (T, N, H) is dLoss/dh_t from the outputs at every t (zeros where the loss ignores h_t).
    Returns dx (T, N, D), dh0 (N, H) and grads shaped like params, summed over time.
    Defined in chapter 01.
    """
    caches = cache
    x_t, h_prev, a, params, _ = caches[0]
    T, (N, H), D = len(caches), a.shape, x_t.shape[1]
    check_array("dhs", dhs, (T, N, H), a.dtype, ("T", "N", "H"))
    dx = np.empty((T, N, D), dtype=a.dtype)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros((N, H), dtype=a.dtype)   # nothing flows in from beyond the last step
    for t in reversed(range(T)):
        dx[t], dh_next, step_grads = _step_backward(dhs[t] + dh_next, caches[t])
        for k in grads:
            grads[k] += step_grads[k]
    return dx, dh_next, grads
