"""Checks for exercises 01 (the vanilla RNN and BPTT), against lstmkit.rnn.

Each check calls the reader's function on seeded inputs of several shapes (sizes down to 1) and
prints one PASS line, or raises a short report whose last line names the likely cause.
Used by exercises/01_rnn_bptt.ipynb and solutions/01_rnn_bptt.ipynb.
"""
import numpy as np

from lstmkit import rnn
from lstmkit.checks._report import (
    NDH,
    TNDH,
    TOL,
    CheckFailed,
    Report,
    as_real,
    call,
    changed_lines,
    number,
    passed,
    rel_error,
    require_callable,
    unpack,
)

__all__ = ["rnn_step_forward", "rnn_step_backward", "rnn_backward", "scalar_bptt", "fixed_rnn_backward"]

# What a graded answer may call from lstmkit besides lstmkit.functional (checks/_sealed.py): what
# the exercise gives the student to build on. Anything else of lstmkit's fails the graded check.
GRADED_MAY_CALL = {"rnn_backward": ("lstmkit.rnn.step_backward",)}


def _offset_cause(a_got, a_ref, params):
    """The cause when a is off by one and the same vector for every example (a bias), else None."""
    a_got = as_real(a_got)
    if a_got is None or a_got.shape != a_ref.shape or a_ref.shape[0] < 2:
        return None
    offset = a_got - a_ref                                      # (N, H)
    if not np.allclose(offset, offset[0], rtol=0, atol=1e-9) or np.allclose(offset[0], 0.0, atol=1e-9):
        return None
    for sign, word in ((-1.0, "missing"), (1.0, "counted twice")):
        for bias in ("bias_hh", "bias_ih"):
            if np.allclose(offset[0], sign * params[bias], rtol=1e-9, atol=1e-12):
                return (f"a is off by the same vector for every example, exactly {'-' if sign < 0 else '+'}{bias}: "
                        f"a term of a_t that does not depend on the example is {word} (a_t has two biases, "
                        "b_ih and b_hh)")
    return ("a is off by the same vector for every example: a term that does not depend on the example, "
            "a bias, is missing or wrong (a_t has two, b_ih and b_hh)")


def _forward_cause(rep):
    if rep.off("h", "cache[2] (a)"):
        return ("h and a are both off, so the error is in a, before the tanh: which side does each weight "
                "multiply, and is it transposed? (one case has D = H, where a missing .T keeps the shape)")
    if rep.off("h"):
        return "a is right but h is not: the nonlinearity applied to a"
    if rep.off("cache[2] (a)"):
        return "h is right; the cache must hold the pre-activation a at position 2, before the tanh"
    return None


def rnn_step_forward(fn):
    """fn(x_t, h_prev, params) -> (h, cache), tanh, cache = (x_t, h_prev, a, params, "tanh")."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(101), "rnn_step_forward"
    for N, D, H in NDH:
        params, x_t, h_prev = rnn.init_params(D, H, rng=rng), rng.standard_normal((N, D)), rng.standard_normal((N, H))
        h_ref, cache_ref = rnn.step_forward(x_t, h_prev, params, "tanh")
        case = f"N={N}, D={D}, H={H}"
        h, cache = unpack(name, call(name, fn, x_t=x_t, h_prev=h_prev, params=params), ("h", "cache"), case)
        rep = Report(name, case)
        rep.compare("h", h, h_ref)
        offset = None
        if not isinstance(cache, tuple) or len(cache) != 5:
            rep.wrong("cache", "expected the tuple (x_t, h_prev, a, params, 'tanh') that rnn.step_backward reads")
        else:
            rep.compare("cache[2] (a)", cache[2], cache_ref[2])
            offset = _offset_cause(cache[2], cache_ref[2], params) if rep.off("cache[2] (a)") else None
        rep.done(lambda rep, offset=offset: offset or _forward_cause(rep))
    passed(name, "h and a match lstmkit.rnn.step_forward", len(NDH), "N, D, H down to 1")


def _step_backward_cause(activation, tanh_passed):
    def cause(rep):
        if rep.every_output_off() and not {"shape", "transposed"} & {s.kind for s in rep.symptoms.values()}:
            if activation == "sigmoid" and tanh_passed:
                return ("every tanh case passed, every output is off with the sigmoid: the derivative must "
                        "be the one of the activation named in the cache")
            return ("every output is off, and all of them pass through delta_t = dL/da_t: the factor "
                    "f'(a_t) that turns dh into delta_t (rnn.ACTIVATIONS[activation][1] is f')")
        if rep.ok("dx") and rep.off("dh_prev"):
            return ("dx is right, so delta_t is right; dh_prev is the product of delta_t with W_hh: "
                    "which side, and transposed or not? (shape (N, H) either way when the matrix is square)")
        if rep.ok("dh_prev") and rep.off("dx"):
            return "dh_prev is right, so delta_t is right; dx is the product of delta_t with W_ih: which side?"
        if rep.ok("dx", "dh_prev") and rep.off("grads['bias_ih']") and rep.ok("grads['weight_ih']"):
            return "a bias is added to every row of the batch, so its gradient collects delta_t from every row"
        if rep.ok("dx", "dh_prev"):
            return ("delta_t is right (dx and dh_prev are); a weight's gradient is delta_t transposed times "
                    "what that weight multiplies in the forward step, shaped like the weight")
        return None
    return cause


def rnn_step_backward(fn):
    """fn(dh, cache) -> (dx, dh_prev, grads) for lstmkit's step cache, any activation."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name, n = np.random.default_rng(102), "rnn_step_backward", 0
    for activation in ("tanh", "sigmoid"):
        for N, D, H in NDH:
            params = rnn.init_params(D, H, rng=rng)
            x_t, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
            _, cache = rnn.step_forward(x_t, h_prev, params, activation)
            dh = rng.standard_normal((N, H))
            dx_ref, dhp_ref, g_ref = rnn.step_backward(dh, cache)
            case = f"N={N}, D={D}, H={H}, activation={activation!r}"
            dx, dhp, g = unpack(name, call(name, fn, dh=dh, cache=cache), ("dx", "dh_prev", "grads"), case)
            rep = Report(name, case)
            rep.compare("dx", dx, dx_ref)
            rep.compare("dh_prev", dhp, dhp_ref)
            rep.grads(g, g_ref)
            rep.done(_step_backward_cause(activation, n >= len(NDH)))
            n += 1
    passed(name, "dx, dh_prev and the 4 grads match lstmkit.rnn.step_backward", n,
           "tanh and sigmoid; N, D, H down to 1")


def _bptt_in_time_order(dhs, caches):
    """What a loop that runs forward in time (t = 1, ..., T) returns: only its dx, for the diagnosis."""
    dx, dh_next = [], np.zeros_like(dhs[0])
    for t in range(len(caches)):
        dx_t, dh_next, _ = rnn.step_backward(dhs[t] + dh_next, caches[t])
        dx.append(dx_t)
    return np.array(dx)


def _backward_cause(rep):
    if rep.off("dx[T-1]") and rep.ok("dx[:-1]"):
        return ("only the last step's dx is off: there the total gradient on h_T is dhs[T-1] alone, "
                "since nothing comes back from beyond the last step")
    if rep.off("dx[:-1]") and rep.ok("dx[T-1]"):
        return ("the last step is right, the earlier ones are not: the total gradient on h_t is the local "
                "dhs[t] plus what comes back from step t+1")
    if rep.ok("dx[:-1]", "dx[T-1]") and rep.off("grads"):
        return ("dx is right at every step; the same weights act at every step, so the weight gradients "
                "are the sum of every step's share (an overwrite keeps only one step's)")
    if rep.ok("dx[:-1]", "dx[T-1]") and rep.off("dh0"):
        return "dx is right at every step; dh0 is what the backward of the first step passes to h_0"
    return None


def _check_bptt(fn, name, seed, given=None):
    """Compare fn(dhs, caches) with rnn.backward over TNDH (tanh); given: the function fn must fix."""
    __tracebackhide__ = True
    require_callable(fn)
    rng = np.random.default_rng(seed)
    for T, N, D, H in sorted(TNDH, key=lambda s: -s[0]):   # long sequences first: they show most
        params, x, h0 = rnn.init_params(D, H, rng=rng), rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
        caches, h = [], h0
        for t in range(T):
            h, c = rnn.step_forward(x[t], h, params)
            caches.append(c)
        dhs = rng.standard_normal((T, N, H))
        dx_ref, dh0_ref, g_ref = rnn.backward(dhs, rnn.forward(x, h0, params, fused=True)[2])
        case = f"T={T}, N={N}, D={D}, H={H}"
        dx, dh0, g = unpack(name, call(name, fn, dhs=dhs, caches=caches), ("dx", "dh0", "grads"), case)
        rep = Report(name, case)
        dx_arr = as_real(dx) if isinstance(dx, (np.ndarray, list, tuple)) else None
        if dx_arr is not None and dx_arr.shape == dx_ref.shape and T > 1:
            rep.compare("dx[:-1]", dx_arr[:-1], dx_ref[:-1])
            rep.compare("dx[T-1]", dx_arr[-1], dx_ref[-1])
        else:
            rep.compare("dx", dx, dx_ref)
        rep.compare("dh0", dh0, dh0_ref)
        rep.grads(g, g_ref)
        like = dx_arr is not None and dx_arr.shape == dx_ref.shape and T > 1
        if like and given is not None and rel_error(dx_arr, given(dhs, caches)[0]) < TOL:
            cause = _UNCHANGED
        elif like and rel_error(dx_arr, _bptt_in_time_order(dhs, caches)) < TOL:
            cause = _IN_TIME_ORDER
        else:
            cause = None
        rep.done(lambda rep, cause=cause: cause or _backward_cause(rep))
    if given is not None:
        n = changed_lines(fn, given)
        if n is not None and n > 1:
            raise CheckFailed([f"{name}: the outputs are right, but you changed {n} lines of {given.__name__}",
                               "  likely cause: the bug sits in one line; change only that one and keep the "
                               "others as they were, so that you know which line it was"]) from None
    passed(name, "dx, dh0 and the grads match lstmkit.rnn.backward", len(TNDH), "T, N, D, H down to 1")


_IN_TIME_ORDER = ("your dx is what a loop that runs forward in time gives: the total gradient on h_t needs "
                  "what step t+1 sends back, so step t+1 must be done before step t")
_UNCHANGED = ("your outputs are exactly those of the given function, so the bug is still there. They are right "
              "at the last step and wrong before it: what does every earlier step receive that the last one does not?")


def rnn_backward(fn):
    """fn(dhs, caches) -> (dx, dh0, grads); caches is the list of T step caches."""
    __tracebackhide__ = True
    _check_bptt(fn, "rnn_backward", 103)


def _scalar_in_time_order(w_hh, w_ih, b, xs, h0):
    """The four numbers of a backward loop that runs forward in time, t = 1, ..., T (for the diagnosis)."""
    hs = [h0]
    for x in xs:
        hs.append(float(np.tanh(w_hh * hs[-1] + w_ih * x + b)))
    out, dh = {"w_hh": 0.0, "w_ih": 0.0, "b": 0.0}, 1.0
    for t in range(1, len(xs) + 1):
        delta = dh * (1.0 - hs[t] ** 2)
        out = {"w_hh": out["w_hh"] + delta * hs[t - 1], "w_ih": out["w_ih"] + delta * xs[t - 1], "b": out["b"] + delta}
        dh = delta * w_hh
    return out | {"h0": dh}


def _scalar_cause(rep, T, w_hh, one_step_right, in_time_order, ratio):
    if in_time_order:
        return ("your numbers are those of a loop that runs forward in time: delta_t needs dL/dh_t, which "
                "needs delta_{t+1} first, so the loop must start at t = T")
    if rep.ok("w_hh", "w_ih", "b") and rep.off("h0") and ratio is not None and abs(ratio * w_hh - 1) < 1e-6:
        return (f"only h0 is off, by the factor 1/w_hh = {1 / w_hh:.4g}: going back from delta_t to "
                "dL/dh_(t-1) crosses a weight, as it does at every step of the recursion")
    if T > 1 and one_step_right and rep.ok("h0"):
        return ("h0 is right, so the recursion back through time is; w_hh, w_ih and b are used at every step, "
                "so each collects one term per step: add them all")
    if T > 1 and one_step_right:
        return ("T = 1 was right, so one step is; the error is in what carries dL/dh_t back from "
                "step t to step t-1, or in summing every step's share into the parameters")
    if rep.off("w_hh", "w_ih", "b", "h0"):
        return "every derivative is off: delta_t, the gradient on the pre-activation, tanh'(a_t) included"
    return None


def scalar_bptt(fn):
    """fn(w_hh, w_ih, b, xs, h0) -> {"w_hh", "w_ih", "b", "h0"}: dL/d. of L = h_T, scalar tanh RNN."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(104), "scalar_bptt"
    # first two cases chosen so that every mistake shows clearly: w_hh = 0.5 is far from 1, h0 far from 0
    cases = [(0.5, -1.2, 0.1, [1.0], 0.8), (0.5, -1.2, 0.1, [1.0, -0.5, 2.0], 0.8)]
    cases += [tuple(rng.uniform(-1.5, 1.5, 3)) + (list(rng.standard_normal(T)), float(rng.uniform(-1, 1)))
              for T in (1, 3, 5)]
    one_step_right = False
    for w_hh, w_ih, b, xs, h0 in cases:
        T = len(xs)
        params = {"weight_ih": np.array([[w_ih]]), "weight_hh": np.array([[w_hh]]),
                  "bias_ih": np.array([b]), "bias_hh": np.array([0.0])}
        _, _, cache = rnn.forward(np.array(xs).reshape(T, 1, 1), np.array([[h0]]), params, fused=True)
        dhs = np.zeros((T, 1, 1))
        dhs[-1] = 1.0
        _, dh0, g = rnn.backward(dhs, cache)
        want = {"w_hh": g["weight_hh"][0, 0], "w_ih": g["weight_ih"][0, 0], "b": g["bias_ih"][0], "h0": dh0[0, 0]}
        case = f"T={T}, w_hh={w_hh:.2f}, w_ih={w_ih:.2f}, b={b:.2f}, h0={h0:.2f}"
        got = call(name, fn, w_hh=float(w_hh), w_ih=float(w_ih), b=float(b), xs=[float(v) for v in xs], h0=float(h0))
        if not isinstance(got, dict) or sorted(got) != sorted(want):
            keys = sorted(got) if isinstance(got, dict) else type(got).__name__
            rep = Report(name, case)
            rep.wrong("result", f"expected a dict with keys {sorted(want)}, got {keys}")
            rep.done()
        rep = Report(name, case)
        mine = {k: number(name, k, got[k], case) for k in want}
        for k in want:
            rep.compare(k, mine[k], want[k])
        wrong_way = _scalar_in_time_order(w_hh, w_ih, b, xs, h0)
        in_time_order = T > 1 and all(abs(mine[k] - wrong_way[k]) <= TOL * max(1.0, abs(wrong_way[k])) for k in want)
        ratio = mine["h0"] / want["h0"] if want["h0"] != 0 else None      # one number: rep.ratios() needs three
        rep.done(lambda rep, a=(T, w_hh, one_step_right, in_time_order, ratio): _scalar_cause(rep, *a))
        one_step_right = one_step_right or T == 1
    passed(name, "dL/dw_hh, dL/dw_ih, dL/db, dL/dh0 match lstmkit.rnn.backward", len(cases), "T = 1, 3, 5")


# ---------------------------------------------------------------- exercise 1.5: find the bug
def buggy_rnn_backward(dhs, caches):
    """BPTT for the tanh RNN, written out in full: dhs (T, N, H), caches -> dx (T, N, D), dh0 (N, H), grads.

    It runs, and every output has the right shape; one line is wrong (exercise 1.5 asks which).
    """
    T = len(caches)
    params = caches[0][3]
    dx = np.empty((T,) + caches[0][0].shape)                  # (T, N, D)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros_like(dhs[0])                           # (N, H): nothing comes from beyond step T
    for t in reversed(range(T)):
        x_t, h_prev, a, params, activation = caches[t]
        da = dhs[t] * (1.0 - np.tanh(a) ** 2) + dh_next       # (N, H): delta_t
        dx[t] = da @ params["weight_ih"]                      # (N, D)
        dh_next = da @ params["weight_hh"]                    # (N, H): handed to step t-1
        grads["weight_ih"] += da.T @ x_t
        grads["weight_hh"] += da.T @ h_prev
        grads["bias_ih"] += da.sum(axis=0)
        grads["bias_hh"] += da.sum(axis=0)
    return dx, dh_next, grads


def fixed_rnn_backward(fn):
    """fn(dhs, caches) -> (dx, dh0, grads): buggy_rnn_backward with its one wrong line put right."""
    __tracebackhide__ = True
    _check_bptt(fn, "fixed_rnn_backward", 105, given=buggy_rnn_backward)
