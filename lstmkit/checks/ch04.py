"""Checks for exercises 04 (backpropagation through the LSTM), against lstmkit.lstm and lstmkit.variants.

Each check recognises the typical mistakes exactly (it computes what each one gives and compares) and
otherwise reads the likely cause from the symptom (which blocks, which outputs are off).
Used by exercises/04_lstm_bptt.ipynb and solutions/04_lstm_bptt.ipynb.
"""
import math

import numpy as np

from lstmkit import lstm, variants
from lstmkit.checks._report import (
    NDH,
    TNDH,
    CheckFailed,
    Report,
    call,
    known_mistake,
    number,
    passed,
    rel_error,
    require_callable,
    unpack,
)

__all__ = ["lstm_step_backward", "cell_gradients", "forget_bias_for_retention", "peephole_step_backward"]

# What a graded answer may call from lstmkit besides lstmkit.functional (checks/_sealed.py): what
# the exercise gives the student to build on. Anything else of lstmkit's fails the graded check.
GRADED_MAY_CALL = {"cell_gradients": ("lstmkit.lstm.step_forward", "lstmkit.lstm.step_backward")}


def _lstm_params(rng, D, H):
    return {k: v * 2.0 for k, v in lstm.init_params(D, H, rng=rng).items()}   # saturated gates show more bugs


def _backward(dh, dc, cache, *, route_slope=None, base=None):
    """lstm.step_backward written out, with a mistake switched in: the outputs a typical mistake gives.

    route_slope(tanh_c) replaces tanh' in the route c_t -> h_t (lambda t: 0 * t drops the route);
    base(dc_in, dc_total) is what dc_prev multiplies by f instead of the total gradient on c_t.
    """
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, params = cache
    slope = (1.0 - tanh_c ** 2) if route_slope is None else route_slope(tanh_c)
    dc_total = dc + dh * o * slope
    da = np.concatenate([dc_total * g * i * (1 - i), dc_total * c_prev * f * (1 - f),
                         dc_total * i * (1 - g ** 2), dh * tanh_c * o * (1 - o)], axis=1)
    dc_prev = (dc_total if base is None else base(dc, dc_total)) * f
    grads = {"weight_ih": da.T @ x_t, "weight_hh": da.T @ h_prev, "bias_ih": da.sum(0), "bias_hh": da.sum(0)}
    return da @ params["weight_ih"], da @ params["weight_hh"], dc_prev, grads


_TANH_SIGN = ("the route c_t -> h_t is there, but a sign in its tanh'(c_t) is wrong: tanh' = 1 - tanh^2 "
              "(not 1 + tanh^2, not tanh^2 - 1)")


def _step_backward_mistakes(dh, dc, cache):
    """(likely cause, the outputs that mistake gives) for the typical mistakes of exercise 4.1."""
    return [
        ("the gradient on c_t has two routes, dc from c_(t+1) and the one through h_t = o_t * tanh(c_t); "
         "you used dc alone, so i, f, g and dc_prev are off and only o is right",
         _backward(dh, dc, cache, route_slope=lambda t: 0.0 * t)),
        (_TANH_SIGN, _backward(dh, dc, cache, route_slope=lambda t: 1.0 + t ** 2)),
        (_TANH_SIGN, _backward(dh, dc, cache, route_slope=lambda t: t ** 2 - 1.0)),
        ("the route c_t -> h_t misses tanh'(c_t): dh * o_t is the gradient on tanh(c_t), not yet on c_t",
         _backward(dh, dc, cache, route_slope=lambda t: 1.0 + 0.0 * t)),
        ("dc_prev is the incoming dc times f_t: the factor f_t is right, the base is not; dc_prev passes on "
         "the total gradient on c_t, so add the route through h_t before you multiply",
         _backward(dh, dc, cache, base=lambda dc_in, dc_total: dc_in)),
    ]


def _step_backward_cause(rep):
    """The likely cause of exercise 4.1's (or 4.4's) symptoms, read from which blocks and outputs are off."""
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
        return ("block o is right, i, f, g and dc_prev are off: all of them go through the gradient on c_t; "
                "which routes meet at c_t, and did you add them all before using it?")
    if only == {"i", "f", "g", "o"} and rep.ok("dc_prev"):
        return ("dc_prev is right, so the gradient on c_t is; every block of da is off: the gates' own "
                "derivatives, from the gate to its pre-activation")
    if only == {"i", "f", "o"}:
        return "blocks i, f, o are off, g is right: the sigmoid's derivative"
    if rep.ok("grads") and rep.off("dx", "dh_prev"):
        return "da is right (the grads are): dx and dh_prev are da times W_ih and W_hh; which side, transposed?"
    if rep.ok("grads", "dx", "dh_prev") and rep.off("dc_prev"):
        return ("everything but dc_prev is right: dc_prev is a gradient on c_t times the carousel's factor "
                "f_t; check both the factor and which gradient on c_t it multiplies")
    return None


def _check_step_backward(fn, name, rng, make_params, forward, backward, mistakes, cause, extra=(), max_lines=8):
    """Exercises 4.1 and 4.4: fn(dh, dc, cache) against backward on the cache of forward, for every NDH case."""
    __tracebackhide__ = True
    for N, D, H in NDH:
        params, x_t = make_params(rng, D, H), rng.standard_normal((N, D))
        h_prev, c_prev = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        _, _, cache = forward(x_t, h_prev, c_prev, params)
        dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        refs = backward(dh, dc, cache)
        case = f"N={N}, D={D}, H={H}"
        got = unpack(name, call(name, fn, dh=dh, dc=dc, cache=cache), ("dx", "dh_prev", "dc_prev", "grads"), case)
        rep = Report(name, case)
        for out, mine, want in zip(("dx", "dh_prev", "dc_prev"), got, refs, strict=False):
            rep.compare(out, mine, want)
        rep.grads(got[3], refs[3], blocks=("i", "f", "g", "o"))
        if extra and isinstance(got[3], dict) and sorted(got[3]) == sorted(refs[3]):
            for k in extra:
                rep.compare(f"grads['{k}']", got[3][k], refs[3][k])
        known = mistakes(dh, dc, cache)
        rep.done(lambda rep, got=got, known=known: known_mistake(got, known) or cause(rep), max_lines=max_lines)


def lstm_step_backward(fn):
    """fn(dh, dc, cache) -> (dx, dh_prev, dc_prev, grads) for lstmkit's step cache."""
    __tracebackhide__ = True
    require_callable(fn)
    name = "lstm_step_backward"
    _check_step_backward(fn, name, np.random.default_rng(401), _lstm_params, lstm.step_forward, lstm.step_backward,
                         _step_backward_mistakes, _step_backward_cause)
    passed(name, "dx, dh_prev, dc_prev and the 4 grads match lstmkit.lstm.step_backward", len(NDH),
           "N, D, H down to 1")


def _cell_gradients(x, state0, params):
    """(total, held, carousel, late), each (T+1, N, H): d sum(c_T)/dc_t in three senses, and a mistake.

    held[t]: with h_t held fixed (what step t+1's backward returns as dc_prev); total[t]: also through
    c_t -> h_t = o_t * tanh(c_t), the chapter's dL/dc_t; carousel[t]: the product of the f's alone;
    late[t]: the route c_t -> h_t taken with step t+1's o and tanh(c), one cache too late.
    """
    T, states, caches = len(x), [state0], []
    for t in range(T):
        h, c, cache = lstm.step_forward(x[t], *states[-1], params)
        states.append((h, c))
        caches.append(cache)
    ones, zeros = np.ones_like(state0[1]), np.zeros_like(state0[1])
    held, total, late = [ones], [ones], [ones]
    for t in range(T - 1, -1, -1):   # restart lstm.backward on the subsequence x[t:] from state t
        _, _, fwd = lstm.forward(x[t:], states[t], params, fused=True)
        dh_t, dc_t = lstm.backward(None, fwd, (zeros, ones))[1]
        held.append(dc_t)
        # c_t -> h_t exists for t >= 1 only (h_0 is given, not computed from c_0); caches[t-1] is step t
        total.append(dc_t + dh_t * caches[t - 1][6] * (1 - caches[t - 1][7] ** 2) if t > 0 else dc_t)
        late.append(dc_t + dh_t * caches[t][6] * (1 - caches[t][7] ** 2) if t > 0 else dc_t)
    carousel = [ones]
    for cache in reversed(caches):
        carousel.append(carousel[-1] * cache[4])
    return tuple(np.array(a[::-1]) for a in (total, held, carousel, late))


def cell_gradients(fn):
    """fn(x, state0, params) -> dcs (T+1, N, H), dcs[t] = d sum(c_T) / dc_t in total (c_t -> h_t included)."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(402), "cell_gradients"
    for T, N, D, H in sorted(TNDH, key=lambda s: -s[0]):
        params, x = _lstm_params(rng, D, H), rng.standard_normal((T, N, D))
        state0 = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
        case = f"T={T}, N={N}, D={D}, H={H}"
        total, held, carousel, late = _cell_gradients(x, state0, params)
        got = call(name, fn, x=x, state0=state0, params=params)
        rep = Report(name, case)
        rep.compare("dcs", got, total)

        def cause(rep, got=got, held=held, carousel=carousel, total=total, late=late):
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
            if rel_error(got, late) < 1e-8:
                return ("the route c_t -> h_t uses o and tanh(c) of step t+1, the cache you just went back "
                        "through; h_t = o_t * tanh(c_t) is computed by step t, whose cache is one earlier")
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


PEEPHOLE_GRADS = ("peephole_i", "peephole_f", "peephole_o")


def _peephole_backward(dh, dc, cache, *, o_route=True, prev_routes=True, o_sees="c", slope=True):
    """variants.step_backward for the peephole LSTM written out, with a typical mistake switched in.

    o_route: o_t's peephole adds da_o * p_o to the gradient on c_t; prev_routes: i_t's and f_t's add
    da_i * p_i + da_f * p_f to dc_prev; o_sees: the cell p_o's gradient multiplies ("c" or "c_prev");
    slope: the peephole gradients take the pre-activations' gradients (False: the gates' own).
    """
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, c, params, _ = cache
    do = dh * tanh_c
    da_o = do * o * (1 - o)
    dc = dc + dh * o * (1 - tanh_c ** 2) + (da_o * params["peephole_o"] if o_route else 0.0)
    di, df, dg = dc * g, dc * c_prev, dc * i
    da_i, da_f, da_g = di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2)
    dc_prev = dc * f + ((da_i * params["peephole_i"] + da_f * params["peephole_f"]) if prev_routes else 0.0)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)
    (gi, gf, go) = (da_i, da_f, da_o) if slope else (di, df, do)
    grads = {"weight_ih": da.T @ x_t, "weight_hh": da.T @ h_prev, "bias_ih": da.sum(0), "bias_hh": da.sum(0),
             "peephole_i": (gi * c_prev).sum(0), "peephole_f": (gf * c_prev).sum(0),
             "peephole_o": (go * (c if o_sees == "c" else c_prev)).sum(0)}
    return da @ params["weight_ih"], da @ params["weight_hh"], dc_prev, grads


def _peephole_mistakes(dh, dc, cache):
    """(likely cause, the outputs that mistake gives) for the typical mistakes of exercise 4.4."""
    return [
        ("the gradient on c_t misses a route: o_t looks at the new cell through p_o, so besides dc and the "
         "route through h_t, a third route meets at c_t, through a_o",
         _peephole_backward(dh, dc, cache, o_route=False)),
        ("dc_prev is only the carousel's: c_(t-1) now also feeds i_t and f_t through p_i and p_f, two more "
         "routes back to c_(t-1)", _peephole_backward(dh, dc, cache, prev_routes=False)),
        ("o_t's peephole multiplies the new cell c_t, not c_(t-1): its gradient pairs da_o with c_t",
         _peephole_backward(dh, dc, cache, o_sees="c_prev")),
        ("the peepholes sit inside the sigmoids, beside a_i, a_f, a_o: their gradients start from the "
         "pre-activations' gradients, through sigma', not from the gates' own",
         _peephole_backward(dh, dc, cache, slope=False)),
        ("two routes are missing: the one to c_t through o_t's peephole and the two from c_(t-1) through "
         "i_t's and f_t's", _peephole_backward(dh, dc, cache, o_route=False, prev_routes=False)),
    ]


def _peephole_cause(rep):
    shapes = [k for k in PEEPHOLE_GRADS if rep.kind(f"grads['{k}']") in ("shape", "transposed")]
    if shapes:
        return (f"grads['{shapes[0]}'] has the wrong shape: a peephole is one weight per unit, (H,), shared "
                "by every example of the batch, so its gradient sums over N")
    return _step_backward_cause(rep)


def _peephole_params(rng, D, H):
    params = {k: v * 2.0 for k, v in variants.init_params(D, H, rng=rng, variant="peephole").items()}
    return {**params, **{k: params[k] * 2.0 for k in PEEPHOLE_GRADS}}   # peepholes of order 1 show every route


def peephole_step_backward(fn):
    """fn(dh, dc, cache) -> (dx, dh_prev, dc_prev, grads) for the cache of variants.step_forward(..., "peephole")."""
    __tracebackhide__ = True
    require_callable(fn)
    name = "peephole_step_backward"
    _check_step_backward(fn, name, np.random.default_rng(404), _peephole_params,
                         lambda x_t, h, c, params: variants.step_forward(x_t, h, c, params, "peephole"),
                         variants.step_backward, _peephole_mistakes, _peephole_cause, extra=PEEPHOLE_GRADS,
                         max_lines=7)   # 11 outputs: the report stays within ten lines
    passed(name, "dx, dh_prev, dc_prev and the 7 grads match lstmkit.variants.step_backward", len(NDH),
           "N, D, H down to 1")
