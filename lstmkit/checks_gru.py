"""Checks for exercises/06_beyond_lstm.ipynb, in the conventions of ``lstmkit.checks``.

Each ``check_<exercise>(fn)`` calls fn on seeded random inputs of several shapes (sizes down to 1),
compares every output with lstmkit's own implementation (``gru``, ``variants``, ``charlm``) and
prints one PASS line; when an output is off it raises an AssertionError that names the output, its
shape against the expected one, the relative error and a hint, never the reference code. The stub's
NotImplementedError becomes ``NotImplementedYet``. Tolerance ``TOL = 1e-8`` (see lstmkit.checks).
Used by exercises/ and solutions/06_beyond_lstm.ipynb.
"""
import numpy as np

from lstmkit import charlm, gru, variants
from lstmkit.checks import NDH, TOL, NotImplementedYet, _call, _passed, _Report, _require_callable, _unpack

__all__ = ["NotImplementedYet", "check_gru_step_forward", "check_gru_step_backward",
           "check_coupled_step_forward", "check_cross_entropy"]

_GRU_HINTS = {
    "h": "h = (1 - z) * n + z * h_prev: z weighs the OLD state",
    "r": "r = sigmoid(gi_r + gh_r) from rows 0:H of both projections (torch's order r, z, n)",
    "z": "z = sigmoid(gi_z + gh_z) from rows H:2H",
    "n": "n = tanh(gi_n + r * hn), hn = h_prev @ W_hn.T + b_hn: torch applies r AFTER the matmul and its bias",
    "hn": "hn = h_prev @ W_hh[2H:].T + bias_hh[2H:], before r multiplies it",
}


def _gru_params(rng, D, H):
    return {k: 2.0 * v for k, v in gru.init_params(D, H, rng=rng).items()}   # gates away from 0.5


def check_gru_step_forward(fn):
    """fn(x_t, h_prev, params) -> (h, cache), cache = (x_t, h_prev, r, z, n, hn, params)."""
    _require_callable(fn)
    rng, name = np.random.default_rng(601), "gru_step_forward"
    for N, D, H in NDH:
        params, x_t, h_prev = _gru_params(rng, D, H), rng.standard_normal((N, D)), rng.standard_normal((N, H))
        h_ref, cache_ref = gru.step_forward(x_t, h_prev, params)
        case = f"N={N}, D={D}, H={H}"
        h, cache = _unpack(name, _call(name, fn, x_t=x_t, h_prev=h_prev, params=params), ("h", "cache"), case)
        rep = _Report(name, case)
        rep.compare("h", h, h_ref, _GRU_HINTS["h"])
        if not isinstance(cache, tuple) or len(cache) != 7:
            rep.wrong.append("cache: expected the tuple (x_t, h_prev, r, z, n, hn, params) "
                             "that gru.step_backward reads")
        else:
            for k, out in enumerate(("r", "z", "n", "hn"), start=2):
                rep.compare(f"cache[{k}] ({out})", cache[k], cache_ref[k], _GRU_HINTS[out])
        rep.done()
    _passed(name, "h and the cached r, z, n, hn match lstmkit.gru.step_forward", len(NDH), "N, D, H down to 1")


_GRU_BACK_HINTS = {
    "dx": "dx = dgi @ W_ih with dgi = [da_r, da_z, da_n] (N, 3H)",
    "dh_prev": "two routes: the direct z * dh, plus dgh @ W_hh with dgh = [da_r, da_z, da_n * r]",
    "weight_ih": "dW_ih = dgi.T @ x_t, shape (3H, D)",
    "weight_hh": "dW_hh = dgh.T @ h_prev: the n rows get da_n * r, not da_n (r multiplies hn)",
    "bias_ih": "sum dgi over the batch axis", "bias_hh": "sum dgh over the batch axis: its n block is da_n * r",
}


def check_gru_step_backward(fn):
    """fn(dh, cache) -> (dx, dh_prev, grads) for lstmkit's GRU step cache."""
    _require_callable(fn)
    rng, name = np.random.default_rng(602), "gru_step_backward"
    for N, D, H in NDH:
        params, x_t, h_prev = _gru_params(rng, D, H), rng.standard_normal((N, D)), rng.standard_normal((N, H))
        _, cache = gru.step_forward(x_t, h_prev, params)
        dh = rng.standard_normal((N, H))
        dx_ref, dhp_ref, g_ref = gru.step_backward(dh, cache)
        case = f"N={N}, D={D}, H={H}"
        dx, dhp, g = _unpack(name, _call(name, fn, dh=dh, cache=cache), ("dx", "dh_prev", "grads"), case)
        rep = _Report(name, case)
        rep.compare("dx", dx, dx_ref, _GRU_BACK_HINTS["dx"])
        rep.compare("dh_prev", dhp, dhp_ref, _GRU_BACK_HINTS["dh_prev"])
        rep.grads(g, g_ref, _GRU_BACK_HINTS)
        rep.done()
    _passed(name, "dx, dh_prev and the 4 grads match lstmkit.gru.step_backward", len(NDH), "N, D, H down to 1")


def check_coupled_step_forward(fn):
    """fn(x_t, h_prev, c_prev, params) -> (h, c) for the LSTM with i = 1 - f, torch's layout."""
    _require_callable(fn)
    rng, name = np.random.default_rng(603), "coupled_step_forward"
    for N, D, H in NDH:
        params = {k: 2.0 * v for k, v in variants.init_params(D, H, rng=rng, variant="coupled").items()}
        x_t, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
        h_ref, c_ref, _ = variants.step_forward(x_t, h_prev, c_prev, params, "coupled")
        case = f"N={N}, D={D}, H={H}"
        h, c = _unpack(name, _call(name, fn, x_t=x_t, h_prev=h_prev, c_prev=c_prev, params=params), ("h", "c"), case)
        rep = _Report(name, case)
        rep.compare("c", c, c_ref, "c = f * c_prev + (1 - f) * g, with f from rows H:2H and g from rows 2H:3H; "
                                   "rows 0:H (the input gate's) are not used")
        rep.compare("h", h, h_ref, "h = o * tanh(c), o from rows 3H:4H")
        rep.done()
    _passed(name, "h and c match lstmkit.variants (variant 'coupled')", len(NDH), "N, D, H down to 1")


def check_cross_entropy(fn):
    """fn(logits, targets) -> (loss, dlogits): mean cross-entropy over T*N and its gradient."""
    _require_callable(fn)
    rng, name = np.random.default_rng(604), "cross_entropy"
    sizes = [(1, 1, 2), (3, 2, 5), (4, 1, 7), (2, 3, 1)]
    for T, N, V in sizes:
        logits, targets = 3.0 * rng.standard_normal((T, N, V)), rng.integers(0, V, size=(T, N))
        loss_ref, d_ref = charlm.cross_entropy(logits, targets)
        case = f"T={T}, N={N}, V={V}"
        loss, d = _unpack(name, _call(name, fn, logits=logits, targets=targets), ("loss", "dlogits"), case)
        rep = _Report(name, case)
        rep.compare("loss", loss, loss_ref, "the MEAN over all T*N positions of -log softmax(logits)[target]")
        rep.compare("dlogits", d, d_ref, "(softmax(logits) - onehot(targets)) / (T * N)")
        rep.done()
    # large logits: a softmax that does not subtract the maximum overflows
    big = np.array([[[1000.0, 0.0, -1000.0]]])
    with np.errstate(over="raise", invalid="raise"):
        try:
            loss, _ = _unpack(name, _call(name, fn, logits=big, targets=np.array([[0]])), ("loss", "dlogits"),
                              "logits (1000, 0, -1000)")
        except AssertionError as err:
            if isinstance(err.__cause__, FloatingPointError):
                raise AssertionError(f"{name} overflows at logits of 1000 ({err.__cause__}). Hint: subtract "
                                     "the largest logit of each row before exp; softmax does not change") from err
            raise
    if not (np.ndim(loss) == 0 and abs(float(loss)) < 1e-12):
        raise AssertionError(f"{name} is wrong for logits (1000, 0, -1000), target 0: expected a loss of ~0 "
                             f"(the target's logit dominates), got {loss!r}. Hint: subtract the largest logit "
                             "of each row before exp, and take the log of the normaliser, not of each exp")
    _passed(name, "loss and dlogits match lstmkit.charlm.cross_entropy, no overflow at 1000", len(sizes) + 1,
            "T, N, V down to 1", TOL)
