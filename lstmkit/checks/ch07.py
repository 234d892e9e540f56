"""Checks for exercises 07 (the linear recurrence as a scan), against lstmkit.scan.

Used by exercises/07_parallel_scan.ipynb and solutions/07_parallel_scan.ipynb.
"""
import math

import numpy as np

from lstmkit import scan
from lstmkit.checks._report import (
    CheckFailed,
    Report,
    as_real,
    call,
    number,
    passed,
    rel_error,
    require_callable,
    unpack,
)
from lstmkit.gradcheck import numerical_gradient

__all__ = ["scan_operator", "scan_forward", "scan_backward", "closed_form_breakdown"]

# What a graded answer may call from lstmkit besides lstmkit.functional (checks/_sealed.py): what
# the exercise gives the student to build on. Anything else of lstmkit's fails the graded check.
GRADED_MAY_CALL = {"scan_forward": ("lstmkit.checks.ch07._Counting.__call__",)}   # the operator it is given

SHAPES = [(5, 2, 3), (1, 1, 1), (8, 1, 2), (13, 3, 1), (2, 2, 2)]   # (T, N, H); T a power of 2 and not


def _problem(rng, T, N, H):
    return rng.uniform(0.3, 1.0, (T, N, H)), rng.standard_normal((T, N, H)), rng.standard_normal((N, H))


def scan_operator(fn):
    """fn((a1, b1), (a2, b2)) -> (a, b): step 1, then step 2, as one step."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(701), "scan_operator"
    for _, N, H in SHAPES:
        s1 = (rng.uniform(0.3, 1.0, (N, H)), rng.standard_normal((N, H)))
        s2 = (rng.uniform(0.3, 1.0, (N, H)), rng.standard_normal((N, H)))
        want, case = scan.combine(s1, s2), f"N={N}, H={H}"
        got = unpack(name, call(name, fn, first=s1, second=s2), ("a", "b"), case)
        rep = Report(name, case)
        rep.compare("a", got[0], want[0])
        rep.compare("b", got[1], want[1])

        def cause(rep, got=got, s1=s1, s2=s2):
            b = as_real(got[1])
            if b is None or b.shape != s1[1].shape:
                return None
            if rel_error(b, s1[0] * s2[1] + s1[1]) < 1e-8:
                return ("b is a1 b2 + b1: step 2 applied first. The pair (a1, b1) is the earlier step: "
                        "h -> a2 (a1 h + b1) + b2")
            if rel_error(b, s1[1] + s2[1]) < 1e-8:
                return "b is b1 + b2: the later step also multiplies what the earlier one added"
            if rel_error(b, s2[0] * s2[1] + s1[1]) < 1e-8 or rel_error(b, s1[0] * s1[1] + s2[1]) < 1e-8:
                return "b multiplies a step's a with its own b: which a scales b1 when step 2 runs?"
            return "write out a2 (a1 h + b1) + b2 and read off the factor of h and the rest"
        rep.done(cause)
    passed(name, "(a, b) match (a1 a2, a2 b1 + b2)", len(SHAPES), "N, H down to 1")


class _Counting:
    """The scan operator, counting its calls."""

    def __init__(self):
        self.calls = 0

    def __repr__(self):
        return "the scan operator (it counts its calls)"

    def __call__(self, first, second):
        self.calls += 1
        return scan.combine(first, second)


def scan_forward(fn):
    """fn(a, b, h0, combine) -> hs (T, N, H), with ceil(log2 T) calls of combine and no loop over t."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(702), "scan_forward"
    for T, N, H in SHAPES:
        a, b, h0 = _problem(rng, T, N, H)
        want, case = scan.loop(a, b, h0), f"T={T}, N={N}, H={H}"
        counter = _Counting()
        got = call(name, fn, a=a, b=b, h0=h0, combine=counter)
        rep = Report(name, case)
        rep.compare("hs", got, want)

        def cause(rep, got=got, a=a, b=b, h0=h0, want=want, T=T):
            hs = as_real(got)
            if hs is None or hs.shape != want.shape:
                return None
            if rel_error(hs, scan.loop(a, b, np.zeros_like(h0))) < 1e-8:
                return "these are the states from h0 = 0: fold h0 into the first step (h_1 = a_1 h0 + b_1)"
            if T > 1 and rel_error(hs[1:], want[:-1]) < 1e-8:
                return "hs is shifted by one step: hs[t] is h_(t+1), the state after step t+1 (hs[0] = h_1, not h0)"
            final = np.isclose(hs, want, rtol=1e-8, atol=1e-12).all(axis=(1, 2))
            if final[0] and not final.all():
                k = int(np.argmin(final))
                return (f"the first {k} states are right, the later ones are not: too few rounds? position t needs "
                        f"the partner t - d for d = 1, 2, 4, ... up to T - 1 (here {scan.rounds(T)} rounds)")
            return None
        rep.done(cause)
        if counter.calls > scan.rounds(T) + 1:   # one more allowed: folding h0 in with combine
            raise CheckFailed([f"{name} is right for {case} but called combine {counter.calls} times:",
                               f"  a scan needs ceil(log2 T) = {scan.rounds(T)} rounds, each ONE call of combine on "
                               "all positions at once (slices of a and b), not one call per step"]) from None
    passed(name, f"hs match the step loop with ceil(log2 T) calls of combine (T up to {max(s[0] for s in SHAPES)})",
           len(SHAPES), "T, N, H down to 1")


def scan_backward(fn):
    """fn(dhs, a, hs, h0) -> (da, db, dh0), the gradients of sum(hs * dhs)."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(703), "scan_backward"
    for T, N, H in SHAPES:
        a, b, h0 = _problem(rng, T, N, H)
        hs, dhs = scan.loop(a, b, h0), rng.standard_normal((T, N, H))
        want, case = scan.backward(dhs, a, hs, h0), f"T={T}, N={N}, H={H}"
        got = unpack(name, call(name, fn, dhs=dhs, a=a, hs=hs, h0=h0), ("da", "db", "dh0"), case)
        rep = Report(name, case)
        for out, mine, ref in zip(("da", "db", "dh0"), got, want, strict=True):
            rep.compare(out, mine, ref)

        def cause(rep, got=got, a=a, hs=hs, h0=h0, dhs=dhs, want=want):
            db, da = as_real(got[1]), as_real(got[0])
            if rep.ok("db") and rep.off("da") and da is not None and da.shape == a.shape \
                    and rel_error(da, want[1] * hs) < 1e-8:
                return "da uses h_t; a_t multiplies the state before the step, h_(t-1) (h0 for the first step)"
            if rep.off("db") and db is not None and db.shape == dhs.shape:
                if rel_error(db, dhs) < 1e-8:
                    return ("db is only dhs: the gradient on h_t also comes back from h_(t+1), "
                            "g_t = dhs_t + a_(t+1) g_(t+1)")
                unshifted = scan.loop(a[::-1], dhs[::-1], np.zeros_like(h0))[::-1]
                if rel_error(db, unshifted) < 1e-8:
                    return ("g_t was multiplied by a_t: what comes back from h_(t+1) passes step t+1, whose factor "
                            "is a_(t+1); the reverse scan's factors are shifted by one step")
            if rep.ok("da", "db") and rep.off("dh0"):
                return "da and db are right; dh0: h0 enters only the first step, h_1 = a_1 h0 + b_1"
            return None
        rep.done(cause)
    # and once against centred finite differences of L = sum(hs * dhs), independent of lstmkit's backward
    T, N, H = SHAPES[0]
    a, b, h0 = _problem(rng, T, N, H)
    dhs = rng.standard_normal((T, N, H))
    got = call(name, fn, dhs=dhs, a=a, hs=scan.loop(a, b, h0), h0=h0)
    loss = lambda _: float(np.sum(scan.loop(a, b, h0) * dhs))  # noqa: E731
    worst = max(rel_error(np.asarray(g, dtype=np.float64), numerical_gradient(loss, w, 1.0))
                for g, w in zip(got, (a, b, h0), strict=True))
    if not worst < 1e-7:
        raise CheckFailed(f"{name}: against centred finite differences the rel. error is {worst:.1e} (T={T})") from None
    passed(name, "da, db, dh0 match lstmkit.scan.backward and, below 1e-7, centred finite differences", len(SHAPES),
           "T, N, H down to 1")


def _first_overflow(a, dtype):
    """The first step t at which closed_form with b_t = 1, h0 = 0 is inf or nan, measured."""
    T = int(1.2 * math.log(float(np.finfo(dtype).max)) / -math.log(a)) + 2
    hs = scan.closed_form(np.full(T, a, dtype=dtype), np.ones(T, dtype=dtype), np.zeros((), dtype=dtype))
    return int(np.argmax(~np.isfinite(hs))) + 1


def closed_form_breakdown(fn):
    """fn(a, dtype) -> the predicted first step at which the closed form overflows (constant a, b_t = 1)."""
    __tracebackhide__ = True
    require_callable(fn)
    name = "closed_form_breakdown"
    cases = [(0.5, np.float64), (0.9, np.float64), (0.5, np.float32), (0.8, np.float32), (0.95, np.float32)]
    for a, dtype in cases:
        case = f"a={a}, dtype={np.dtype(dtype).name}"
        got = number(name, "t", call(name, fn, a=a, dtype=dtype), case)
        measured = _first_overflow(a, dtype)
        if math.isfinite(got) and abs(got - measured) <= 1.0 + 1e-4 * measured:
            continue
        big, per_step = math.log(float(np.finfo(dtype).max)), -math.log(a)
        near = lambda t, measured=measured, got=got: abs(got - t) <= 1.0 + 1e-4 * measured  # noqa: E731
        if not math.isfinite(got):
            hint = "a finite number of steps: A_t = a^t shrinks by a constant factor per step"
        elif near(big / per_step):
            hint = ("that is where b_t / A_t alone passes the largest float; the running sum of the b_k / A_k "
                    "is about 1 / (1 - a) times larger, and overflows first")
        elif near(-math.log(float(np.finfo(dtype).smallest_subnormal)) / per_step):
            hint = "that is where A_t itself rounds to 0; the terms b_k / A_k overflow earlier"
        elif near(math.log10(float(np.finfo(dtype).max)) / per_step):
            hint = "a base-10 logarithm beside a natural one: a^t = exp(t ln a)"
        elif dtype == np.float32 and got > 2 * measured:
            hint = "float64's limits? this case is float32: np.finfo(np.float32).max is about 3.4e38"
        else:
            hint = "which quantity in the closed form is the largest, and when does it pass np.finfo(dtype).max?"
        raise CheckFailed([f"{name} is wrong for {case}:",
                           f"  t: you predicted {got:,.1f}, the closed form first overflows at step {measured:,d}",
                           f"  likely cause: {hint}"]) from None
    print(f"PASS {name}: within one step of the measured one in {len(cases)} cases (float64 and float32); "
          f"a = 0.9 breaks at step {_first_overflow(0.9, np.float64):,d} in float64, "
          f"{_first_overflow(0.9, np.float32):,d} in float32")
