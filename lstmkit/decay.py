"""How far back the gradient of a vanilla RNN reaches: Jacobians, their products, and the bound.

With h_t = f(a_t) and a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh (lstmkit.rnn), one step back is

    dh_t/dh_{t-1} = diag(f'(a_t)) W_hh                              (H, H) for each sequence

and the gradient from step T reaches step T-k through the product of k such Jacobians, whose
spectral norm is at most (gamma * sigma_max(W_hh))^k with gamma = max |f'|. Below 1 the gradient
vanishes geometrically, above it may explode.

Time indices follow the maths: h_0 is the initial state h0, h_t (t = 1..T) is ``hs[t-1]`` of
``rnn.forward``, and ``jacobians(...)[t-1]`` is dh_t/dh_{t-1}.

References: Bengio, Simard & Frasconi (1994), "Learning long-term dependencies with gradient
descent is difficult"; Hochreiter (1991), Diplomarbeit; Pascanu, Mikolov & Bengio (2013), "On the
difficulty of training recurrent neural networks", section 2.1; Saxe, McClelland & Ganguli (2014),
"Exact solutions to the nonlinear dynamics of learning in deep linear neural networks", for the
orthogonal initialisation; Williams & Peng (1990) for truncated backpropagation through time.
Taught in chapters/01_rnn_bptt.ipynb and chapters/02_vanishing_gradients.ipynb.
"""
import numpy as np

from lstmkit import rnn
from lstmkit._plumbing import checked
from lstmkit._validate import (
    check_array,
    check_choice,
    check_float_array,
    check_nonnegative_number,
    check_params,
    check_positive_int,
    check_positive_number,
    check_rng,
    check_seed,
)

# gamma = max_a |f'(a)|: tanh'(0) = 1, sigmoid'(0) = 1/4, relu' and identity' are 0 or 1
ACTIVATION_GAMMA = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "identity": 1.0}


def _check_scaled_weight(W, sigma_max):
    check_float_array("W", W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W: expected a square matrix (H, H), got shape {W.shape}")
    check_nonnegative_number("sigma_max", sigma_max)
    if not np.any(W):
        raise ValueError("W: expected a non-zero matrix (its scale is undefined), got all zeros")


@checked(_check_scaled_weight, copies=False)
def scaled_weight(W, sigma_max):
    """W (H, H) rescaled so that its largest singular value is sigma_max.

    The direction of W is kept: W * sigma_max / ||W||_2. Returns a new (H, H) array of W's dtype.
    Defined in chapter 02.
    """
    norm = np.linalg.norm(W, 2)                                          # sigma_max(W) before
    return (W * (sigma_max / norm)).astype(W.dtype)


def _check_orthogonal_weight(H, rng, sigma_max):
    check_positive_int("H", H)
    check_rng(rng)
    check_nonnegative_number("sigma_max", sigma_max)


@checked(_check_orthogonal_weight, copies=False)
def orthogonal_weight(H, rng, sigma_max=1.0):
    """A random orthogonal (H, H) matrix times sigma_max: every singular value equals sigma_max.

    Q from the QR factorisation of an (H, H) standard normal draw, its columns' signs fixed by
    R's diagonal so that Q is uniform over the orthogonal group (what torch.nn.init.orthogonal_
    does; Saxe et al. 2014). With sigma_max = 1 the matrix W_hh neither shrinks nor stretches
    any direction, so in dh_T/dh_{T-k} = prod diag(f'(a_s)) W_hh only the f' factors can change
    the norm. rng: a np.random.Generator. Returns float64. Defined in chapter 02.
    """
    Q, R = np.linalg.qr(rng.standard_normal((H, H)))
    signs = np.where(np.diag(R) < 0, -1.0, 1.0)                           # (H,): make diag(R) positive
    return sigma_max * Q * signs


def _check_run(x, h0, params, activation="tanh"):
    """The arguments of an RNN run: x (T, N, D), h0 (N, H) or None, params, activation."""
    check_choice("activation", activation, rnn.ACTIVATIONS)
    D, H, dtype = check_params(params, gates=1)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    if h0 is not None:
        check_array("h0", h0, (N, H), dtype, ("N", "H"))
    return T, N, H, dtype


def _preactivations(x, h0, params, activation):
    """a_t for t = 1..T of an RNN run, (T, N, H), its arguments checked by the caller."""
    if h0 is None:
        h0 = np.zeros((x.shape[1], params["weight_hh"].shape[1]), dtype=x.dtype)
    hs, _, _ = rnn.forward(x, h0, params, activation=activation, fused=True)
    h_prev = np.concatenate([h0[None], hs[:-1]], axis=0)                 # (T, N, H): h_{t-1}
    return (x @ params["weight_ih"].T + params["bias_ih"]
            + h_prev @ params["weight_hh"].T + params["bias_hh"])        # (T, N, H): a_t


@checked(_check_run, copies=False)
def jacobians(x, h0, params, activation="tanh"):
    """The one-step Jacobians dh_t/dh_{t-1} = diag(f'(a_t)) W_hh of an RNN run, for t = 1..T.

    x (T, N, D), h0 (N, H) or None for zeros -> J (T, N, H, H), with J[t-1, n] the Jacobian of
    step t for sequence n (row i: unit i of h_t, column j: unit j of h_{t-1}).
    Defined in chapter 02.
    """
    a = _preactivations(x, h0, params, activation)                       # (T, N, H)
    _, df = rnn.ACTIVATIONS[activation]
    return df(a)[..., :, None] * params["weight_hh"]                     # (T, N, H, H): rows scaled by f'


def _check_jacobians(J):
    check_float_array("J", J)
    if J.ndim != 4 or J.shape[2] != J.shape[3]:
        raise ValueError(f"J: expected shape (T, N, H, H), got {J.shape}")
    return J.shape


@checked(_check_jacobians, copies=False)
def product_norms(J):
    """Spectral norms of the Jacobian products dh_T/dh_{T-k} = J_T J_{T-1} ... J_{T-k+1}.

    J (T, N, H, H) from ``jacobians`` -> norms (T+1, N), norms[k, n] = ||dh_T/dh_{T-k}||_2 for
    lag k = 0..T (norms[0] = 1, the identity). The spectral norm (largest singular value) is the
    most that any direction of the gradient at step T can be amplified on its way back k steps.
    Defined in chapter 02.
    """
    T, N, H, _ = J.shape
    norms = np.empty((T + 1, N))
    P = np.broadcast_to(np.eye(H), (N, H, H))                           # (N, H, H): lag 0
    norms[0] = 1.0
    for k in range(1, T + 1):
        P = P @ J[T - k]                                                 # dh_T/dh_{T-k}
        norms[k] = np.linalg.norm(P, ord=2, axis=(-2, -1))
    return norms


@checked(_check_run, copies=False)
def gradient_norms_by_lag(x, h0, params, activation="tanh"):
    """||dh_T/dh_{T-k}||_2 for every lag k = 0..T of an RNN run: (T+1, N).

    x (T, N, D), h0 (N, H) or None. Shorthand for product_norms(jacobians(...)).
    Defined in chapter 02.
    """
    return product_norms(jacobians.unchecked(x, h0, params, activation))


def _check_backpropagated_signal(J, dh_T):
    T, N, H, _ = _check_jacobians(J)
    check_array("dh_T", dh_T, (N, H), J.dtype, ("N", "H"))


@checked(_check_backpropagated_signal, copies=False)
def backpropagated_signal(J, dh_T):
    """The gradient dLoss/dh_t that a loss at the last step leaves at every step t = 0..T.

    J (T, N, H, H) from ``jacobians``, dh_T (N, H) = dLoss/dh_T -> dh (T+1, N, H), dh[t] =
    dLoss/dh_t, computed backwards by dh_{t-1} = J_t^T dh_t (the dh_prev that ``rnn.step_backward``
    hands to step t-1 when only the last output has a loss). Defined in chapter 02.
    """
    T, N, H, _ = J.shape
    dh = np.empty((T + 1, N, H), dtype=J.dtype)
    dh[T] = dh_T
    for t in range(T, 0, -1):
        dh[t - 1] = np.einsum("ni,nij->nj", dh[t], J[t - 1])            # (N, H): J_t^T dh_t per sequence
    return dh


def _check_decay_bound(gamma, sigma_max, lags):
    check_positive_number("gamma", gamma)
    check_nonnegative_number("sigma_max", sigma_max)
    lags = np.asarray(lags)
    if not np.issubdtype(lags.dtype, np.integer) or np.any(lags < 0):
        raise ValueError(f"lags: expected non-negative integers, got {lags!r}")


@checked(_check_decay_bound, copies=False)
def decay_bound(gamma, sigma_max, lags):
    """The bound (gamma * sigma_max)^k on ||dh_T/dh_{T-k}||_2, for each lag k in lags.

    ||prod_s diag(f'(a_s)) W_hh|| <= prod_s ||diag(f'(a_s))|| ||W_hh|| <= (gamma sigma_max)^k.
    gamma = max |f'| (ACTIVATION_GAMMA), sigma_max = largest singular value of W_hh.
    lags: non-negative integers, any shape -> float array of the same shape. Used by ``decay_curve``, chapter 02.
    """
    with np.errstate(over="ignore"):   # an exploding bound may honestly be inf
        return float(gamma * sigma_max) ** np.asarray(lags, dtype=np.float64)


def _check_vanishing_lag(norms, threshold):
    check_float_array("norms", norms)
    if norms.ndim != 1:
        raise ValueError(f"norms: expected one dimension (K,), got shape {norms.shape}")
    check_positive_number("threshold", threshold)


@checked(_check_vanishing_lag, copies=False)
def vanishing_lag(norms, threshold=1e-3):
    """The first lag k at which norms[k] < threshold, or None if it never falls below.

    norms (K,), e.g. a median over sequences of ``gradient_norms_by_lag``. Defined in chapter 02.
    """
    below = np.flatnonzero(norms < threshold)
    return int(below[0]) if below.size else None


RECURRENT_INITS = ("default", "orthogonal")


def _check_decay_curve(sigma_max, input_scale, steps, activation, hidden_size, batch, seed, init):
    check_nonnegative_number("sigma_max", sigma_max)
    check_nonnegative_number("input_scale", input_scale)
    check_positive_int("steps", steps)
    check_choice("activation", activation, ACTIVATION_GAMMA)
    check_positive_int("hidden_size", hidden_size)
    check_positive_int("batch", batch)
    check_seed("seed", seed)
    check_choice("init", init, RECURRENT_INITS)


@checked(_check_decay_curve, copies=False)
def decay_curve(sigma_max, input_scale, steps, activation="tanh", hidden_size=32, batch=16, seed=0,
                init="default"):
    """One experiment of chapter 02: gradient norm against lag for a random RNN with a given W_hh.

    Draws params like torch (rnn.init_params), then sets W_hh: with init="default" torch's draw
    rescaled to largest singular value sigma_max; with init="orthogonal" an orthogonal matrix times
    sigma_max (``orthogonal_weight``: every singular value is sigma_max). It feeds ``batch``
    sequences x = input_scale * N(0, 1) of length ``steps`` (D = hidden_size) and
    measures ||dh_T/dh_{T-k}||_2. A larger input_scale drives a_t into the saturated region of f.
    Returns a dict: lags (steps+1,), norms (steps+1, batch), median (steps+1,), bound (steps+1,),
    vanishing_lag (int or None: the median below 1e-3). Defined in chapter 02.
    """
    rng = np.random.default_rng(seed)
    params = rnn.init_params(hidden_size, hidden_size, rng=rng)
    if init == "orthogonal":
        params["weight_hh"] = orthogonal_weight(hidden_size, rng, sigma_max)
    else:
        params["weight_hh"] = scaled_weight(params["weight_hh"], sigma_max)
    x = input_scale * rng.standard_normal((steps, batch, hidden_size))
    with np.errstate(over="ignore", invalid="ignore"):
        norms = gradient_norms_by_lag(x, None, params, activation)
    median = np.median(norms, axis=1)
    lags = np.arange(steps + 1)
    return {"lags": lags, "norms": norms, "median": median,
            "bound": decay_bound(ACTIVATION_GAMMA[activation], sigma_max, lags),
            "vanishing_lag": vanishing_lag(median) if np.all(np.isfinite(median)) else None}


@checked(_check_run, copies=False)
def derivative_bound(x, h0, params, activation="tanh"):
    """The decay the activation alone allows: prod over the last k steps of max_i |f'(a_{s,i})|.

    ||dh_T/dh_{T-k}||_2 <= prod_s ||diag(f'(a_s))||_2 ||W_hh||_2, and ||diag(f'(a_s))||_2 is the
    largest |f'| at step s. With an orthogonal W_hh (``orthogonal_weight``, sigma_max = 1) the
    W_hh factors drop out of the bound: what is left is this product of the measured derivatives,
    a sharper bound than gamma^k. x (T, N, D), h0 (N, H) or None -> (T+1, N) for lags k = 0..T.
    Defined in chapter 02.
    """
    a = _preactivations(x, h0, params, activation)                       # (T, N, H)
    _, df = rnn.ACTIVATIONS[activation]
    largest = np.abs(df(a)).max(axis=2)                                  # (T, N): ||diag(f'(a_t))||_2
    T, N = largest.shape
    out = np.ones((T + 1, N))
    out[1:] = np.cumprod(largest[::-1], axis=0)                          # lag k: steps T-k+1..T
    return out


def _check_truncated_gradients(x, h0, params, dhs, k, activation):
    T, N, H, dtype = _check_run(x, h0, params, activation)
    check_array("dhs", dhs, (T, N, H), dtype, ("T", "N", "H"))
    check_positive_int("k", k)


@checked(_check_truncated_gradients, copies=False)
def truncated_gradients(x, h0, params, dhs, k, activation="tanh"):
    """Parameter gradients of truncated BPTT: the sequence is cut into chunks of k steps.

    Chunks start at t = 0 (steps 1..k, k+1..2k, ...), as when a long stream is read piece by piece.
    The state is carried forward across a chunk boundary but treated there as a constant (what
    ``h.detach()`` does in torch), so no gradient crosses a boundary: a loss at step t reaches back
    only to the start of its chunk. x (T, N, D), h0 (N, H) or None, dhs (T, N, H) = dLoss/dh_t
    from the outputs. Returns grads shaped like params, summed over chunks; k >= T is full BPTT.
    Defined in chapter 01.
    """
    T, N, H = dhs.shape
    h = np.zeros((N, H), dtype=dhs.dtype) if h0 is None else h0
    grads = {name: np.zeros_like(v) for name, v in params.items()}
    for start in range(0, T, k):
        hs, h, cache = rnn.forward(x[start:start + k], h, params, activation=activation)
        _, _, chunk_grads = rnn.backward(dhs[start:start + k], cache)
        for name in grads:
            grads[name] += chunk_grads[name]
        # h is carried on to the next chunk, not differentiated
    return grads


def _check_last_step_regression(x, h0, params, w_out, y, activation):
    T, N, H, dtype = _check_run(x, h0, params, activation)
    K, _ = check_array("w_out", w_out, (None, H), dtype, ("K", "H"))
    check_array("y", y, (N, K), dtype, ("N", "K"))


@checked(_check_last_step_regression, copies=False)
def last_step_regression(x, h0, params, w_out, y, activation="tanh"):
    """Squared error of a linear readout of the last state, and every gradient of it.

        y_hat = h_T w_out^T  (N, K)        loss = sum((y_hat - y)^2) / (2N)

    x (T, N, D), h0 (N, H) or None, w_out (K, H), y (N, K). Returns (loss, grads, dw_out): grads
    shaped like params (full BPTT from the last step) and dw_out (K, H). The training run of
    chapter 02 (exploding gradients and clipping) descends this loss. Defined in chapter 02.
    """
    N = x.shape[1]
    hs, _, cache = rnn.forward(x, h0, params, activation=activation, fused=True)
    err = hs[-1] @ w_out.T - y                                           # (N, K)
    loss = float(np.sum(err ** 2) / (2 * N))
    dhs = np.zeros_like(hs)
    dhs[-1] = err @ w_out / N                                            # (N, H): only h_T is read out
    _, _, grads = rnn.backward(dhs, cache)
    return loss, grads, err.T @ hs[-1] / N
