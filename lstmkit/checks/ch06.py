"""Checks for exercises 06 (beyond the LSTM), against lstmkit.gru, variants and charlm.

Each check recognises the typical mistakes exactly (it computes what each one gives and compares) and
otherwise reads the likely cause from the symptom.
Used by exercises/06_beyond_lstm.ipynb and solutions/06_beyond_lstm.ipynb.
"""
import math

import numpy as np

from lstmkit import charlm, gru, variants
from lstmkit.checks._report import (
    NDH,
    CheckFailed,
    Report,
    call,
    known_mistake,
    number,
    passed,
    require_callable,
    unpack,
)
from lstmkit.rnn import sigmoid

__all__ = ["gru_step_forward", "gru_step_backward", "coupled_step_forward", "cross_entropy",
           "coupled_forget_gradient"]

# What a graded answer may call from lstmkit besides lstmkit.functional (checks/_sealed.py): what
# the exercise gives the student to build on. Anything else of lstmkit's fails the graded check.
GRADED_MAY_CALL = {}


def _gru_params(rng, D, H):
    return {k: 2.0 * v for k, v in gru.init_params(D, H, rng=rng).items()}   # gates away from 0.5


def _gru_forward(x_t, h_prev, params, *, cho=False, bias_outside=False, swap_z=False, rz=(0, 1), bias_hh=True):
    """(h, r, z, n, hn) of torch's GRU step, with a typical mistake switched in."""
    H = h_prev.shape[1]
    W_ih, W_hh, b_ih, b_hh = (params[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    b_hh = b_hh if bias_hh else 0.0 * b_hh
    gi, gh = x_t @ W_ih.T + b_ih, h_prev @ W_hh.T + b_hh
    a = [gi[:, k * H:(k + 1) * H] + gh[:, k * H:(k + 1) * H] for k in (0, 1)]
    r, z = sigmoid(a[rz[0]]), sigmoid(a[rz[1]])
    hn = gh[:, 2 * H:]
    if cho:
        inner = (r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:]
    elif bias_outside:
        inner = r * (h_prev @ W_hh[2 * H:].T) + b_hh[2 * H:]
    else:
        inner = r * hn
    n = np.tanh(gi[:, 2 * H:] + inner)
    h = z * n + (1 - z) * h_prev if swap_z else (1 - z) * n + z * h_prev
    return h, r, z, n, hn


def _gru_forward_mistakes(x_t, h_prev, params):
    return [
        ("n is off: you reset h_prev before the matmul, as Cho et al. do; torch's GRU multiplies r with hn, "
         "after the matmul and its bias", _gru_forward(x_t, h_prev, params, cho=True)),
        ("n is off: r multiplies hn = h_prev W_hn^T + b_hn, its bias included; you added b_hn after the reset",
         _gru_forward(x_t, h_prev, params, bias_outside=True)),
        ("r, z and n are right, h is not: z weighs the old state h_prev in torch's GRU, 1 - z the candidate",
         _gru_forward(x_t, h_prev, params, swap_z=True)),
        ("r and z trade places: torch's GRU rows are r, z, n, the reset gate first",
         _gru_forward(x_t, h_prev, params, rz=(1, 0))),
        ("every gate is off: bias_hh is missing; torch's GRU adds both biases, b_ih and b_hh",
         _gru_forward(x_t, h_prev, params, bias_hh=False)),
    ]


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
        mine = (h, *cache[2:6]) if isinstance(cache, tuple) and len(cache) == 7 else None
        known = _gru_forward_mistakes(x_t, h_prev, params)
        rep.done(lambda rep, mine=mine, known=known: known_mistake(mine, known) or _gru_forward_cause(rep))
    passed(name, "h and the cached r, z, n, hn match lstmkit.gru.step_forward", len(NDH), "N, D, H down to 1")


def _gru_backward(dh, cache, *, direct=True, r_in_hidden=True, z_sign=1.0, tanh_prime=True):
    """gru.step_backward written out, with a typical mistake switched in."""
    x_t, h_prev, r, z, n, hn, params = cache
    dn, dz = dh * (1 - z), z_sign * dh * (h_prev - n)
    da_n = dn * (1 - n ** 2) if tanh_prime else dn
    da_r, da_z = da_n * hn * r * (1 - r), dz * z * (1 - z)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)
    dgh = np.concatenate([da_r, da_z, da_n * r if r_in_hidden else da_n], axis=1)
    dh_prev = (dh * z if direct else 0.0) + dgh @ params["weight_hh"]
    grads = {"weight_ih": dgi.T @ x_t, "weight_hh": dgh.T @ h_prev, "bias_ih": dgi.sum(0), "bias_hh": dgh.sum(0)}
    return dgi @ params["weight_ih"], dh_prev, grads


def _gru_backward_mistakes(dh, cache):
    return [
        ("every gradient through the weights is right, dh_prev is not: h_prev also reaches h directly, through z",
         _gru_backward(dh, cache, direct=False)),
        ("the hidden projection's n block is off: r multiplies hn, so the hidden side's n block carries a factor "
         "that the input side's does not", _gru_backward(dh, cache, r_in_hidden=False)),
        ("block z has its sign flipped: which of n and h_prev does z weigh, and which gets 1 - z?",
         _gru_backward(dh, cache, z_sign=-1.0)),
        ("n's nonlinearity is missing from the backward: n = tanh(gi_n + r * hn), so its pre-activation gets tanh'",
         _gru_backward(dh, cache, tanh_prime=False)),
    ]


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
        known = _gru_backward_mistakes(dh, cache)
        rep.done(lambda rep, mine=(dx, dhp, g), known=known: known_mistake(mine, known) or _gru_backward_cause(rep))
    passed(name, "dx, dh_prev and the 4 grads match lstmkit.gru.step_backward", len(NDH), "N, D, H down to 1")


def _coupled(x_t, h_prev, c_prev, params, write):
    """(h, c) of an LSTM step whose cell is f * c_prev + write(i, f) * g, or with f and the write swapped."""
    a = x_t @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = (1 - f) * c_prev + f * g if write == "swapped" else f * c_prev + write(i, f) * g
    return o * np.tanh(c), c


def _coupled_mistakes(x_t, h_prev, c_prev, params):
    return [
        ("c is off: in the coupled cell the write gate is not computed from its own rows, it is tied to the "
         "forget gate (rows 0:H stay unused)", _coupled(x_t, h_prev, c_prev, params, lambda i, f: i)),
        ("c is off: the write gate is f itself; coupled means it writes what it does not keep",
         _coupled(x_t, h_prev, c_prev, params, lambda i, f: f)),
        ("f and 1 - f trade places: the forget gate f keeps c_(t-1), and what is not kept, 1 - f, writes g",
         _coupled(x_t, h_prev, c_prev, params, "swapped")),
    ]


def _coupled_case(rng, N, D, H):
    """params, x_t, h_prev, c_prev of one coupled-LSTM case, and variants.step_forward's (h, c, cache)."""
    params = {k: 2.0 * v for k, v in variants.init_params(D, H, rng=rng, variant="coupled").items()}
    x_t, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    return params, x_t, h_prev, c_prev, variants.step_forward(x_t, h_prev, c_prev, params, "coupled")


def coupled_step_forward(fn):
    """fn(x_t, h_prev, c_prev, params) -> (h, c) for the LSTM with i = 1 - f, torch's layout."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(603), "coupled_step_forward"
    for N, D, H in NDH:
        params, x_t, h_prev, c_prev, (h_ref, c_ref, _) = _coupled_case(rng, N, D, H)
        case = f"N={N}, D={D}, H={H}"
        h, c = unpack(name, call(name, fn, x_t=x_t, h_prev=h_prev, c_prev=c_prev, params=params), ("h", "c"), case)
        rep = Report(name, case)
        rep.compare("c", c, c_ref)
        rep.compare("h", h, h_ref)

        known = _coupled_mistakes(x_t, h_prev, c_prev, params)

        def cause(rep, mine=(h, c), known=known):
            found = known_mistake(mine, known)
            if found or not rep.off("c"):
                return found or "c is right, h is not: the output gate (rows 3H:4H) times the squashed cell"
            return ("c is off: in the coupled cell the write gate is not computed from its own rows, "
                    "it is tied to the forget gate (rows 0:H stay unused)")
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
        loss = number(name, "loss", loss, case)
        rep.compare("loss", loss, loss_ref)
        rep.compare("dlogits", d, d_ref)

        def cause(rep, n=T * N, d=d, logits=logits, ratio=loss / loss_ref if loss_ref else math.nan):
            r = rep.ratios()
            if any(v is not None and abs(v - n) < 1e-6 for v in r.values()) or abs(ratio - n) < 1e-6:
                return f"{n} times too large: a sum over the T*N = {n} positions where the mean is asked for"
            if abs(ratio - 1 / np.log(2)) < 1e-6:
                return "1.443 = 1 / ln 2 times the right loss: a logarithm to base 2 gives bits; the loss is in nats"
            p = np.exp(logits - logits.max(-1, keepdims=True))
            if rep.ok("loss") and known_mistake(d, [("", p / p.sum(-1, keepdims=True) / n)]) is not None:
                return "the loss is right, dlogits is the softmax alone: the one-hot target is not subtracted"
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


def _coupled_forget(dc, c_prev, f, g, *, write=-1.0, slope=True):
    """da_f of the coupled cell c = f * c_prev + (1 - f) * g; write=0 drops the write's route, +1 flips it."""
    return dc * (c_prev + write * g) * (f * (1 - f) if slope else 1.0)


def coupled_forget_gradient(fn):
    """fn(dc, c_prev, f, g) -> da_f (N, H), the gradient on a_f when the cell is f * c_prev + (1 - f) * g."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(605), "coupled_forget_gradient"
    for N, D, H in NDH:
        *_, (_, _, cache) = _coupled_case(rng, N, D, H)
        dc = rng.standard_normal((N, H))
        # the reference: lstmkit.variants' backward with dh = 0, so dc is the whole gradient on c_t
        da_f = variants.gate_gradients(np.zeros_like(dc), dc, cache)[0][:, H:2 * H]
        case = f"N={N}, H={H}"
        got = call(name, fn, dc=dc, c_prev=cache.c_prev, f=cache.f, g=cache.g)
        rep = Report(name, case)
        rep.compare("da_f", got, da_f)
        known = [
            ("only the keep route: f also sets the write, 1 - f, so a change of f moves c_t twice",
             _coupled_forget(dc, cache.c_prev, cache.f, cache.g, write=0.0)),
            ("the write's route enters with the wrong sign: the write gate is 1 - f, which falls when f rises",
             _coupled_forget(dc, cache.c_prev, cache.f, cache.g, write=1.0)),
            ("no sigma': this is the gradient on the gate value f_t, not yet on its pre-activation a_f",
             _coupled_forget(dc, cache.c_prev, cache.f, cache.g, slope=False)),
        ]
        rep.done(lambda rep, got=got, known=known: known_mistake(got, known))
    passed(name, "da_f matches lstmkit.variants' coupled backward", len(NDH), "N, H down to 1")
