"""Checks for exercises 02 (why the gradient vanishes, and clipping), against lstmkit.rnn and optim.

Used by exercises/02_vanishing_gradients.ipynb and solutions/02_vanishing_gradients.ipynb.
"""
import math

import numpy as np

from lstmkit import optim, rnn
from lstmkit.checks._report import TNDH, CheckFailed, Report, call, number, passed, require_callable, unpack

__all__ = ["sigmoid_prime", "largest_lag", "grad_norms", "clip_grad_norm"]


def sigmoid_prime(fn):
    """fn(a) -> sigma'(a) elementwise, any shape, no overflow at |a| = 1e4."""
    __tracebackhide__ = True
    require_callable(fn)
    name, ref = "sigmoid_prime", rnn.ACTIVATIONS["sigmoid"][1]
    a = np.concatenate([np.linspace(-30, 30, 601), [-1e4, 1e4]])
    for arr, case in [(np.linspace(-3, 3, 12).reshape(3, 4), "a = linspace(-3, 3, 12) of shape (3, 4)"),
                      (a, "a = linspace(-30, 30, 601) and +-1e4")]:
        with np.errstate(over="raise", invalid="raise"):
            try:
                got = call(name, fn, a=arr)
            except CheckFailed as err:
                if isinstance(err.__cause__, FloatingPointError):
                    raise CheckFailed(f"{name} overflows at |a| = 1e4 ({err.__cause__}): exp(-a) is inf for "
                                      "a = -1e4. Build it on rnn.sigmoid, which never overflows") from None
                raise

        def cause(rep):
            r = rep.ratios().get("sigma'(a)")
            if r is not None and abs(r - 4) < 1e-6:
                return "4 times too large everywhere: sigma' peaks at 1/4, not 1"
            return "compare with the derivative you derived above, at a = 0 first (it should be 1/4)"
        rep = Report(name, case)
        rep.compare("sigma'(a)", got, ref(arr))
        rep.done(cause)
    passed(name, "sigma'(a) matches lstmkit.rnn.ACTIVATIONS['sigmoid'], peak 1/4 at a = 0", 2,
           "|a| up to 1e4, no overflow")


def _largest_lag(sigma_max, gamma, threshold):
    r = gamma * sigma_max
    if r >= 1:
        return math.inf
    k = max(0, math.floor(math.log(threshold) / math.log(r)))
    while r ** (k + 1) >= threshold:   # guard the rounding of the logarithms
        k += 1
    while k > 0 and r ** k < threshold:
        k -= 1
    return k


def largest_lag(fn):
    """fn(sigma_max, gamma, threshold) -> largest k with (gamma * sigma_max)**k >= threshold, or math.inf."""
    __tracebackhide__ = True
    require_callable(fn)
    name = "largest_lag"
    cases = [(1.0, 0.25, 1e-3), (3.9, 0.25, 1e-3), (0.9, 1.0, 1e-3), (0.5, 1.0, 1e-2), (0.999, 1.0, 0.5),
             (0.1, 1.0, 0.5), (0.3, 1.0, 1.0), (1.0, 1.0, 1e-3), (4.0, 0.25, 1e-3), (2.0, 1.0, 1e-3)]
    for sigma_max, gamma, threshold in cases:
        want = _largest_lag(sigma_max, gamma, threshold)
        got = call(name, fn, sigma_max=sigma_max, gamma=gamma, threshold=threshold)
        r, case = gamma * sigma_max, f"sigma_max={sigma_max}, gamma={gamma}, threshold={threshold}"
        if not (isinstance(got, float) and got == math.inf):
            got = number(name, "k", got, case, kind="a non-negative integer or math.inf")
            if not (got >= 0 and got == int(got)):
                raise CheckFailed(f"{name} should return a non-negative integer or math.inf, got {got!r} "
                                  f"({case})") from None
            got = int(got)
        if got != want:
            if r >= 1:
                cause = "gamma * sigma_max >= 1 here: the bound never falls below the threshold"
            elif got == math.inf:
                cause = "gamma * sigma_max < 1 here, so the bound falls below any threshold after finitely many steps"
            elif got == want + 1:
                cause = (f"the bound at k = {got} is {r ** got:.3g}, already below the threshold: "
                         "one step too far (the first k below it, not the last k at or above it)")
            else:
                cause = (f"the bound (gamma * sigma_max)**k is {r ** got:.3g} at k = {got}; the answer is the last k "
                         "where it is still >= threshold (mind the rounding of logarithms)")
            raise CheckFailed([f"{name} is wrong for {case}: got {got!r}", f"  likely cause: {cause}"]) from None
    print(f"PASS {name}: all {len(cases)} cases right (bounds below, at and above 1)")


def _grad_norms(params, x, h0, dhT):
    hs, _, _ = rnn.forward(x, h0, params, fused=True)
    T, states = len(x), [h0] + list(hs)          # states[t] = h_t
    norms = [np.linalg.norm(dhT)]
    for t in range(T - 1, -1, -1):                # dL/dh_t: backprop the subsequence x[t:] started at h_t
        _, _, cache = rnn.forward(x[t:], states[t], params, fused=True)
        dhs = np.zeros((T - t,) + dhT.shape)
        dhs[-1] = dhT
        norms.append(np.linalg.norm(rnn.backward(dhs, cache)[1]))
    return np.array(norms)


def _norms_cause(rep, got, want):
    got = np.asarray(got, dtype=np.float64) if rep.kind("norms") == "value" else None
    if got is None:
        return None
    if np.allclose(got, want[::-1], rtol=1e-8):
        return "the right numbers in reverse order: norms[0] belongs to h_T, norms[T] to h_0"
    if np.isclose(got[0], want[0]) and not np.isclose(got[1], want[1]):
        return ("norms[0] is right, norms[1] is not: the first step back, from h_T to h_{T-1} "
                "(the backward step's dh_prev, not its dx)")
    return None


def grad_norms(fn):
    """fn(params, x, h0, dhT) -> norms (T+1,), norms[k] = ||dL/dh_{T-k}|| for L = sum(h_T * dhT)."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(202), "grad_norms"
    for T, N, D, H in [(12, 2, 3, 5)] + TNDH:
        params, x = rnn.init_params(D, H, rng=rng), rng.standard_normal((T, N, D))
        h0, dhT = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        case = f"T={T}, N={N}, D={D}, H={H}"
        got, want = call(name, fn, params=params, x=x, h0=h0, dhT=dhT), _grad_norms(params, x, h0, dhT)
        rep = Report(name, case)
        rep.compare("norms", got, want)
        rep.done(lambda rep, got=got, want=want: _norms_cause(rep, got, want))
    passed(name, "the norms match backprop through lstmkit.rnn", len(TNDH) + 1, "T, N, D, H down to 1")


def clip_grad_norm(fn):
    """fn(grads, max_norm) -> (clipped, norm): global-norm clipping, the input left unchanged."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(203), "clip_grad_norm"
    shapes = {"weight_ih": (4, 3), "weight_hh": (4, 4), "bias_ih": (4,), "bias_hh": (4,)}
    cases = [(shapes, 1.0, 5.0), (shapes, 1.0, 0.1), (shapes, 10.0, 0.5), ({"w": (1,)}, 3.0, 1.0),
             ({"w": (1,)}, 3.0, 0.01)]
    for shp, max_norm, scale in cases:
        grads = {k: scale * rng.standard_normal(s) for k, s in shp.items()}
        want, norm_ref = optim.clip_grad_norm(grads, max_norm)
        case = f"keys {sorted(grads)}, norm {norm_ref:.2f}, max_norm {max_norm}"
        clipped, norm = unpack(name, call(name, fn, grads=grads, max_norm=max_norm), ("clipped", "norm"), case)
        rep = Report(name, case)
        rep.compare("norm", number(name, "norm", norm, case), norm_ref)
        if not isinstance(clipped, dict) or sorted(clipped) != sorted(grads):
            rep.wrong("clipped", f"expected a dict with keys {sorted(grads)}")
        else:
            for k in grads:
                rep.compare(f"clipped['{k}']", clipped[k], want[k])

        n_grads = len(grads)

        def cause(rep, n=n_grads):
            keys = [o for o in rep.symptoms if o.startswith("clipped[")]
            factors = {round(r, 9) for o, r in rep.ratios().items() if o in keys and r is not None}
            if rep.ok("norm") and n > 1 and len(factors) > 1:
                return ("the norm is right, but the arrays are scaled by different factors: one factor, "
                        "from the global norm, keeps the direction of the whole gradient")
            if rep.off("norm"):
                return "the norm of every entry of every array together, before clipping"
            return None
        rep.done(cause)
    grads = {"w": np.array([3.0, 4.0])}
    call(name, fn, _copy_args=False, grads=grads, max_norm=1.0)
    if not np.array_equal(grads["w"], [3.0, 4.0]):
        raise CheckFailed(f"{name} changed its input grads in place: an in-place product writes into the "
                          "caller's arrays; return new ones") from None
    passed(name, "clipped grads and the norm match lstmkit.optim.clip_grad_norm", len(cases),
           "norms below and above max_norm; input unchanged")
