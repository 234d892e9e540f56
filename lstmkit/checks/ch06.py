"""Checks for exercises 06 (beyond the LSTM), against lstmkit.gru, variants and charlm.

Used by exercises/06_beyond_lstm.ipynb and solutions/06_beyond_lstm.ipynb.
"""
import numpy as np

from lstmkit import charlm, gru, variants
from lstmkit.checks._report import NDH, CheckFailed, Report, call, number, passed, require_callable, unpack

__all__ = ["gru_step_forward", "gru_step_backward", "coupled_step_forward", "cross_entropy"]


def _gru_params(rng, D, H):
    return {k: 2.0 * v for k, v in gru.init_params(D, H, rng=rng).items()}   # gates away from 0.5


def _gru_forward_cause(rep):
    if rep.ok("cache[2] (r)", "cache[3] (z)", "cache[4] (n)") and rep.off("h"):
        return "r, z and n are right, h is not: which of n and h_prev does z weigh?"
    if rep.ok("cache[2] (r)", "cache[3] (z)", "cache[5] (hn)") and rep.off("cache[4] (n)"):
        return ("r, z and hn are right, n is not: where the reset gate acts (torch's GRU applies it to hn, "
                "after the matmul and its bias; Cho et al.'s to h_prev, before)")
    if rep.off("cache[2] (r)", "cache[3] (z)"):
        return "r and z are off: the row blocks r, z, n in this order, and which side each weight multiplies"
    return None


def gru_step_forward(fn):
    """fn(x_t, h_prev, params) -> (h, cache), cache = (x_t, h_prev, r, z, n, hn, params)."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(601), "gru_step_forward"
    for N, D, H in NDH:
        params, x_t, h_prev = _gru_params(rng, D, H), rng.standard_normal((N, D)), rng.standard_normal((N, H))
        h_ref, cache_ref = gru.step_forward(x_t, h_prev, params)
        case = f"N={N}, D={D}, H={H}"
        h, cache = unpack(name, call(name, fn, x_t=x_t, h_prev=h_prev, params=params), ("h", "cache"), case)
        rep = Report(name, case)
        rep.compare("h", h, h_ref)
        if not isinstance(cache, tuple) or len(cache) != 7:
            rep.wrong("cache", "expected the tuple (x_t, h_prev, r, z, n, hn, params) that gru.step_backward reads")
        else:
            for k, out in enumerate(("r", "z", "n", "hn"), start=2):
                rep.compare(f"cache[{k}] ({out})", cache[k], cache_ref[k])
        rep.done(_gru_forward_cause)
    passed(name, "h and the cached r, z, n, hn match lstmkit.gru.step_forward", len(NDH), "N, D, H down to 1")


def _gru_backward_cause(rep):
    sets, swaps = rep.block_sets()
    if swaps:
        a, b = sorted(swaps)[0]
        return f"blocks {a} and {b} trade places: torch's GRU rows are r, z, n"
    if rep.ok("dx", "grads['weight_ih']", "grads['bias_ih']") and rep.off("dh_prev") and rep.ok("grads['weight_hh']"):
        return "every gradient through the weights is right, dh_prev is not: h_prev also reaches h directly, through z"
    if rep.ok("dx", "grads['weight_ih']", "grads['bias_ih']") and rep.off("grads['bias_hh']"):
        return ("the input side is right, the hidden side is not (only in block n?): in the hidden projection "
                "r multiplies hn, so its n block gets another factor than the input projection's")
    if sets and set().union(*sets) == {"n"}:
        return "only block n is off: n = tanh(...), and r multiplies hn inside it"
    return None


def gru_step_backward(fn):
    """fn(dh, cache) -> (dx, dh_prev, grads) for lstmkit's GRU step cache."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(602), "gru_step_backward"
    for N, D, H in NDH:
        params, x_t, h_prev = _gru_params(rng, D, H), rng.standard_normal((N, D)), rng.standard_normal((N, H))
        _, cache = gru.step_forward(x_t, h_prev, params)
        dh = rng.standard_normal((N, H))
        dx_ref, dhp_ref, g_ref = gru.step_backward(dh, cache)
        case = f"N={N}, D={D}, H={H}"
        dx, dhp, g = unpack(name, call(name, fn, dh=dh, cache=cache), ("dx", "dh_prev", "grads"), case)
        rep = Report(name, case)
        rep.compare("dx", dx, dx_ref)
        rep.compare("dh_prev", dhp, dhp_ref)
        rep.grads(g, g_ref, blocks=("r", "z", "n"))
        rep.done(_gru_backward_cause)
    passed(name, "dx, dh_prev and the 4 grads match lstmkit.gru.step_backward", len(NDH), "N, D, H down to 1")


def coupled_step_forward(fn):
    """fn(x_t, h_prev, c_prev, params) -> (h, c) for the LSTM with i = 1 - f, torch's layout."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(603), "coupled_step_forward"
    for N, D, H in NDH:
        params = {k: 2.0 * v for k, v in variants.init_params(D, H, rng=rng, variant="coupled").items()}
        x_t, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
        h_ref, c_ref, _ = variants.step_forward(x_t, h_prev, c_prev, params, "coupled")
        case = f"N={N}, D={D}, H={H}"
        h, c = unpack(name, call(name, fn, x_t=x_t, h_prev=h_prev, c_prev=c_prev, params=params), ("h", "c"), case)
        rep = Report(name, case)
        rep.compare("c", c, c_ref)
        rep.compare("h", h, h_ref)

        def cause(rep):
            if rep.off("c"):
                return ("c is off: in the coupled cell the write gate is not computed from its own rows, "
                        "it is tied to the forget gate (rows 0:H stay unused)")
            return "c is right, h is not: the output gate (rows 3H:4H) times the squashed cell"
        rep.done(cause)
    passed(name, "h and c match lstmkit.variants (variant 'coupled')", len(NDH), "N, D, H down to 1")


def cross_entropy(fn):
    """fn(logits, targets) -> (loss, dlogits): mean cross-entropy over T*N and its gradient."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(604), "cross_entropy"
    sizes = [(3, 2, 5), (1, 1, 2), (4, 1, 7), (2, 3, 1)]
    for T, N, V in sizes:
        logits, targets = 3.0 * rng.standard_normal((T, N, V)), rng.integers(0, V, size=(T, N))
        loss_ref, d_ref = charlm.cross_entropy(logits, targets)
        case = f"T={T}, N={N}, V={V}"
        loss, d = unpack(name, call(name, fn, logits=logits, targets=targets), ("loss", "dlogits"), case)
        rep = Report(name, case)
        rep.compare("loss", number(name, "loss", loss, case), loss_ref)
        rep.compare("dlogits", d, d_ref)

        def cause(rep, n=T * N):
            r = rep.ratios()
            if any(v is not None and abs(v - n) < 1e-6 for v in r.values()):
                return f"{n} times too large: a sum over the T*N = {n} positions where the mean is asked for"
            return None
        rep.done(cause)
    # large logits: a softmax that does not subtract the maximum overflows
    big = np.array([[[1000.0, 0.0, -1000.0]]])
    case = "logits (1000, 0, -1000), target 0"
    with np.errstate(over="raise", invalid="raise"):
        try:
            loss, _ = unpack(name, call(name, fn, logits=big, targets=np.array([[0]])), ("loss", "dlogits"), case)
        except CheckFailed as err:
            if isinstance(err.__cause__, FloatingPointError):
                raise CheckFailed(f"{name} overflows at logits of 1000 ({err.__cause__}): exp of a large logit "
                                  "is inf. Softmax does not change when the same number is subtracted from a row"
                                  ) from None
            raise
    loss = number(name, "loss", loss, case)
    if not abs(loss) < 1e-12:
        raise CheckFailed([f"{name} is wrong for {case}: expected a loss of ~0 (the target's logit dominates), "
                           f"got {loss!r}", "  likely cause: a probability that rounds to 0 before its logarithm"]
                          ) from None
    passed(name, "loss and dlogits match lstmkit.charlm.cross_entropy, no overflow at 1000", len(sizes) + 1,
           "T, N, V down to 1")
