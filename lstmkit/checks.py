"""Checks for the exercise notebooks: run the reader's function and compare it with lstmkit.

Each ``check_<exercise>(fn)`` calls fn on seeded random inputs of several shapes (sizes down to 1),
compares every output with lstmkit's own implementation and prints a PASS line when all agree. When an
output is off it raises an AssertionError that names the output, its shape against the expected
one, the relative error and a hint, never the reference code. An exception raised inside fn is never
swallowed: the stub's NotImplementedError becomes ``NotImplementedYet`` ("not implemented yet"),
anything else an AssertionError chained to the reader's own traceback.

Tolerance: float64 and the same arithmetic in another order agree to about 1e-15, while every bug we
have seen gives a relative error above 1e-4, so ``TOL = 1e-8`` separates the two with room to spare.
Used by exercises/ and solutions/, one check per exercise (chapters 01-05).
"""
import math

import numpy as np

from lstmkit import lstm, models, optim, rnn, tasks
from lstmkit._validate import check_params as _check_params
from lstmkit.gradcheck import rel_error

TOL = 1e-8
NDH = [(1, 1, 1), (2, 3, 4), (3, 4, 4), (1, 5, 2), (4, 2, 1)]    # (N, D, H); D == H hides a transpose
TNDH = [(1, 1, 1, 1), (3, 2, 3, 4), (6, 1, 2, 2), (4, 3, 1, 1)]  # (T, N, D, H)
GRAD_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


class NotImplementedYet(AssertionError):
    """The reader's function still raises the stub's NotImplementedError."""


# ---------------------------------------------------------------- helpers
def _require_callable(fn):
    if not callable(fn):
        raise ValueError(f"fn: expected the function you wrote (a callable), got {type(fn).__name__}")


def _copy(obj):
    """Deep copy of arrays in dicts/tuples/lists, so the reader's function cannot touch our inputs."""
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, dict):
        return {k: _copy(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_make"):   # a step cache (NamedTuple)
        return obj._make(_copy(v) for v in obj)
    if isinstance(obj, (tuple, list)):
        return type(obj)(_copy(v) for v in obj)
    return obj


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"array {value.shape}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    return repr(value)


def _call(name, fn, _copy_args=True, **args):
    """fn(*args.values()) on copies; the reader's exceptions become clear AssertionErrors."""
    try:
        return fn(*(_copy(list(args.values())) if _copy_args else args.values()))
    except NotImplementedError as err:
        raise NotImplementedYet(
            f"{name} is not implemented yet: it raised NotImplementedError. Replace the "
            "`raise NotImplementedError()` line with your code, run that cell, then this one.") from err
    except Exception as err:
        called = ", ".join(f"{k}={_describe(v)}" for k, v in args.items())
        raise AssertionError(f"{name} raised {type(err).__name__}: {err}\n  when called with {called}\n"
                             "  (your traceback is printed above this message)") from err


def _unpack(name, result, names, case):
    if len(names) == 1:
        return (result,)
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = type(result).__name__
        if isinstance(result, (tuple, list)):
            got += f" of {len(result)}"
        raise AssertionError(f"{name} should return a tuple ({', '.join(names)}), got {got} ({case})")
    return tuple(result)


class _Report:
    """Collects the outputs of one case and raises once, naming every output that is off."""

    def __init__(self, name, case, tol=TOL):
        self.name, self.case, self.tol = name, case, tol
        self.wrong, self.right, self.hints = [], [], set()

    def _hint(self, hint):
        """' Hint: ...' the first time, ' (same hint as above)' after, so a long message stays readable."""
        seen = hint in self.hints
        self.hints.add(hint)
        return " (same hint as above)" if seen else f" Hint: {hint}"

    def compare(self, out, got, want, hint):
        want = np.asarray(want, dtype=np.float64)
        try:
            got_arr = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            self.wrong.append(f"{out}: expected a numpy array of shape {want.shape}, "
                              f"got {type(got).__name__}.{self._hint(hint)}")
            return
        if got_arr.shape != want.shape:
            self.wrong.append(f"{out}: shape {got_arr.shape}, expected {want.shape}.{self._hint(hint)}")
        elif not np.all(np.isfinite(got_arr)):
            self.wrong.append(f"{out}: shape {want.shape} as expected but it holds NaN or inf.{self._hint(hint)}")
        else:
            err = rel_error(got_arr, want)
            if err > self.tol:
                self.wrong.append(f"{out}: shape {want.shape} as expected, max rel. error {err:.1e} "
                                  f"(tolerance {self.tol:.0e}).{self._hint(hint)}")
            else:
                self.right.append(out)

    def grads(self, got, want, hints):
        if not isinstance(got, dict) or sorted(got) != sorted(want):
            keys = sorted(got) if isinstance(got, dict) else type(got).__name__
            self.wrong.append(f"grads: expected a dict with keys {sorted(want)}, got {keys}")
            return
        for k in GRAD_NAMES:
            self.compare(f"grads['{k}']", got[k], want[k], hints[k])

    def done(self):
        if self.wrong:
            right = f"\n  (right: {', '.join(self.right)})" if self.right else ""
            raise AssertionError(f"{self.name} is wrong for {self.case}:\n  " + "\n  ".join(self.wrong) + right)


def _passed(name, what, n_cases, sizes, tol=TOL):
    print(f"PASS {name}: {what} in {n_cases} cases ({sizes}); max rel. error < {tol:.0e}")


def _lstm_params(rng, D, H):
    p = lstm.init_params(D, H, rng=rng)
    return {k: v * 2.0 for k, v in p.items()}   # larger weights: saturated gates show more bugs


# ---------------------------------------------------------------- chapter 01
def check_rnn_step_forward(fn):
    """fn(x_t, h_prev, params) -> (h, cache), tanh, cache = (x_t, h_prev, a, params, "tanh")."""
    _require_callable(fn)
    rng, name = np.random.default_rng(101), "rnn_step_forward"
    for N, D, H in NDH:
        params, x_t, h_prev = rnn.init_params(D, H, rng=rng), rng.standard_normal((N, D)), rng.standard_normal((N, H))
        h_ref, (_, _, a_ref, _, _) = rnn.step_forward(x_t, h_prev, params, "tanh")
        case = f"N={N}, D={D}, H={H}"
        h, cache = _unpack(name, _call(name, fn, x_t=x_t, h_prev=h_prev, params=params), ("h", "cache"), case)
        rep = _Report(name, case)
        rep.compare("h", h, h_ref, "h = tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh), shape (N, H)")
        if not isinstance(cache, tuple) or len(cache) != 5:
            rep.wrong.append("cache: expected the tuple (x_t, h_prev, a, params, 'tanh') that rnn.step_backward reads")
        else:
            rep.compare("cache[2] (a)", cache[2], a_ref, "the cache keeps the pre-activation a, before the tanh")
        rep.done()
    _passed(name, "h and a match lstmkit.rnn.step_forward", len(NDH), "N, D, H down to 1")


_RNN_BACK_HINTS = {
    "dx": "dx = da @ W_ih, shape (N, D), with da = dh * f'(a)",
    "dh_prev": "dh_prev = da @ W_hh, shape (N, H): which side of W_hh does da multiply?",
    "weight_ih": "dW_ih = da.T @ x_t, shape (H, D)", "weight_hh": "dW_hh = da.T @ h_prev, shape (H, H)",
    "bias_ih": "sum da over the batch axis", "bias_hh": "sum da over the batch axis",
}


def check_rnn_step_backward(fn):
    """fn(dh, cache) -> (dx, dh_prev, grads) for lstmkit's step cache, any activation."""
    _require_callable(fn)
    rng, name, n = np.random.default_rng(102), "rnn_step_backward", 0
    for activation in ("tanh", "sigmoid"):
        for N, D, H in NDH:
            params = rnn.init_params(D, H, rng=rng)
            x_t, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
            _, cache = rnn.step_forward(x_t, h_prev, params, activation)
            dh = rng.standard_normal((N, H))
            dx_ref, dhp_ref, g_ref = rnn.step_backward(dh, cache)
            case = f"N={N}, D={D}, H={H}, activation={activation!r}"
            dx, dhp, g = _unpack(name, _call(name, fn, dh=dh, cache=cache), ("dx", "dh_prev", "grads"), case)
            rep = _Report(name, case)
            rep.compare("dx", dx, dx_ref, _RNN_BACK_HINTS["dx"])
            rep.compare("dh_prev", dhp, dhp_ref, _RNN_BACK_HINTS["dh_prev"])
            rep.grads(g, g_ref, _RNN_BACK_HINTS)
            rep.done()
            n += 1
    _passed(name, "dx, dh_prev and the 4 grads match lstmkit.rnn.step_backward", n,
            "tanh and sigmoid; N, D, H down to 1")


def check_rnn_backward(fn):
    """fn(dhs, caches) -> (dx, dh0, grads); caches is the list of T step caches."""
    _require_callable(fn)
    rng, name = np.random.default_rng(103), "rnn_backward"
    for T, N, D, H in TNDH:
        params, x, h0 = rnn.init_params(D, H, rng=rng), rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
        caches, h = [], h0
        for t in range(T):
            h, c = rnn.step_forward(x[t], h, params)
            caches.append(c)
        dhs = rng.standard_normal((T, N, H))
        dx_ref, dh0_ref, g_ref = rnn.backward(dhs, rnn.forward(x, h0, params)[2])
        case = f"T={T}, N={N}, D={D}, H={H}"
        dx, dh0, g = _unpack(name, _call(name, fn, dhs=dhs, caches=caches), ("dx", "dh0", "grads"), case)
        rep = _Report(name, case)
        rep.compare("dx", dx, dx_ref, "dx[t] comes from step t's backward, shape (T, N, D)")
        rep.compare("dh0", dh0, dh0_ref, "walk t = T-1 ... 0 and pass dhs[t] + dh_next into each step")
        hint = "accumulate each step's grads with += (the same weights act at every step)"
        rep.grads(g, g_ref, dict.fromkeys(GRAD_NAMES, hint))
        rep.done()
    _passed(name, "dx, dh0 and the grads match lstmkit.rnn.backward", len(TNDH), "T, N, D, H down to 1")


def check_scalar_bptt(fn):
    """fn(w_hh, w_ih, b, xs, h0) -> {"w_hh", "w_ih", "b", "h0"}: dL/d. of L = h_T, scalar tanh RNN."""
    _require_callable(fn)
    rng, name = np.random.default_rng(104), "scalar_bptt"
    cases = [(0.5, -1.2, 0.1, [1.0, -0.5, 2.0], 0.3)]
    cases += [tuple(rng.uniform(-1.5, 1.5, 3)) + (list(rng.standard_normal(T)), float(rng.uniform(-1, 1)))
              for T in (1, 3, 5)]
    for w_hh, w_ih, b, xs, h0 in cases:
        T = len(xs)
        params = {"weight_ih": np.array([[w_ih]]), "weight_hh": np.array([[w_hh]]),
                  "bias_ih": np.array([b]), "bias_hh": np.array([0.0])}
        _, _, cache = rnn.forward(np.array(xs).reshape(T, 1, 1), np.array([[h0]]), params)
        dhs = np.zeros((T, 1, 1))
        dhs[-1] = 1.0
        _, dh0, g = rnn.backward(dhs, cache)
        want = {"w_hh": g["weight_hh"][0, 0], "w_ih": g["weight_ih"][0, 0], "b": g["bias_ih"][0], "h0": dh0[0, 0]}
        case = f"T={T}, w_hh={w_hh:.2f}, w_ih={w_ih:.2f}, b={b:.2f}, h0={h0:.2f}"
        got = _call(name, fn, w_hh=float(w_hh), w_ih=float(w_ih), b=float(b), xs=[float(v) for v in xs], h0=float(h0))
        if not isinstance(got, dict) or sorted(got) != sorted(want):
            keys = sorted(got) if isinstance(got, dict) else type(got).__name__
            raise AssertionError(f"{name} should return a dict with keys {sorted(want)}, got {keys} ({case})")
        rep = _Report(name, case)
        hint = ("sum over t of delta_t * (what multiplies the parameter at step t), with "
                "delta_t = (1 - h_t**2) * dL/dh_t and dL/dh_{t-1} = w_hh * delta_t")
        for k in want:
            rep.compare(k, got[k], want[k], hint)
        rep.done()
    _passed(name, "dL/dw_hh, dL/dw_ih, dL/db, dL/dh0 match lstmkit.rnn.backward", len(cases), "T = 1, 3, 5")


# ---------------------------------------------------------------- chapter 02
def check_sigmoid_prime(fn):
    """fn(a) -> sigma'(a) elementwise, any shape, no overflow at |a| = 1e4."""
    _require_callable(fn)
    name, ref = "sigmoid_prime", rnn.ACTIVATIONS["sigmoid"][1]
    a = np.concatenate([np.linspace(-30, 30, 601), [-1e4, 1e4]])
    for arr, case in [(a, "a = linspace(-30, 30, 601) and +-1e4"), (a[:12].reshape(3, 4), "a of shape (3, 4)")]:
        with np.errstate(over="raise", invalid="raise"):
            try:
                got = _call(name, fn, a=arr)
            except AssertionError as err:
                if isinstance(err.__cause__, FloatingPointError):
                    raise AssertionError(f"{name} overflows at |a| = 1e4 ({err.__cause__}). Hint: exp(-a) is inf "
                                         "for a = -1e4; write sigma through tanh, as rnn.sigmoid does") from err
                raise
        rep = _Report(name, case)
        rep.compare("sigma'(a)", got, ref(arr), "sigma'(a) = sigma(a) * (1 - sigma(a))")
        rep.done()
    rep = _Report(name, "a = [0.0]")
    rep.compare("sigma'(0)", _call(name, fn, a=np.array([0.0])), [0.25], "the maximum, sigma(0) (1 - sigma(0)) = 1/4")
    rep.done()
    _passed(name, "sigma'(a) matches lstmkit.rnn.ACTIVATIONS['sigmoid'], peak 1/4 at a = 0", 2,
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


def check_largest_lag(fn):
    """fn(sigma_max, gamma, threshold) -> largest k with (gamma * sigma_max)**k >= threshold, or math.inf."""
    _require_callable(fn)
    name = "largest_lag"
    cases = [(1.0, 0.25, 1e-3), (3.9, 0.25, 1e-3), (0.9, 1.0, 1e-3), (0.5, 1.0, 1e-2), (0.999, 1.0, 0.5),
             (0.1, 1.0, 0.5), (0.3, 1.0, 1.0), (1.0, 1.0, 1e-3), (4.0, 0.25, 1e-3), (2.0, 1.0, 1e-3)]
    for sigma_max, gamma, threshold in cases:
        want = _largest_lag(sigma_max, gamma, threshold)
        got = _call(name, fn, sigma_max=sigma_max, gamma=gamma, threshold=threshold)
        r, case = gamma * sigma_max, f"sigma_max={sigma_max}, gamma={gamma}, threshold={threshold}"
        if not (isinstance(got, (int, np.integer)) and got >= 0 or got == math.inf):
            raise AssertionError(f"{name} should return a non-negative int or math.inf, got {got!r} ({case})")
        if got != want:
            if r >= 1:
                hint = "gamma * sigma_max >= 1: the bound never falls, return math.inf"
            elif got == math.inf:
                hint = "gamma * sigma_max < 1, so the bound falls below any threshold after finitely many steps"
            else:
                hint = (f"the bound (gamma * sigma_max)**k is {r ** got:.3g} at k = {got}; the answer is the last k "
                        "where it is still >= threshold")
            raise AssertionError(f"{name} is wrong for {case}: got {got!r}. Hint: {hint}")
    print(f"PASS {name}: all {len(cases)} cases right (bounds below, at and above 1)")


def _grad_norms(params, x, h0, dhT):
    hs, _, _ = rnn.forward(x, h0, params)
    T, states = len(x), [h0] + list(hs)          # states[t] = h_t
    norms = [np.linalg.norm(dhT)]
    for t in range(T - 1, -1, -1):                # dL/dh_t: backprop the subsequence x[t:] started at h_t
        _, _, cache = rnn.forward(x[t:], states[t], params)
        dhs = np.zeros((T - t,) + dhT.shape)
        dhs[-1] = dhT
        norms.append(np.linalg.norm(rnn.backward(dhs, cache)[1]))
    return np.array(norms)


def check_grad_norms(fn):
    """fn(params, x, h0, dhT) -> norms (T+1,), norms[k] = ||dL/dh_{T-k}|| for L = sum(h_T * dhT)."""
    _require_callable(fn)
    rng, name = np.random.default_rng(202), "grad_norms"
    for T, N, D, H in TNDH + [(12, 2, 3, 5)]:
        params, x = rnn.init_params(D, H, rng=rng), rng.standard_normal((T, N, D))
        h0, dhT = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        case = f"T={T}, N={N}, D={D}, H={H}"
        got = _call(name, fn, params=params, x=x, h0=h0, dhT=dhT)
        rep = _Report(name, case)
        rep.compare("norms", got, _grad_norms(params, x, h0, dhT),
                    "norms[0] = ||dhT||, norms[k] = ||dL/dh_{T-k}||: walk back with dh = step_backward(dh, cache_t)[1] "
                    "and take np.linalg.norm over the whole (N, H) array")
        rep.done()
    _passed(name, "the norms match backprop through lstmkit.rnn", len(TNDH) + 1, "T, N, D, H down to 1")


def check_clip_grad_norm(fn):
    """fn(grads, max_norm) -> (clipped, norm): global-norm clipping, the input left unchanged."""
    _require_callable(fn)
    rng, name = np.random.default_rng(203), "clip_grad_norm"
    shapes = {"weight_ih": (4, 3), "weight_hh": (4, 4), "bias_ih": (4,), "bias_hh": (4,)}
    cases = [(shapes, 1.0, 5.0), (shapes, 1.0, 0.1), (shapes, 10.0, 0.5), ({"w": (1,)}, 3.0, 1.0),
             ({"w": (1,)}, 3.0, 0.01)]
    for shp, max_norm, scale in cases:
        grads = {k: scale * rng.standard_normal(s) for k, s in shp.items()}
        want, norm_ref = optim.clip_grad_norm(grads, max_norm)
        case = f"keys {sorted(grads)}, norm {norm_ref:.2f}, max_norm {max_norm}"
        clipped, norm = _unpack(name, _call(name, fn, grads=grads, max_norm=max_norm), ("clipped", "norm"), case)
        rep = _Report(name, case)
        rep.compare("norm", norm, norm_ref, "the global norm sqrt(sum over every array of sum(g**2)), before clipping")
        if not isinstance(clipped, dict) or sorted(clipped) != sorted(grads):
            rep.wrong.append(f"clipped: expected a dict with keys {sorted(grads)}")
        else:
            for k in grads:
                rep.compare(f"clipped['{k}']", clipped[k], want[k],
                            "scale every array by the same factor min(1, max_norm / norm), with the global norm")
        rep.done()
    grads = {"w": np.array([3.0, 4.0])}
    _call(name, fn, _copy_args=False, grads=grads, max_norm=1.0)
    if not np.array_equal(grads["w"], [3.0, 4.0]):
        raise AssertionError(f"{name} changed its input grads in place; return new arrays instead")
    _passed(name, "clipped grads and the norm match lstmkit.optim.clip_grad_norm", len(cases),
            "norms below and above max_norm; input unchanged")


# ---------------------------------------------------------------- chapter 03
_GATE_HINTS = {
    "i": "i = sigmoid(a[:, 0:H]), the first block",
    "f": "f = sigmoid(a[:, H:2H]), the second block",
    "g": "g = tanh(a[:, 2H:3H]): torch orders the blocks i, f, g, o (CS231n's order is i, f, o, g)",
    "o": "o = sigmoid(a[:, 3H:4H]), the last block",
}


def _gates(a):
    """lstmkit's gates for pre-activations a (N, 4H): an identity W_ih feeds a through the cell."""
    N, H = a.shape[0], a.shape[1] // 4
    params = {"weight_ih": np.eye(4 * H), "weight_hh": np.zeros((4 * H, H)),
              "bias_ih": np.zeros(4 * H), "bias_hh": np.zeros(4 * H)}
    return lstm.step_forward(a, np.zeros((N, H)), np.zeros((N, H)), params)[2][3:7]


def check_lstm_gates(fn):
    """fn(a) -> (i, f, g, o), each (N, H), from the pre-activations a (N, 4H) in torch's order."""
    _require_callable(fn)
    rng, name = np.random.default_rng(301), "lstm_gates"
    sizes = [(1, 1), (2, 3), (4, 1), (1, 5)]
    for N, H in sizes:
        a = 3.0 * rng.standard_normal((N, 4 * H))
        case = f"N={N}, H={H}"
        got = _unpack(name, _call(name, fn, a=a), ("i", "f", "g", "o"), case)
        rep = _Report(name, case)
        for gate, mine, want in zip("ifgo", got, _gates(a), strict=False):
            rep.compare(gate, mine, want, _GATE_HINTS[gate])
        rep.done()
    _passed(name, "i, f, g, o match lstmkit.lstm", len(sizes), "N, H down to 1")


def check_lstm_step_forward(fn):
    """fn(x_t, h_prev, c_prev, params) -> (h, c, cache), cache = (x_t, h_prev, c_prev, i, f, g, o, tanh_c, params)."""
    _require_callable(fn)
    rng, name = np.random.default_rng(302), "lstm_step_forward"
    for N, D, H in NDH:
        params, x_t = _lstm_params(rng, D, H), rng.standard_normal((N, D))
        h_prev, c_prev = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        h_ref, c_ref, cache_ref = lstm.step_forward(x_t, h_prev, c_prev, params)
        case = f"N={N}, D={D}, H={H}"
        h, c, cache = _unpack(name, _call(name, fn, x_t=x_t, h_prev=h_prev, c_prev=c_prev, params=params),
                              ("h", "c", "cache"), case)
        rep = _Report(name, case)
        rep.compare("c", c, c_ref, "c = f * c_prev + i * g (elementwise), shape (N, H)")
        rep.compare("h", h, h_ref, "h = o * tanh(c)")
        if not isinstance(cache, tuple) or len(cache) != 9:
            rep.wrong.append("cache: expected the tuple (x_t, h_prev, c_prev, i, f, g, o, tanh_c, params)")
        else:
            for k, out in enumerate(("i", "f", "g", "o", "tanh_c"), start=3):
                rep.compare(f"cache[{k}] ({out})", cache[k], cache_ref[k], _GATE_HINTS.get(out, "tanh(c)"))
        rep.done()
    _passed(name, "h, c and the cached gates match lstmkit.lstm.step_forward", len(NDH), "N, D, H down to 1")


def check_gated_latch_params(fn):
    """fn() -> LSTM params (D=2, H=1) whose cell stores tanh(v_t) when s_t = 1 and holds it otherwise."""
    _require_callable(fn)
    name, tol = "gated_latch_params", 0.01
    params = _call(name, fn)
    try:
        D, H, _ = _check_params(params, gates=4)
    except ValueError as err:
        raise AssertionError(f"{name} should return an LSTM params dict (D=2, H=1): {err}") from None
    if (D, H) != (2, 1):
        raise AssertionError(f"{name} should return params for D=2 inputs [v_t, s_t] and H=1 cell, got D={D}, H={H}")
    rng, T, stores = np.random.default_rng(303), 121, (0, 60)
    v, s = rng.uniform(-1.0, 1.0, T), np.zeros(T)
    s[list(stores)] = 1.0
    x = np.stack([v, s], axis=1)[:, None, :].astype(params["weight_hh"].dtype)   # (T, 1, 2)
    h = c = np.zeros((1, 1), dtype=x.dtype)
    for t in range(T):
        h, c, cache = lstm.step_forward(x[t], h, c, params)
        if s[t]:
            last, target = t, np.tanh(v[t])
        i, f, g = (float(cache[k][0, 0]) for k in (3, 4, 5))
        if not abs(c[0, 0] - target) < tol:
            hint = ("on a store step (s_t = 1) you need i_t near 1, f_t near 0 and g_t = tanh(v_t)" if s[t] else
                    "while holding (s_t = 0) you need f_t near 1 (f**60 > 0.99 needs f > 0.9998) and i_t near 0 "
                    "whatever v_t is; let s_t flip both gates through W_ih, and cut h_{t-1} out with W_hh = 0")
            when = (f"at the store step t={t}" if s[t] else
                    f"at t={t}, {t - last} step{'s' if t - last > 1 else ''} after the store at t={last}")
            raise AssertionError(
                f"{name}: {when}, c_t = {c[0, 0]:.4f} but the stored value is tanh(v) = {target:.4f} "
                f"(|error| must stay below {tol}). Gates at this step: "
                f"i_t = {i:.4f}, f_t = {f:.4f}, g_t = {g:.4f}. Hint: {hint}")
    print(f"PASS {name}: the cell stores tanh(v) when s_t = 1 and holds it through 59 and 60 steps of noisy v_t; "
          f"|c_t - stored| < {tol}")


# ---------------------------------------------------------------- chapter 04
_LSTM_BACK_HINTS = {
    "dx": "dx = da @ W_ih, with da the (N, 4H) pre-activation gradients stacked in the order i, f, g, o",
    "dh_prev": "dh_prev = da @ W_hh, with da's blocks in the order i, f, g, o",
    "dc_prev": "dc_prev = dc_total * f, where dc_total = dc + dh * o * (1 - tanh_c**2) also carries what reaches "
               "c through h",
}
_LSTM_BACK_HINTS.update(dict.fromkeys(GRAD_NAMES, "da.T @ x_t, da.T @ h_prev and da.sum(0), with da's blocks in "
                                      "the order i, f, g, o and dc_total = dc + dh * o * (1 - tanh_c**2)"))


def check_lstm_step_backward(fn):
    """fn(dh, dc, cache) -> (dx, dh_prev, dc_prev, grads) for lstmkit's step cache."""
    _require_callable(fn)
    rng, name = np.random.default_rng(401), "lstm_step_backward"
    for N, D, H in NDH:
        params, x_t = _lstm_params(rng, D, H), rng.standard_normal((N, D))
        h_prev, c_prev = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        _, _, cache = lstm.step_forward(x_t, h_prev, c_prev, params)
        dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        refs = lstm.step_backward(dh, dc, cache)
        case = f"N={N}, D={D}, H={H}"
        got = _unpack(name, _call(name, fn, dh=dh, dc=dc, cache=cache), ("dx", "dh_prev", "dc_prev", "grads"), case)
        rep = _Report(name, case)
        for out, mine, want in zip(("dx", "dh_prev", "dc_prev"), got, refs, strict=False):
            rep.compare(out, mine, want, _LSTM_BACK_HINTS[out])
        rep.grads(got[3], refs[3], _LSTM_BACK_HINTS)
        rep.done()
    _passed(name, "dx, dh_prev, dc_prev and the 4 grads match lstmkit.lstm.step_backward", len(NDH),
            "N, D, H down to 1")


def _cell_gradients(x, state0, params):
    T, states = len(x), [state0]
    for t in range(T):
        h, c, _ = lstm.step_forward(x[t], *states[-1], params)
        states.append((h, c))
    ones, zeros = np.ones_like(state0[1]), np.zeros_like(state0[1])
    dcs = [ones]
    for t in range(T - 1, -1, -1):   # d sum(c_T) / dc_t: backprop the subsequence x[t:] started at state t
        _, _, cache = lstm.forward(x[t:], states[t], params)
        dcs.append(lstm.backward(None, cache, (zeros, ones))[1][1])
    return np.array(dcs[::-1])


def check_cell_gradients(fn):
    """fn(x, state0, params) -> dcs (T+1, N, H), dcs[t] = d sum(c_T) / dc_t."""
    _require_callable(fn)
    rng, name = np.random.default_rng(402), "cell_gradients"
    for T, N, D, H in TNDH:
        params, x = _lstm_params(rng, D, H), rng.standard_normal((T, N, D))
        state0 = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
        case = f"T={T}, N={N}, D={D}, H={H}"
        rep = _Report(name, case)
        rep.compare("dcs", _call(name, fn, x=x, state0=state0, params=params), _cell_gradients(x, state0, params),
                    "start from dh = 0, dc = 1 at T and carry BOTH dh_prev and dc_prev back through every step: "
                    "c_t also reaches c_T through h_t and the gates, not only through the product of the f's")
        rep.done()
    _passed(name, "dc_T/dc_t matches lstmkit.lstm.backward", len(TNDH), "T, N, D, H down to 1")


def _forget_bias(keep, T):
    p = keep ** (1.0 / T)                 # the forget gate value that keeps `keep` after T steps
    return math.log(p) - math.log1p(-p)   # logit(p); log1p keeps 1 - p accurate when p is near 1


def check_forget_bias_for_retention(fn):
    """fn(keep, T) -> b_f with sigmoid(b_f)**T = keep, checked in closed form and in an LSTM run."""
    _require_callable(fn)
    name = "forget_bias_for_retention"
    cases = [(0.9, 50), (0.5, 1), (0.99, 1000), (0.1, 10), (0.999, 1)]
    for keep, T in cases:
        want = _forget_bias(keep, T)
        got = _call(name, fn, keep=keep, T=T)
        rep = _Report(name, f"keep={keep}, T={T}")
        rep.compare("b_f", got, want, "sigmoid(b_f)**T = keep: solve for sigmoid(b_f) first, then invert the sigmoid")
        rep.done()
        # the same number through an LSTM: zero weights, so g = 0, c_t = f * c_{t-1} and f = sigmoid(b_f)
        params = {k: np.zeros(s) for k, s in (("weight_ih", (4, 1)), ("weight_hh", (4, 1)),
                                               ("bias_ih", (4,)), ("bias_hh", (4,)))}
        params["bias_ih"][1] = float(got)
        _, (_, cT), _ = lstm.forward(np.zeros((T, 1, 1)), (np.zeros((1, 1)), np.ones((1, 1))), params)
        if rel_error(cT[0, 0], keep) > 1e-6:
            raise AssertionError(f"{name}: an LSTM with b_f = {float(got):.4f} keeps c_T / c_0 = {cT[0, 0]:.4f} after "
                                 f"T = {T} steps, expected {keep}")
    print(f"PASS {name}: b_f right in {len(cases)} cases (T from 1 to 1000); "
          f"an LSTM with b_f = {_forget_bias(0.9, 50):.2f} "
          f"keeps c_T / c_0 = 0.900 after T = 50 steps")


# ---------------------------------------------------------------- chapter 05
def check_adding_target(fn):
    """fn(x, variant) -> target (N,) of the adding problem, from the input x (T, N, 2) alone."""
    _require_callable(fn)
    rng, name, n = np.random.default_rng(501), "adding_target", 0
    for variant in tasks.VARIANTS:
        for N, T in [(1, 10), (5, 12), (16, 30)]:
            batch = tasks.adding_problem(N, T, rng=rng, variant=variant)
            rep = _Report(name, f"variant={variant!r}, N={N}, T={T}")
            rep.compare("target", _call(name, fn, x=batch.x, variant=variant), batch.target,
                        "add the values where the marker is exactly 1 (the 1997 variant also has -1 markers "
                        "at both ends and rescales: 0.5 + (X1 + X2) / 4)")
            rep.done()
            n += 1
    _passed(name, "the targets match lstmkit.tasks.adding_problem", n, "both variants, N down to 1")


def _marker_gradient(params, batch):
    y, cache = models.forward(batch.x, params, "lstm", batch.lengths)
    dx, _ = models.backward(np.ones_like(y), cache)   # row n of dx: dy_n / dx, as y_n sees only sequence n
    return np.linalg.norm(dx[batch.marks[:, 0], np.arange(len(y))], axis=1)


def check_marker_gradient(fn):
    """fn(params, batch) -> (N,): ||dy_n / dx_{t1, n}||, the output's sensitivity to the first marked input."""
    _require_callable(fn)
    rng, name, n = np.random.default_rng(502), "marker_gradient", 0
    for variant in tasks.VARIANTS:
        for N, T, H in [(1, 10, 1), (4, 12, 3), (8, 20, 2)]:
            params = models.init_params("lstm", 2, H, rng=rng, forget_bias=1.0)
            batch = tasks.adding_problem(N, T, rng=rng, variant=variant)
            rep = _Report(name, f"variant={variant!r}, N={N}, T={T}, H={H}")
            rep.compare("marker gradient", _call(name, fn, params=params, batch=batch), _marker_gradient(params, batch),
                        "y, cache = models.forward(batch.x, params, 'lstm', batch.lengths) (the lengths matter in "
                        "the 1997 variant); backward with dy = 1; then row n of dx at step batch.marks[n, 0]")
            rep.done()
            n += 1
    _passed(name, "||dy_n/dx_t1|| matches lstmkit.models.backward", n, "both variants, N and H down to 1")


def _by_forget_bias(forget_biases, T, hidden_size=16, n=32, seed=0):
    out = []
    for b in forget_biases:
        params = models.init_params("lstm", 2, hidden_size, rng=np.random.default_rng(seed), forget_bias=b)
        batch = tasks.adding_problem(n, T, rng=np.random.default_rng(seed + 1))
        out.append(np.mean(_marker_gradient(params, batch)))
    return np.array(out)


def check_marker_gradient_by_forget_bias(fn):
    """fn(forget_biases, T) -> mean marker gradient at initialisation for each forget bias."""
    _require_callable(fn)
    name, cases = "marker_gradient_by_forget_bias", [([0.0, 1.0, 2.0], 50), ([1.0], 10), ([-1.0, 3.0], 20)]
    for biases, T in cases:
        rep = _Report(name, f"forget_biases={biases}, T={T}")
        got = _call(name, fn, forget_biases=list(biases), T=T)
        rep.compare("mean marker gradients", got, _by_forget_bias(biases, T),
                    "for each b: params from models.init_params('lstm', 2, 16, rng=np.random.default_rng(0), "
                    "forget_bias=b), batch from tasks.adding_problem(32, T, rng=np.random.default_rng(1)); "
                    "then the mean of marker_gradient")
        rep.done()
    g = _by_forget_bias([0.0, 1.0, 2.0], 50)
    _passed(name, "the means match", len(cases), "T = 10, 20, 50")
    print(f"At T = 50 the first number gets a gradient of {g[0]:.1e} with forget bias 0, "
          f"{g[1]:.1e} with 1 and {g[2]:.1e} with 2.")
