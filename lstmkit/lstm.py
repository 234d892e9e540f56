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
Taught in chapters/03_lstm_cell.ipynb and chapters/04_lstm_bptt.ipynb.
"""
import numpy as np

from lstmkit._validate import check_array, check_params, check_positive_int
from lstmkit.rnn import sigmoid


def init_params(input_size, hidden_size, *, rng, dtype=np.float64, forget_bias=None):
    """Parameters drawn like torch.nn.LSTM: every entry from U(-1/sqrt(H), 1/sqrt(H)).

    Returns weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,), rows i, f, g, o.
    forget_bias, when given, fills the forget block of bias_ih (rows H:2H) and zeroes that of
    bias_hh, so the forget gate starts at sigmoid(forget_bias) for a zero input (Gers et al. 2000).
    Defined in chapter 03.
    """
    check_positive_int("input_size", input_size)
    check_positive_int("hidden_size", hidden_size)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a np.random.Generator, got {type(rng).__name__}")
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(f"dtype: expected a floating dtype, got {np.dtype(dtype)}")
    if forget_bias is not None and not np.isfinite(forget_bias):
        raise ValueError(f"forget_bias: expected a finite number or None, got {forget_bias!r}")
    D, H = input_size, hidden_size
    k = 1.0 / np.sqrt(H)
    shapes = {"weight_ih": (4 * H, D), "weight_hh": (4 * H, H), "bias_ih": (4 * H,), "bias_hh": (4 * H,)}
    params = {name: rng.uniform(-k, k, size=s).astype(dtype) for name, s in shapes.items()}
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


def forward(x, state0, params):
    """Run the LSTM over a sequence.

    x (T, N, D); state0 = (h0, c0), each (N, H), or None for zeros.
    Returns hs (T, N, H), the final state (hT, cT) and cache. Defined in chapter 03.
    """
    D, H, dtype = check_params(params, gates=4)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    if state0 is None:
        state0 = (np.zeros((N, H), dtype=dtype), np.zeros((N, H), dtype=dtype))
    if not (isinstance(state0, tuple) and len(state0) == 2):
        raise ValueError(f"state0: expected a tuple (h0, c0) or None, got {type(state0).__name__}")
    h, c = state0
    check_array("state0[0] (h0)", h, (N, H), dtype, ("N", "H"))
    check_array("state0[1] (c0)", c, (N, H), dtype, ("N", "H"))
    hs = np.empty((T, N, H), dtype=dtype)
    caches = []
    for t in range(T):
        h, c, step_cache = _step_forward(x[t], h, c, params)
        hs[t] = h
        caches.append(step_cache)
    return hs, (h, c), caches


def backward(dhs, cache, dstate=None):
    """Backpropagation through time.

    dhs (T, N, H) is dLoss/dh_t from the outputs at every t, or None for zeros; dstate is an
    optional (dhT, dcT), the gradient on the final state. Returns dx (T, N, D), (dh0, dc0) and
    grads shaped like params, summed over time. Defined in chapter 04.
    """
    caches = cache
    x_t, _, c_prev, *_, params = caches[0]
    T, (N, H), D, dtype = len(caches), c_prev.shape, x_t.shape[1], c_prev.dtype
    if dhs is None:
        dhs = np.zeros((T, N, H), dtype=dtype)
    check_array("dhs", dhs, (T, N, H), dtype, ("T", "N", "H"))
    if dstate is None:
        dh, dc = np.zeros((N, H), dtype=dtype), np.zeros((N, H), dtype=dtype)
    elif isinstance(dstate, tuple) and len(dstate) == 2:
        dh, dc = dstate
        check_array("dstate[0] (dhT)", dh, (N, H), dtype, ("N", "H"))
        check_array("dstate[1] (dcT)", dc, (N, H), dtype, ("N", "H"))
    else:
        raise ValueError(f"dstate: expected a tuple (dhT, dcT) or None, got {type(dstate).__name__}")
    dx = np.empty((T, N, D), dtype=dtype)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    for t in reversed(range(T)):
        dx[t], dh, dc, step_grads = _step_backward(dhs[t] + dh, dc, caches[t])
        for k in grads:
            grads[k] += step_grads[k]
    return dx, (dh, dc), grads
