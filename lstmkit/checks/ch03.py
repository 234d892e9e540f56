"""Checks for exercises 03 (the LSTM cell and its gates), against lstmkit.lstm.

Used by exercises/03_lstm_cell.ipynb and solutions/03_lstm_cell.ipynb.
"""
import numpy as np

from lstmkit import lstm, variants
from lstmkit._validate import check_params
from lstmkit.checks._report import (
    NDH,
    CheckFailed,
    Report,
    as_real,
    call,
    known_mistake,
    passed,
    rel_error,
    require_callable,
    unpack,
)
from lstmkit.rnn import sigmoid

__all__ = ["lstm_gates", "lstm_step_forward", "gated_latch_params", "peephole_cell_derivative"]

# What a graded answer may call from lstmkit besides lstmkit.functional (checks/_sealed.py): what
# the exercise gives the student to build on. Anything else of lstmkit's fails the graded check.
GRADED_MAY_CALL = {"peephole_cell_derivative": ("lstmkit.variants.step_forward",)}


def _gates(a):
    """lstmkit's gates for pre-activations a (N, 4H): an identity W_ih feeds a through the cell."""
    N, H = a.shape[0], a.shape[1] // 4
    params = {"weight_ih": np.eye(4 * H), "weight_hh": np.zeros((4 * H, H)),
              "bias_ih": np.zeros(4 * H), "bias_hh": np.zeros(4 * H)}
    return lstm.step_forward(a, np.zeros((N, H)), np.zeros((N, H)), params)[2][3:7]


def _gate_cause(got, a):
    """Which block and which nonlinearity each wrong gate came from, measured against all eight."""
    blocks = np.split(a, 4, axis=1)
    found = []
    for gate, mine in zip("ifgo", got, strict=False):
        mine = as_real(mine)
        if mine is None:
            continue
        for fname, f in (("sigmoid", sigmoid), ("tanh", np.tanh)):
            for block, b in zip("ifgo", blocks, strict=True):
                want_f = "tanh" if gate == "g" else "sigmoid"
                if mine.shape == b.shape and rel_error(mine, f(b)) < 1e-8 and (block, fname) != (gate, want_f):
                    found.append(f"your {gate} is {fname} of block {block}")
    if not found:
        return None
    return "; ".join(found) + ". The blocks are i, f, g, o in torch's order (CS231n's is i, f, o, g); g has tanh"


def lstm_gates(fn):
    """fn(a) -> (i, f, g, o), each (N, H), from the pre-activations a (N, 4H) in torch's order."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(301), "lstm_gates"
    sizes = [(2, 3), (1, 1), (4, 1), (1, 5)]
    for N, H in sizes:
        a = 3.0 * rng.standard_normal((N, 4 * H))
        case = f"N={N}, H={H}"
        got = unpack(name, call(name, fn, a=a), ("i", "f", "g", "o"), case)
        rep = Report(name, case)
        for gate, mine, want in zip("ifgo", got, _gates(a), strict=True):
            rep.compare(gate, mine, want)
        rep.done(lambda rep, got=got, a=a: _gate_cause(got, a))
    passed(name, "i, f, g, o match lstmkit.lstm", len(sizes), "N, H down to 1")


def _cell_mistake(h, c, cache_ref):
    """The cause when h or c is a known misreading of the two state equations, else None."""
    _, _, c_prev, i, f, g, o, _, _ = cache_ref
    c_ref = f * c_prev + i * g
    return known_mistake(c, [
        ("your c keeps i_t of the old cell and writes f_t of the candidate: the forget gate "
                             "keeps, the input gate writes",
         i * c_prev + f * g),
        ("your c writes the whole candidate g_t: the input gate decides how much of it is written",
         f * c_prev + g),
    ]) or known_mistake(h, [
        ("h uses the old cell c_(t-1); the output gate shows the new cell c_t",
         o * np.tanh(c_prev)),
        ("h is the output gate times c_t itself; the cell is squashed before the gate shows it",
         o * c_ref)])


def _forward_cause(rep):
    gates = ("cache[3] (i)", "cache[4] (f)", "cache[5] (g)", "cache[6] (o)")
    if rep.off(*gates):
        return ("every gate is off, so the pre-activation a is: which side does each weight multiply, "
                "transposed or not? (one case has D = H, where a missing .T keeps the shape)")
    if any(rep.off(g) for g in gates):
        return "some gates are right and some are not: the order of the blocks of a (i, f, g, o) or their nonlinearity"
    if rep.off("c"):
        return "the gates are right, c is not: the cell update, whose products are elementwise"
    if rep.off("h") and rep.off("cache[7] (tanh_c)"):
        return "c is right, h and tanh_c are not: the squashing of c before the output gate"
    if rep.off("h"):
        return "c and the gates are right: h is the output gate times the squashed cell"
    return None


def lstm_step_forward(fn):
    """fn(x_t, h_prev, c_prev, params) -> (h, c, cache), cache = (x_t, h_prev, c_prev, i, f, g, o, tanh_c, params)."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(302), "lstm_step_forward"
    for N, D, H in NDH:
        params = {k: v * 2.0 for k, v in lstm.init_params(D, H, rng=rng).items()}   # saturated gates show more
        x_t, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
        h_ref, c_ref, cache_ref = lstm.step_forward(x_t, h_prev, c_prev, params)
        case = f"N={N}, D={D}, H={H}"
        h, c, cache = unpack(name, call(name, fn, x_t=x_t, h_prev=h_prev, c_prev=c_prev, params=params),
                             ("h", "c", "cache"), case)
        rep = Report(name, case)
        rep.compare("c", c, c_ref)
        rep.compare("h", h, h_ref)
        if not isinstance(cache, tuple) or len(cache) != 9:
            rep.wrong("cache", "expected the tuple (x_t, h_prev, c_prev, i, f, g, o, tanh_c, params)")
        else:
            for k, out in enumerate(("i", "f", "g", "o", "tanh_c"), start=3):
                rep.compare(f"cache[{k}] ({out})", cache[k], cache_ref[k])
        named = _cell_mistake(h, c, cache_ref)
        rep.done(lambda rep, named=named: named or _forward_cause(rep))
    passed(name, "h, c and the cached gates match lstmkit.lstm.step_forward", len(NDH), "N, D, H down to 1")


def gated_latch_params(fn):
    """fn() -> LSTM params (D=2, H=1) whose cell stores tanh(v_t) when s_t = 1 and holds it otherwise."""
    __tracebackhide__ = True
    require_callable(fn)
    name, tol = "gated_latch_params", 0.01
    params = call(name, fn)
    try:
        D, H, _ = check_params(params, gates=4)
    except ValueError as err:
        raise CheckFailed(f"{name} should return an LSTM params dict (D=2, H=1): {err}") from None
    if (D, H) != (2, 1):
        raise CheckFailed(f"{name} should return params for D=2 inputs [v_t, s_t] and H=1 cell, "
                          f"got D={D}, H={H}") from None
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
            if s[t]:
                bad = [w for w, ok in (("i_t", i > 0.99), ("f_t", f < 0.01), ("g_t", abs(g - target) < 1e-3)) if not ok]
                cause = (f"on a store step the cell must drop what it held and take the candidate: "
                         f"{', '.join(bad) or 'the gates'} {'is' if len(bad) == 1 else 'are'} not there yet")
            else:
                bad = [w for w, ok in (("f_t", f > 0.9998), ("i_t", i < 1e-4)) if not ok]
                cause = (f"while holding, the cell may neither leak nor write, whatever v_t and h_(t-1) are: "
                         f"{', '.join(bad) or 'a gate'} is not saturated enough (60 steps of f_t must keep 99%)")
            when = (f"at the store step t={t}" if s[t] else
                    f"at t={t}, {t - last} step{'s' if t - last > 1 else ''} after the store at t={last}")
            raise CheckFailed([
                f"{name}: {when}, c_t = {c[0, 0]:.4f} but the stored value is tanh(v) = {target:.4f} "
                f"(|error| must stay below {tol})",
                f"  gates at this step: i_t = {i:.4f}, f_t = {f:.4f}, g_t = {g:.4f}",
                f"  likely cause: {cause}"]) from None
    print(f"PASS {name}: the cell stores tanh(v) when s_t = 1 and holds it through 59 and 60 steps of noisy v_t; "
          f"|c_t - stored| < {tol}")


# ---------------------------------------------------------------- exercise 3.4: the carousel with peepholes
def _peephole_derivative(x_t, h_prev, c_prev, params, *, slope=True, terms=("f", "df", "di")):
    """d c_t / d c_(t-1), elementwise (N, H), with h_(t-1) and x_t held fixed, for the peephole cell."""
    _, _, cache = variants.step_forward(x_t, h_prev, c_prev, params, "peephole")
    i, f, g = cache.i, cache.f, cache.g
    s_i, s_f = (i * (1 - i), f * (1 - f)) if slope else (i, f)
    parts = {"f": f, "df": c_prev * s_f * params["peephole_f"], "di": g * s_i * params["peephole_i"]}
    return sum(parts[k] for k in terms)


def _peephole_cause(got, x_t, h_prev, c_prev, params):
    args = (x_t, h_prev, c_prev, params)
    return known_mistake(got, [
        ("your derivative is f_t alone, the carousel's factor without peepholes; here the gates i_t and f_t "
         "read c_(t-1) too, and c_t depends on both of them",
         _peephole_derivative(*args, terms=("f",))),
        ("the route through the input gate is missing: i_t reads c_(t-1) through peephole_i, and c_t holds i_t g_t",
         _peephole_derivative(*args, terms=("f", "df"))),
        ("the route through the forget gate is missing: f_t reads c_(t-1) through peephole_f, and c_t holds "
         "f_t c_(t-1)",
         _peephole_derivative(*args, terms=("f", "di"))),
        ("a gate's slope is missing: d sigma(z)/dz = sigma(z) (1 - sigma(z)), not sigma(z)",
         _peephole_derivative(*args, slope=False)),
    ])


def peephole_cell_derivative(fn):
    """fn(x_t, h_prev, c_prev, params) -> (N, H): d c_t / d c_(t-1) of the peephole cell, h_(t-1) held fixed."""
    __tracebackhide__ = True
    require_callable(fn)
    rng, name = np.random.default_rng(304), "peephole_cell_derivative"
    for N, D, H in NDH:
        params = {k: 3.0 * v for k, v in variants.init_params(D, H, rng=rng, variant="peephole").items()}
        x_t, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
        c_prev = 2.0 * rng.standard_normal((N, H))
        case = f"N={N}, D={D}, H={H}"
        got = call(name, fn, x_t=x_t, h_prev=h_prev, c_prev=c_prev, params=params)
        rep = Report(name, case)
        rep.compare("dc_t/dc_(t-1)", got, _peephole_derivative(x_t, h_prev, c_prev, params))
        rep.done(lambda rep, a=(got, x_t, h_prev, c_prev, params): _peephole_cause(*a))
    passed(name, "d c_t / d c_(t-1) matches the peephole cell's", len(NDH), "N, D, H down to 1")
