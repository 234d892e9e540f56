"""minLSTM (Feng et al. 2024): an LSTM whose gates read only x_t, forward and backward, in numpy.

    [a_f | a_i | a_h] = x_t W_ih^T + b_ih                  (N, 3H), rows f, i, candidate
    f_t = sigmoid(a_f)     i_t = sigmoid(a_i)     htilde_t = a_h          (no tanh, no output gate)
    f'_t = f_t / (f_t + i_t)     i'_t = i_t / (f_t + i_t)                  (normalised: f' + i' = 1)
    h_t = f'_t * h_{t-1} + i'_t * htilde_t

No gate reads h_{t-1}, so h_t = a_t h_{t-1} + b_t with a = f', b = i' htilde is a *linear* recurrence
and ``fused=True`` computes it for all t at once with a prefix scan (``lstmkit.scan``); and dh_t/dh_{t-1}
is diag(f'_t) exactly, with no path through weights. The state is h alone (the paper's minLSTM
merges c and h). Parameters in torch's naming style: weight_ih (3H, D), bias_ih (3H,), rows in the
order f, i, candidate (the paper's three Linear layers stacked); there is no weight_hh.

Reference: Feng, Tung, Ahmed, Bengio & Hajimirsadeghi (2024), "Were RNNs all we needed?",
arXiv 2410.01201, section 3.2 (the sequential and the parallel mode). Taught in
chapters/07_parallel_scan.ipynb. The module reads top to bottom: the step, its backward, then the
sequence as a loop over the step (the default) or as one scan (fused=True), and their backward.
"""
from typing import NamedTuple

import numpy as np

from lstmkit import scan
from lstmkit._plumbing import Replace, checked
from lstmkit._validate import (
    check_array,
    check_bool,
    check_choice,
    check_float_array,
    check_float_dtype,
    check_optional_finite,
    check_positive_int,
    check_rng,
    check_state,
    check_step_backward,
)
from lstmkit.functional import sigmoid

PARAM_NAMES = ("weight_ih", "bias_ih")
SCAN_METHODS = ("loop", "hillis_steele", "log_space")   # the forms of lstmkit.scan with a backward


def _check_init_params(input_size, hidden_size, *, rng, dtype, forget_bias):
    check_positive_int("input_size", input_size)
    check_positive_int("hidden_size", hidden_size)
    check_rng(rng)
    check_optional_finite("forget_bias", forget_bias)
    return Replace(dtype=check_float_dtype(dtype))


@checked(_check_init_params, copies=False)
def init_params(input_size, hidden_size, *, rng, dtype=np.float64, forget_bias=None):
    """weight_ih (3H, D) and bias_ih (3H,), rows f, i, candidate, every entry from U(-1/sqrt(H), 1/sqrt(H)).

    forget_bias b, when given, fills the forget rows 0:H of bias_ih with b and the input rows H:2H with -b:
    then f' = sigmoid(b) / (sigmoid(b) + sigmoid(-b)) = sigmoid(b) where the input adds nothing, the
    same start as an LSTM's forget gate with forget bias b. Defined in chapter 07.
    """
    k = 1.0 / np.sqrt(hidden_size)
    H3 = 3 * hidden_size
    params = {"weight_ih": rng.uniform(-k, k, size=(H3, input_size)).astype(dtype),
              "bias_ih": rng.uniform(-k, k, size=(H3,)).astype(dtype)}
    if forget_bias is not None:
        params["bias_ih"][:hidden_size] = forget_bias
        params["bias_ih"][hidden_size:2 * hidden_size] = -forget_bias   # f' is a ratio: i must shrink too
    return params


def _check_params(params, name="params"):
    """params: {weight_ih (3H, D), bias_ih (3H,)}, one float dtype; returns (D, H, dtype)."""
    if not isinstance(params, dict) or sorted(params) != sorted(PARAM_NAMES):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"{name}: expected a dict with keys {list(PARAM_NAMES)} (minLSTM has no weight_hh), got {got}")
    w, b = params["weight_ih"], params["bias_ih"]
    check_float_array(f"{name}['weight_ih']", w)
    if w.ndim != 2 or w.shape[0] % 3 or 0 in w.shape:
        raise ValueError(f"{name}['weight_ih']: expected shape (3*H, D) with H, D >= 1, got {w.shape}")
    H, D = w.shape[0] // 3, w.shape[1]
    check_array(f"{name}['bias_ih']", b, (3 * H,), w.dtype, (f"3H={3 * H}",))
    return D, H, w.dtype


def normalise(a_f, a_i):
    """f' = f / (f + i) and i' = i / (f + i) from the pre-activations, f = sigmoid(a_f), i = sigmoid(a_i).

    Multiplying above and below by (1 + e^-a_f)(1 + e^-a_i) gives f' = (1 + e^-a_i) / (2 + e^-a_f + e^-a_i),
    computed here with every exponent shifted by m = max(0, -a_f, -a_i) so no exp overflows, and
    f + i never underflows to 0 (both gates shut would be 0 / 0). Used by ``step_forward``, chapter 07.
    """
    m = np.maximum(0.0, np.maximum(-a_f, -a_i))
    with np.errstate(under="ignore"):                               # a term below 1e-308 is 0, harmlessly
        e0, ef, ei = np.exp(-m), np.exp(-a_f - m), np.exp(-a_i - m)     # each in [0, 1], one of them 1
    total = 2.0 * e0 + ef + ei                                      # >= 1: one of the terms is e^0
    return (e0 + ei) / total, (e0 + ef) / total


class StepCache(NamedTuple):
    """What step_forward keeps for step_backward (a tuple: cache[1] is h_prev)."""
    x_t: np.ndarray       # (N, D)
    h_prev: np.ndarray    # (N, H)
    f: np.ndarray         # (N, H) each: the gates, their normalised forms and the candidate
    i: np.ndarray
    f_n: np.ndarray
    i_n: np.ndarray
    htilde: np.ndarray
    params: dict


def _check_step_forward(x_t, h_prev, params):
    D, H, dtype = _check_params(params)
    N, _ = check_array("x_t", x_t, (None, D), dtype, ("N", "D"))
    check_array("h_prev", h_prev, (N, H), dtype, ("N", "H"))


@checked(_check_step_forward)
def step_forward(x_t, h_prev, params):
    """One time step: x_t (N, D), h_prev (N, H) -> h (N, H), cache. Defined in chapter 07."""
    a = x_t @ params["weight_ih"].T + params["bias_ih"]    # (N, 3H): x_t alone, no h_prev
    a_f, a_i, a_h = np.split(a, 3, axis=1)                  # each (N, H), rows f, i, candidate
    f, i = sigmoid(a_f), sigmoid(a_i)
    f_n, i_n = normalise(a_f, a_i)                          # f / (f + i), i / (f + i)
    htilde = a_h                                            # the candidate: linear, no tanh
    h = f_n * h_prev + i_n * htilde                         # a convex mix of old state and candidate
    return h, StepCache(x_t, h_prev, f, i, f_n, i_n, htilde, params)


def gate_gradients(dh, h_prev, f, i, f_n, i_n, htilde):
    """dLoss/da (N, 3H) or (T, N, 3H), rows f, i, candidate, from dh = dLoss/dh_t in total.

    d f'/d a_f = (1 - f) f' i' = -d i'/d a_f and d i'/d a_i = (1 - i) f' i' = -d f'/d a_i: the two
    normalised gates move against each other. Used by ``step_backward``, chapter 07.
    """
    df_n, di_n = dh * h_prev, dh * htilde            # h = f' h_prev + i' htilde
    mix = f_n * i_n * (df_n - di_n)                  # what raising f' at the cost of i' is worth
    da_f = (1.0 - f) * mix
    da_i = -(1.0 - i) * mix
    da_h = dh * i_n
    return np.concatenate([da_f, da_i, da_h], axis=-1)


def _check_step_backward(dh, cache):
    check_step_backward(cache, StepCache, "minlstm.step_forward", "h_prev", dh=dh)


@checked(_check_step_backward)
def step_backward(dh, cache):
    """Backward of one step: dh (N, H) is dLoss/dh_t in total (from the output and from t+1).

    Returns dx (N, D), dh_prev (N, H) and grads shaped like params. dh_prev = f' dh and nothing
    else: no gate reads h_prev. Defined in chapter 07.
    """
    x_t, h_prev, f, i, f_n, i_n, htilde, params = cache
    da = gate_gradients(dh, h_prev, f, i, f_n, i_n, htilde)    # (N, 3H)
    dx = da @ params["weight_ih"]                               # (N, D)
    dh_prev = f_n * dh                                          # the only path back in time
    grads = {"weight_ih": da.T @ x_t, "bias_ih": da.sum(axis=0)}   # (3H, D), (3H,)
    return dx, dh_prev, grads


class ScanCache(NamedTuple):
    """What the fused forward keeps: every step's arrays stacked on a first axis T."""
    x: np.ndarray         # (T, N, D)
    h0: np.ndarray        # (N, H)
    hs: np.ndarray        # (T, N, H)
    f: np.ndarray         # (T, N, H) each
    i: np.ndarray
    f_n: np.ndarray
    i_n: np.ndarray
    htilde: np.ndarray
    params: dict
    method: str           # the scan that ran; backward runs the same one in reverse


def _check_forward(x, h0, params, *, fused, method):
    D, H, dtype = _check_params(params)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    check_choice("method", method, SCAN_METHODS)
    return Replace(h0=check_state("h0", h0, (N, H), dtype), fused=check_bool("fused", fused))


@checked(_check_forward)    # the caches keep private copies: the caller may edit x, h0, params later
def forward(x, h0, params, *, fused=False, method="hillis_steele"):
    """Run minLSTM over a sequence. x (T, N, D), h0 (N, H) or None for zeros.

    fused=False: step_forward at every t, h carried from step to step (cache: the T step caches).
    fused=True: all gates in one matmul, then h by one scan (``scan.scan`` with ``method``, by
    default Hillis-Steele's log2 T rounds; "loop" runs only the elementwise recurrence step by
    step, the fastest on a CPU, chapter 07 section 5; cache: ScanCache, and backward scans the same way).
    Returns hs (T, N, H), the final state hT (N, H) and the cache. Defined in chapter 07.
    """
    if fused:
        return _forward_scan(x, h0, params, method)
    T, N, H = len(x), len(h0), h0.shape[1]
    h, hs, caches = h0, np.empty((T, N, H), dtype=x.dtype), []
    for t in range(T):
        h, cache = step_forward.unchecked(x[t], h, params)
        hs[t] = h
        caches.append(cache)
    return hs, h.copy(), caches


def _forward_scan(x, h0, params, method):
    a = x @ params["weight_ih"].T + params["bias_ih"]    # (T, N, 3H): every step's gates at once
    a_f, a_i, a_h = np.split(a, 3, axis=-1)
    f_n, i_n = normalise(a_f, a_i)
    hs = scan.scan(f_n, i_n * a_h, h0, method)             # h_t = f'_t h_{t-1} + i'_t htilde_t, for all t
    return hs, hs[-1].copy(), ScanCache(x, h0, hs, sigmoid(a_f), sigmoid(a_i), f_n, i_n, a_h, params, method)


def _check_backward(dhs, cache, dstate):
    """The cache is forward's; dhs (T, N, H) and dstate (N, H) fit it (None: zeros, handed on as zeros)."""
    if isinstance(cache, ScanCache):
        T, N, H = cache.hs.shape
        dtype = cache.hs.dtype
    elif isinstance(cache, list) and cache and all(isinstance(c, StepCache) for c in cache):
        T, (N, H), dtype = len(cache), cache[0].h_prev.shape, cache[0].h_prev.dtype
    else:
        raise ValueError(f"cache: expected the cache returned by minlstm.forward, got {type(cache).__name__}")
    dhs = np.zeros((T, N, H), dtype=dtype) if dhs is None else dhs
    check_array("dhs", dhs, (T, N, H), dtype, ("T", "N", "H"))
    return Replace(dhs=dhs, dstate=check_state("dstate", dstate, (N, H), dtype))


@checked(_check_backward, copies=False)
def backward(dhs, cache, dstate=None):
    """Backpropagation through time, by the loop or by a reverse scan, as the forward ran.

    dhs (T, N, H) is dLoss/dh_t from the outputs (or None for zeros); dstate an optional dhT (N, H).
    Returns dx (T, N, D), dh0 (N, H) and grads shaped like params, summed over time.
    Defined in chapter 07.
    """
    if isinstance(cache, ScanCache):
        return _backward_scan(dhs, cache, dstate)
    T, dh = len(cache), dstate                  # dh: dLoss/dh_t coming back from step t + 1
    dx = np.empty((T, *cache[0].x_t.shape), dtype=dhs.dtype)
    grads = {k: np.zeros_like(v) for k, v in cache[0].params.items()}
    for t in reversed(range(T)):
        dx[t], dh, step_grads = step_backward.unchecked(dhs[t] + dh, cache[t])   # from the output and from t+1
        for k in grads:
            grads[k] += step_grads[k]
    return dx, dh, grads


def _backward_scan(dhs, c, dhT):
    _, db, dh0 = scan.backward(dhs, c.f_n, c.hs, c.h0, dhT, method=c.method)   # db_t: total dLoss/dh_t
    h_prev = np.concatenate([c.h0[None], c.hs[:-1]])                              # (T, N, H)
    da = gate_gradients(db, h_prev, c.f, c.i, c.f_n, c.i_n, c.htilde)            # (T, N, 3H)
    T, N, D = c.x.shape
    grads = {"weight_ih": da.reshape(T * N, -1).T @ c.x.reshape(T * N, D),       # (3H, D): one matmul
             "bias_ih": da.sum(axis=(0, 1))}
    return da @ c.params["weight_ih"], dh0, grads
