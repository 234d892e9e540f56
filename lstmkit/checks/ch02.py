"""Checks for exercises 02 (why the gradient vanishes, and clipping), against lstmkit.rnn and optim.

Used by exercises/02_vanishing_gradients.ipynb and solutions/02_vanishing_gradients.ipynb.
"""
import math

import numpy as np

from lstmkit import optim, rnn
from lstmkit.checks._report import (
    NDH,
    TNDH,
    CheckFailed,
    Report,
    as_real,
    call,
    known_mistake,
    number,
    passed,
    require_callable,
    same_outputs,
    unpack,
)
from lstmkit.rnn import sigmoid

__all__ = ["sigmoid_prime", "largest_lag", "grad_norms", "clip_grad_norm", "leaky_jacobian"]

# What a graded answer may call from lstmkit besides lstmkit.functional (checks/_sealed.py): what
# the exercise gives the student to build on. Anything else of lstmkit's fails the graded check.
GRADED_MAY_CALL = {"grad_norms": ("lstmkit.rnn.step_forward", "lstmkit.rnn.step_backward"),
                   "leaky_jacobian": ("lstmkit.rnn.step_forward",)}


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

        def cause(rep, got=got, arr=arr):
            s = sigmoid(arr)
            named = known_mistake(got, [
                ("your values are sigma(a) itself: the task asks for its derivative",
                 s),
                ("you computed 1 - sigma(a)^2, the pattern of tanh' = 1 - tanh^2; "
                               "the sigmoid's derivative is a different product of sigma",
                 1.0 - s ** 2),
                ("those are the values of tanh'(a), not of sigma'(a)",
                 1.0 - np.tanh(arr) ** 2)])
            r = rep.ratios().get("sigma'(a)")
            if named is None and r is not None and abs(r - 4) < 1e-6:
                return "4 times too large everywhere: sigma' peaks at 1/4, not 1"
            return named or "compare with the derivative you derived above, at a = 0 first (it should be 1/4)"
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
    cases = [(0.8, 0.25, 1e-3), (1.0, 0.25, 1e-3), (3.9, 0.25, 1e-3), (0.9, 1.0, 1e-3), (0.5, 1.0, 1e-2),
             (0.999, 1.0, 0.5), (0.1, 1.0, 0.5), (0.3, 1.0, 1.0), (1.0, 1.0, 1e-3), (4.0, 0.25, 1e-3), (2.0, 1.0, 1e-3)]
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
            if gamma != 1 and got == _largest_lag(sigma_max, 1.0, threshold):
                cause = (f"your k is the one for sigma_max = {sigma_max} alone; the bound is (gamma * sigma_max)^k, "
                         f"and gamma = {gamma} caps f' at every step")
            elif r >= 1:
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


def _grad_norms(params, x, h0, dhT, ord=None):
    hs, _, _ = rnn.forward(x, h0, params, fused=True)
    T, states = len(x), [h0] + list(hs)          # states[t] = h_t
    norms = [np.linalg.norm(dhT, ord)]
    for t in range(T - 1, -1, -1):                # dL/dh_t: backprop the subsequence x[t:] started at h_t
        _, _, cache = rnn.forward(x[t:], states[t], params, fused=True)
        dhs = np.zeros((T - t,) + dhT.shape)
        dhs[-1] = dhT
        norms.append(np.linalg.norm(rnn.backward(dhs, cache)[1], ord))
    return np.array(norms)


def _norms_cause(rep, got, want, spectral):
    named = known_mistake(got, [
        ("the right numbers in reverse order: norms[0] belongs to h_T, norms[T] to h_0",
         want[::-1]),
        ("your norms start one step back: norms[0] is the norm of dL/dh_T, which is dhT itself",
         want[1:]),
        ("your norms stop at h_1: the last entry, norms[T], is the norm of dL/dh_0, T steps back",
         want[:-1]),
        ("those are spectral norms (np.linalg.norm(.., 2) of a matrix is its largest singular value); "
                   "the task asks for the Frobenius norm over every entry of the (N, H) array",
         spectral)])
    if named:
        return named
    got = as_real(got) if rep.kind("norms") == "value" else None
    if got is None:
        return None
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
        spectral = _grad_norms(params, x, h0, dhT, ord=2) if N > 1 else want   # the same for one row
        rep.done(lambda rep, got=got, want=want, spectral=spectral: _norms_cause(rep, got, want, spectral))
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

        norm_sum = sum(float(np.linalg.norm(g)) for g in grads.values())
        scaled_up = {k: g * (max_norm / norm_ref) for k, g in grads.items()}

        def cause(rep, n=n_grads, clipped=clipped, norm=norm, norm_sum=norm_sum, scaled_up=scaled_up):
            keys = [o for o in rep.symptoms if o.startswith("clipped[")]
            factors = {round(r, 9) for o, r in rep.ratios().items() if o in keys and r is not None}
            if n > 1 and same_outputs(norm, norm_sum):
                return ("your norm is the sum of each array's own norm; the global norm is the root of the sum "
                        "of every entry squared, over all arrays together")
            if rep.ok("norm") and isinstance(clipped, dict) and all(k in clipped and same_outputs(clipped[k], v)
                                                                   for k, v in scaled_up.items()):
                return ("the gradient was scaled up to max_norm although its norm was below it: clipping only "
                        "ever shrinks a gradient, never enlarges it")
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


# ---------------------------------------------------------------- exercise 2.5: derive a Jacobian
def _leaky_jacobian(x_t, h_prev, params, alpha, *, f_prime=None):
    """dh_t/dh_(t-1) of the leaky tanh RNN h_t = (1 - alpha) h_(t-1) + alpha tanh(a_t): J (N, H, H)."""
    a = rnn.step_forward(x_t, h_prev, params)[1][2]                          # (N, H)
    slope = 1.0 - np.tanh(a) ** 2 if f_prime is None else f_prime             # (N, H): tanh'(a_t)
    return (1.0 - alpha) * np.eye(h_prev.shape[1]) + alpha * slope[:, :, None] * params["weight_hh"]


def _leaky_cause(got, x_t, h_prev, params, alpha):
    H, W = h_prev.shape[1], params["weight_hh"]
    a = rnn.step_forward(x_t, h_prev, params)[1][2]
    slope, eye = 1.0 - np.tanh(a) ** 2, np.eye(h_prev.shape[1])
    h_t = (1.0 - alpha) * h_prev + alpha * np.tanh(a)
    want = _leaky_jacobian(x_t, h_prev, params, alpha)
    return known_mistake(got, [
        ("the (1 - alpha) I term is missing: h_(t-1) also reaches h_t directly, without passing through W_hh",
         alpha * slope[:, :, None] * W),
        ("the W_hh part lacks its factor alpha",
  (1.0 - alpha) * eye + slope[:, :, None] * W),
        ("the direct path's factor is 1 - alpha, not 1",
         eye + alpha * slope[:, :, None] * W),
        ("your J is the transpose: J[n, i, j] = d h_t[n, i] / d h_(t-1)[n, j], "
                                  "so row i belongs to unit i of h_t",
         np.swapaxes(want, 1, 2)),
        ("tanh'(a_t) scales the columns of W_hh in your J; it belongs to unit i of h_t, so it scales row i",
  (1.0 - alpha) * eye + alpha * W * slope[:, None, :]),
        ("you used 1 - h_t^2 for tanh'(a_t); in the leaky RNN h_t is not tanh(a_t), so take tanh' of a_t itself",
         _leaky_jacobian(x_t, h_prev, params, alpha, f_prime=1.0 - h_t ** 2)),
    ]) if H > 1 else None


def leaky_jacobian(fn):
    """fn(x_t, h_prev, params, alpha) -> J (N, H, H) = dh_t/dh_(t-1) of the leaky tanh RNN."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(205), "leaky_jacobian"
    for (N, D, H), alpha in zip(NDH, (0.3, 0.05, 0.7, 1.0, 0.5), strict=True):
        params = {k: 2.0 * v for k, v in rnn.init_params(D, H, rng=rng).items()}   # tanh' well below 1
        x_t, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
        case = f"N={N}, D={D}, H={H}, alpha={alpha}"
        got = call(name, fn, x_t=x_t, h_prev=h_prev, params=params, alpha=alpha)
        rep = Report(name, case)
        rep.compare("J", got, _leaky_jacobian(x_t, h_prev, params, alpha))
        rep.done(lambda rep, a=(got, x_t, h_prev, params, alpha): _leaky_cause(*a))
    passed(name, "J matches d h_t / d h_(t-1) of the leaky RNN", len(NDH), "alpha from 0.05 to 1; N, D, H down to 1")
