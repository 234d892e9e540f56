"""Checks for exercises 04 (backpropagation through the LSTM), against lstmkit.lstm.

Used by exercises/04_lstm_bptt.ipynb and solutions/04_lstm_bptt.ipynb.
"""
import math

import numpy as np

from lstmkit import lstm
from lstmkit.checks._report import (
    NDH,
    TNDH,
    CheckFailed,
    Report,
    call,
    number,
    passed,
    rel_error,
    require_callable,
    unpack,
)

__all__ = ["lstm_step_backward", "cell_gradients", "forget_bias_for_retention"]


def _lstm_params(rng, D, H):
    return {k: v * 2.0 for k, v in lstm.init_params(D, H, rng=rng).items()}   # saturated gates show more bugs


def _step_backward_cause(rep):
    sets, swaps = rep.block_sets()
    if swaps:
        a, b = sorted(swaps)[0]
        return (f"blocks {a} and {b} of da trade places: stack the pre-activation gradients in torch's "
                "order i, f, g, o (CS231n's is i, f, o, g)")
    only = set().union(*sets) if sets else set()
    if only == {"g"}:
        return ("only block g is off: the candidate g = tanh(a_g) is the one gate without a sigmoid, "
                "so its derivative is tanh's")
    if only == {"o"}:
        return "only block o is off: o reaches the loss only through h_t = o * tanh(c_t); then sigma'"
    if only == {"f"}:
        return "only block f is off: f multiplies c_(t-1) in the cell update"
    if only and only <= {"i", "g"}:
        return f"only block{'s' if len(only) > 1 else ''} {', '.join(sorted(only))} off: i and g multiply each other"
    if only == {"i", "f", "g"} and rep.off("dc_prev"):
        return ("block o is right, i, f, g and dc_prev are off: all of them go through the gradient on c_t, "
                "which has two routes, dc from c_(t+1) and the one through h_t")
    if only == {"i", "f", "g", "o"} and rep.ok("dc_prev"):
        return ("dc_prev is right, so the gradient on c_t is; every block of da is off: the gates' own "
                "derivatives, from the gate to its pre-activation")
    if only == {"i", "f", "o"}:
        return "blocks i, f, o are off, g is right: the sigmoid's derivative"
    if rep.ok("grads") and rep.off("dx", "dh_prev"):
        return "da is right (the grads are): dx and dh_prev are da times W_ih and W_hh; which side, transposed?"
    if rep.ok("grads", "dx", "dh_prev") and rep.off("dc_prev"):
        return "everything but dc_prev is right: the carousel's factor from c_(t-1) to c_t"
    return None


def lstm_step_backward(fn):
    """fn(dh, dc, cache) -> (dx, dh_prev, dc_prev, grads) for lstmkit's step cache."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(401), "lstm_step_backward"
    for N, D, H in NDH:
        params, x_t = _lstm_params(rng, D, H), rng.standard_normal((N, D))
        h_prev, c_prev = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        _, _, cache = lstm.step_forward(x_t, h_prev, c_prev, params)
        dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        refs = lstm.step_backward(dh, dc, cache)
        case = f"N={N}, D={D}, H={H}"
        got = unpack(name, call(name, fn, dh=dh, dc=dc, cache=cache), ("dx", "dh_prev", "dc_prev", "grads"), case)
        rep = Report(name, case)
        for out, mine, want in zip(("dx", "dh_prev", "dc_prev"), got, refs, strict=False):
            rep.compare(out, mine, want)
        rep.grads(got[3], refs[3], blocks=("i", "f", "g", "o"))
        rep.done(_step_backward_cause)
    passed(name, "dx, dh_prev, dc_prev and the 4 grads match lstmkit.lstm.step_backward", len(NDH),
           "N, D, H down to 1")


def _cell_gradients(x, state0, params):
    """(total, held, carousel), each (T+1, N, H): d sum(c_T)/dc_t in three senses.

    held[t]: with h_t held fixed (what step t+1's backward returns as dc_prev); total[t]: also through
    c_t -> h_t = o_t * tanh(c_t), the chapter's dL/dc_t; carousel[t]: the product of the f's alone.
    """
    T, states, caches = len(x), [state0], []
    for t in range(T):
        h, c, cache = lstm.step_forward(x[t], *states[-1], params)
        states.append((h, c))
        caches.append(cache)
    ones, zeros = np.ones_like(state0[1]), np.zeros_like(state0[1])
    held, total = [ones], [ones]
    for t in range(T - 1, -1, -1):   # restart lstm.backward on the subsequence x[t:] from state t
        _, _, fwd = lstm.forward(x[t:], states[t], params, fused=True)
        dh_t, dc_t = lstm.backward(None, fwd, (zeros, ones))[1]
        held.append(dc_t)
        # c_t -> h_t exists for t >= 1 only (h_0 is given, not computed from c_0); caches[t-1] is step t
        total.append(dc_t + dh_t * caches[t - 1][6] * (1 - caches[t - 1][7] ** 2) if t > 0 else dc_t)
    carousel = [ones]
    for cache in reversed(caches):
        carousel.append(carousel[-1] * cache[4])
    return np.array(total[::-1]), np.array(held[::-1]), np.array(carousel[::-1])


def cell_gradients(fn):
    """fn(x, state0, params) -> dcs (T+1, N, H), dcs[t] = d sum(c_T) / dc_t in total (c_t -> h_t included)."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(402), "cell_gradients"
    for T, N, D, H in sorted(TNDH, key=lambda s: -s[0]):
        params, x = _lstm_params(rng, D, H), rng.standard_normal((T, N, D))
        state0 = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
        case = f"T={T}, N={N}, D={D}, H={H}"
        total, held, carousel = _cell_gradients(x, state0, params)
        got = call(name, fn, x=x, state0=state0, params=params)
        rep = Report(name, case)
        rep.compare("dcs", got, total)

        def cause(rep, got=got, held=held, carousel=carousel, total=total):
            if rep.kind("dcs") != "value":
                return None
            got = np.asarray(got, dtype=np.float64)
            if rel_error(got, held) < 1e-8:
                return ("this is the gradient on c_t with h_t held fixed (what the backward of step t+1 returns "
                        "as dc_prev); the exercise asks for the total dL/dc_t, which also counts the route "
                        "c_t -> h_t = o_t * tanh(c_t)")
            if rel_error(got, carousel) < 1e-8:
                return ("this is the carousel alone, the product of the forget gates: c_t also reaches c_T "
                        "through h_t and the gates of later steps, so carry dh back as well as dc")
            if rel_error(got[::-1], total) < 1e-8:
                return "the right numbers in reverse order: dcs[t] belongs to c_t, dcs[0] to c_0"
            return None
        rep.done(cause)
    passed(name, "the total dc_T/dc_t matches lstmkit.lstm.backward", len(TNDH), "T, N, D, H down to 1")


def _forget_bias(keep, T):
    p = keep ** (1.0 / T)                 # the forget gate value that keeps `keep` after T steps
    return math.log(p) - math.log1p(-p)   # logit(p); log1p keeps 1 - p accurate when p is near 1


def forget_bias_for_retention(fn):
    """fn(keep, T) -> b_f with sigmoid(b_f)**T = keep, checked in closed form and in an LSTM run."""
    __tracebackhide__ = True
    require_callable(fn)
    name = "forget_bias_for_retention"
    cases = [(0.9, 50), (0.5, 1), (0.99, 1000), (0.1, 10), (0.999, 1)]
    for keep, T in cases:
        want, case = _forget_bias(keep, T), f"keep={keep}, T={T}"
        got = number(name, "b_f", call(name, fn, keep=keep, T=T), case)
        rep = Report(name, case)
        rep.compare("b_f", got, want)

        def cause(rep, got=got, keep=keep, T=T):
            if not math.isfinite(got):
                return None
            kept = (1 / (1 + math.exp(-got))) ** T if got > -700 else 0.0
            if T > 1 and abs(got - math.log(keep / (1 - keep))) < 1e-6:
                return (f"sigmoid(b_f) = keep makes one step keep {keep}, so T = {T} steps keep "
                        f"{kept:.3g}: the per-step factor is the T-th root")
            return (f"an LSTM with this b_f keeps {kept:.4g} of its cell after T = {T} steps, not {keep}: "
                    "first the per-step forget gate value, then the inverse of the sigmoid")
        rep.done(cause)
        # the same number through an LSTM: zero weights, so g = 0, c_t = f * c_{t-1} and f = sigmoid(b_f)
        params = {k: np.zeros(s) for k, s in (("weight_ih", (4, 1)), ("weight_hh", (4, 1)),
                                               ("bias_ih", (4,)), ("bias_hh", (4,)))}
        params["bias_ih"][1] = got
        _, (_, cT), _ = lstm.forward(np.zeros((T, 1, 1)), (np.zeros((1, 1)), np.ones((1, 1))), params, fused=True)
        if rel_error(cT[0, 0], keep) > 1e-6:
            raise CheckFailed(f"{name}: an LSTM with b_f = {got:.4f} keeps c_T / c_0 = {cT[0, 0]:.4f} after "
                              f"T = {T} steps, expected {keep}") from None
    print(f"PASS {name}: b_f right in {len(cases)} cases (T from 1 to 1000); "
          f"an LSTM with b_f = {_forget_bias(0.9, 50):.2f} "
          f"keeps c_T / c_0 = 0.900 after T = 50 steps")
