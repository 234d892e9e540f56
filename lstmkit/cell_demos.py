"""The LSTM cell state measured: gate simulations and gradient paths (chapters 03 and 04).

    c_t = f_t * c_{t-1} + i_t * g_t        dc_t/dc_{t-1} = f_t (elementwise, h_{t-1} held fixed)
    so  dc_T/dc_t = prod_{k=t+1..T} f_k  along the cell path alone (the direct path; the full
    derivative adds the routes through h_t and the gates of the next steps, chapter 04).

Chapter 03 moves the gates by hand: ``simulate_gates`` sets the gate values directly (a pulse of
input stored at one step, then held), ``simulate_biases`` sets the gate biases of a real one-unit
lstmkit cell and lets the cell equations compute the gates from an input sequence,
``carousel_params`` builds the cell whose gates are forced to f = 1, i = 0, and ``route_gains``
gives the local gradient factors the live cell diagram draws. Chapter 04 measures
``state_gradient_norms``: ||dL/dh_t|| and ||dL/dc_t|| for a loss on the last step only, beside the
pure cell path, and ``decay_factor`` summarises a curve by its geometric-mean ratio per step.

The constant error carousel of Hochreiter & Schmidhuber (1997) is the cell's self-connection of
weight 1, i.e. f = 1 here: dc_t/dc_{t-1} = 1 whatever the input gate does. A shut input gate is a
different thing: it protects the stored value from being overwritten (their input-weight
conflict). The 1997 LSTM also truncated the error once it left the cell (no gradient through h and
the gates back in time); the full-gradient LSTM that lstmkit and torch compute came with Graves &
Schmidhuber (2005).

References: Hochreiter & Schmidhuber (1997), "Long short-term memory"; Gers, Schmidhuber &
Cummins (2000), "Learning to forget" (the forget gate); Graves & Schmidhuber (2005), "Framewise
phoneme classification with bidirectional LSTM" (full BPTT); Jozefowicz, Zaremba & Sutskever
(2015), "An empirical exploration of recurrent network architectures" (forget bias 1).
"""
import numpy as np

from lstmkit import lstm, rnn
from lstmkit._plumbing import checked
from lstmkit._validate import (
    as_real_array,
    check_array,
    check_float_dtype,
    check_int,
    check_number,
    check_params,
    check_positive_int,
    check_seed,
    check_state_pair,
)

# The one-unit latch of simulate_biases: weight_ih rows i, f, g, o for its single input x_t.
# The input gate's weight is large so a pulse x_t = 1 opens it; the candidate copies x_t.
LATCH_WEIGHTS = {"i": 8.0, "f": 1.0, "g": 1.0, "o": 0.0}


def _check_write_step(T, write_step):
    check_positive_int("T", T)
    check_positive_int("write_step", write_step)
    if write_step > T:
        raise ValueError(f"write_step: expected a step in 1..T={T}, got {write_step}")


def _cell_path(f):
    """dc_T/dc_t = prod_{k=t+1..T} f_k for t = 0..T, from the forget gates f (T, ...)."""
    ones = np.ones_like(f[:1])
    # reversed cumulative product: entry t multiplies the gates after step t
    return np.concatenate([np.cumprod(f[::-1], axis=0)[::-1], ones], axis=0)


def _check_simulate_gates(f, i, o, g, *, T, write_step, c0):
    for name, value in (("f", f), ("i", i), ("o", o)):
        check_number(name, value, 0.0, 1.0)
    check_number("g", g, -1.0, 1.0)
    check_number("c0", c0)
    _check_write_step(T, write_step)


@checked(_check_simulate_gates, copies=False)
def simulate_gates(f=0.9, i=1.0, o=1.0, g=1.0, *, T=50, write_step=1, c0=0.0):
    """One cell unit with the gate values set by hand: store a value at one step, then hold it.

    The forget gate f_t = f and the output gate o_t = o at every step; the input gate is open
    (i_t = i) only at ``write_step`` and shut (i_t = 0) elsewhere, so the candidate g is written
    once and then only the forget gate acts on it. Steps run t = 1..T from c_0 = c0, h_0 = 0.
    Returns a dict of numpy arrays: "t" (T+1,) the steps 0..T; "i", "f", "g", "o" (T+1,) the gate
    values (entry 0 is NaN: no gate acts before step 1); "c", "h" (T+1,) the states;
    "dcT_dct" (T+1,) the cell-path gradient prod_{k=t+1..T} f_k; and the float "dcT_dc0".
    Defined in chapter 03.
    """
    gates = {k: np.full(T + 1, v, dtype=np.float64) for k, v in (("i", 0.0), ("f", f), ("g", g), ("o", o))}
    gates["i"][write_step] = i                  # the input gate opens once: store, then hold
    c, h = np.zeros(T + 1), np.zeros(T + 1)
    c[0] = c0
    for t in range(1, T + 1):
        c[t] = gates["f"][t] * c[t - 1] + gates["i"][t] * gates["g"][t]
        h[t] = gates["o"][t] * np.tanh(c[t])
    for v in gates.values():
        v[0] = np.nan
    path = _cell_path(gates["f"][1:])
    return {"t": np.arange(T + 1), **gates, "c": c, "h": h, "dcT_dct": path, "dcT_dc0": float(path[0])}


def _check_latch_params(b_i, b_f, b_g, b_o):
    for name, value in (("b_i", b_i), ("b_f", b_f), ("b_g", b_g), ("b_o", b_o)):
        check_number(name, value)


@checked(_check_latch_params, copies=False)
def latch_params(b_i=-4.0, b_f=3.0, b_g=0.0, b_o=2.0):
    """Parameters of a one-unit lstmkit cell (D = 1, H = 1) with the given gate biases.

    weight_ih (4, 1) holds LATCH_WEIGHTS (rows i, f, g, o): a pulse x_t = 1 opens the input gate
    and becomes the candidate; weight_hh is zero, so every gate is a function of x_t alone.
    bias_ih (4,) holds the biases, bias_hh is zero. Defined in chapter 03.
    """
    return {
        "weight_ih": np.array([[LATCH_WEIGHTS[k]] for k in "ifgo"]),   # (4H, D) = (4, 1)
        "weight_hh": np.zeros((4, 1)),                                  # (4H, H) = (4, 1)
        "bias_ih": np.array([b_i, b_f, b_g, b_o], dtype=np.float64),    # (4H,)
        "bias_hh": np.zeros(4),                                         # (4H,)
    }


def _check_latch_input(T, write_step, noise, seed):
    _check_write_step(T, write_step)
    check_number("noise", noise, 0.0)
    check_seed("seed", seed)


@checked(_check_latch_input, copies=False)
def latch_input(T=50, write_step=1, noise=0.2, seed=0):
    """The input sequence x (T, 1, 1) of simulate_biases: 1 at write_step, else N(0, noise^2).

    The noise is the distraction a real input carries between the events worth storing.
    Used by ``simulate_biases``, chapter 03.
    """
    x = noise * np.random.default_rng(seed).standard_normal((T, 1, 1))
    x[write_step - 1] = 1.0
    return x


def _check_run_cell(params, x, state0):
    D, H, dtype = check_params(params, gates=4)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    check_state_pair("state0", state0, ("h0", "c0"), (N, H), dtype)


@checked(_check_run_cell, copies=False)
def run_cell(params, x, state0=None):
    """lstm.step_forward over a sequence, keeping the gates: the record chapter 04 plots.

    x (T, N, D); state0 = (h0, c0), each (N, H), or None for zeros. Returns a dict with
    "i", "f", "g", "o" (T, N, H) the gate values at steps 1..T and "h", "c" (T+1, N, H) the
    states at steps 0..T (entry 0 is state0). Defined in chapter 04.
    """
    return _run(params, x, state0)[0]


def _run(params, x, state0):
    """run_cell's record and the list of step caches (which lstm.step_backward takes)."""
    T, N, _ = x.shape
    H, dtype = params["weight_hh"].shape[1], x.dtype
    h, c = (np.zeros((N, H), dtype), np.zeros((N, H), dtype)) if state0 is None else state0
    rec = {k: np.empty((T, N, H), dtype) for k in "ifgo"}
    rec["h"], rec["c"] = np.empty((T + 1, N, H), dtype), np.empty((T + 1, N, H), dtype)
    rec["h"][0], rec["c"][0] = h, c
    caches = []
    for t in range(T):
        h, c, cache = lstm.step_forward(x[t], h, c, params)
        _, _, _, rec["i"][t], rec["f"][t], rec["g"][t], rec["o"][t], _, _ = cache   # the step cache
        rec["h"][t + 1], rec["c"][t + 1] = h, c
        caches.append(cache)
    return rec, caches


def simulate_biases(b_f=3.0, b_i=-4.0, b_o=2.0, b_g=0.0, *, T=50, write_step=1, noise=0.2, seed=0):
    """The latch of latch_params run on latch_input: the gates come from the cell equations.

    Returns the same dict as simulate_gates (arrays (T+1,), entry 0 of each gate NaN), computed
    by lstm.step_forward, plus "x" (T+1,) the input (entry 0 NaN). Defined in chapter 03.
    """
    params = latch_params(b_i=b_i, b_f=b_f, b_g=b_g, b_o=b_o)
    x = latch_input(T, write_step, noise, seed)
    rec = run_cell(params, x)
    nan = np.full(1, np.nan)
    data = {k: np.concatenate([nan, rec[k][:, 0, 0]]) for k in "ifgo"}
    path = _cell_path(rec["f"][:, 0, 0])
    return {"t": np.arange(T + 1), "x": np.concatenate([nan, x[:, 0, 0]]), **data,
            "c": rec["c"][:, 0, 0], "h": rec["h"][:, 0, 0], "dcT_dct": path, "dcT_dc0": float(path[0])}


def _check_carousel_params(input_size, hidden_size, bias, dtype):
    check_positive_int("input_size", input_size)
    check_positive_int("hidden_size", hidden_size)
    check_number("bias", bias)
    check_float_dtype(dtype)


@checked(_check_carousel_params, copies=False)
def carousel_params(input_size, hidden_size, bias=40.0, dtype=np.float64):
    """An LSTM whose gates are forced by their biases: f = sigmoid(bias), i = sigmoid(-bias).

    All weights are zero, so no input or hidden state can move a gate; the candidate and output
    biases are zero. At bias = 40 both gates round to exactly 1 and 0 in float64 (lstmkit's
    sigmoid goes through tanh(20), which is 1.0 to double precision). f = 1 is the constant error
    carousel of Hochreiter & Schmidhuber (1997), dc_t/dc_{t-1} = 1; i = 0 is not part of it, it
    only keeps new input from overwriting the stored value.
    Defined in chapter 03.
    """
    D, H = input_size, hidden_size
    params = {"weight_ih": np.zeros((4 * H, D), dtype), "weight_hh": np.zeros((4 * H, H), dtype),
              "bias_ih": np.zeros(4 * H, dtype), "bias_hh": np.zeros(4 * H, dtype)}
    params["bias_ih"][H:2 * H] = bias      # forget gate f = 1: the carousel, dc_t/dc_{t-1} = 1
    params["bias_ih"][:H] = -bias          # input gate shut: protects the stored value
    return params


def _is_lstm(params):
    """True for an lstm dict (weight_hh (4H, H)), False for an rnn dict (weight_hh (H, H))."""
    w = params["weight_hh"]
    return w.shape[1] > 0 and w.shape[0] == 4 * w.shape[1]


def _check_state_gradient_norms(params, x, state0, readout, activation):
    if not isinstance(params, dict):
        raise ValueError(f"params: expected a dict of numpy arrays (lstm or rnn), got {type(params).__name__}")
    w = params.get("weight_hh")
    if not isinstance(w, np.ndarray) or w.ndim != 2 or w.shape[0] not in (w.shape[1], 4 * w.shape[1]):
        raise ValueError("params: expected an lstm dict (weight_hh (4H, H)) or an rnn dict "
                         f"(weight_hh (H, H)), got weight_hh {getattr(w, 'shape', type(w).__name__)}")
    D, H, dtype = check_params(params, gates=4 if _is_lstm(params) else 1)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    if readout is not None:
        check_array("readout", readout, (H,), dtype, ("H",))
    if _is_lstm(params):
        check_state_pair("state0", state0, ("h0", "c0"), (N, H), dtype)
    elif state0 is not None:
        check_array("state0 (h0)", state0, (N, H), dtype, ("N", "H"))


@checked(_check_state_gradient_norms, copies=False)
def state_gradient_norms(params, x, state0=None, readout=None, activation="tanh"):
    """How much gradient from a loss on the last step reaches each earlier step.

    L = sum over the batch of readout . h_T (readout (H,), default all ones). params is an
    lstm dict (4H rows) or an rnn dict (H rows; activation as in rnn.forward); x (T, N, D);
    state0 is (h0, c0) for the LSTM, h0 for the RNN, or None for zeros.
    Returns a dict of arrays indexed by the lag k = T - t, k = 0..T:
    "h" (T+1,) ||dL/dh_{T-k}||; for the LSTM also "c" (T+1,) ||dL/dc_{T-k}|| (every path),
    "cell_path" (T+1,) ||dL/dc_T * prod_{j=T-k+1..T} f_j|| (the cell path alone), and
    "f_mean" (float) the mean forget gate. Norms are Frobenius norms over (N, H).
    Defined in chapter 04.
    """
    T, N, _ = x.shape
    H, dtype = params["weight_hh"].shape[1], x.dtype
    readout = np.ones(H, dtype) if readout is None else readout
    dh = np.broadcast_to(readout, (N, H)).copy()   # dL/dh_T: the loss sees the last step only
    norms_h = np.empty(T + 1)
    norms_h[0] = np.linalg.norm(dh)
    if not _is_lstm(params):
        h = np.zeros((N, H), dtype) if state0 is None else state0
        caches = []
        for t in range(T):
            h, cache = rnn.step_forward(x[t], h, params, activation)
            caches.append(cache)
        for k, cache in enumerate(reversed(caches), start=1):
            _, dh, _ = rnn.step_backward(dh, cache)
            norms_h[k] = np.linalg.norm(dh)
        return {"h": norms_h}
    rec, caches = _run(params, x, state0)
    # dL/dc_T in total: through h_T = o_T * tanh(c_T) only (nothing lies beyond step T)
    dc_T = dh * rec["o"][-1] * (1.0 - np.tanh(rec["c"][-1]) ** 2)
    norms_c = np.empty(T + 1)
    norms_c[0] = np.linalg.norm(dc_T)
    dc = np.zeros((N, H), dtype)
    for k, cache in enumerate(reversed(caches), start=1):
        t = T - k                                      # the step whose state we now reach
        _, dh, dc, _ = lstm.step_backward(dh, dc, cache)
        # the total dL/dc_t adds the path through h_t = o_t * tanh(c_t), unless t = 0 (an input)
        through_h = dh * rec["o"][t - 1] * (1.0 - np.tanh(rec["c"][t]) ** 2) if t > 0 else 0.0
        norms_h[k] = np.linalg.norm(dh)
        norms_c[k] = np.linalg.norm(dc + through_h)
    path = _cell_path(rec["f"])[::-1]                  # by lag: prod of the last k forget gates
    cell = np.array([np.linalg.norm(dc_T * p) for p in path])
    return {"h": norms_h, "c": norms_c, "cell_path": cell, "f_mean": float(np.mean(rec["f"]))}


def _check_decay_factor(norms, lo, hi):
    norms = as_real_array("norms", norms)
    if norms.ndim != 1 or norms.size < 2:
        raise ValueError(f"norms: expected a 1-D array of at least 2 norms, got shape {norms.shape}")
    hi = norms.size - 1 if hi is None else hi
    for name, v in (("lo", lo), ("hi", hi)):
        check_int(name, v, 0, norms.size - 1, what=f"an integer lag in 0..{norms.size - 1}")
    if lo >= hi:
        raise ValueError(f"hi: expected a lag greater than lo={lo}, got {hi}")
    if not np.all(np.isfinite(norms[[lo, hi]])) or norms[lo] <= 0 or norms[hi] <= 0:
        raise ValueError(f"norms: expected positive finite norms at lags {lo} and {hi}, "
                         f"got {norms[lo]!r} and {norms[hi]!r}")


@checked(_check_decay_factor, copies=False)
def decay_factor(norms, lo=0, hi=None):
    """The per-step decay of a gradient-norm curve: the geometric mean of norms[k+1] / norms[k].

    norms (K+1,) positive, indexed by lag; the mean runs over lags lo..hi (default: to the end)
    and equals (norms[hi] / norms[lo]) ** (1 / (hi - lo)). 1 means no decay. Defined in chapter 04.
    """
    norms = np.asarray(norms, dtype=np.float64)
    hi = norms.size - 1 if hi is None else hi
    return float((norms[hi] / norms[lo]) ** (1.0 / (hi - lo)))


def _check_route_gains(data, t):
    if not isinstance(data, dict) or not {"t", "f", "i", "o", "c", "dcT_dc0"} <= set(data):
        raise ValueError("data: expected the dict of cell_demos.simulate_gates or cell_demos.simulate_biases, "
                         f"got {type(data).__name__}")
    T = int(data["t"][-1])
    if t is not None:
        check_int("t", t, 1, T, what=f"a step in 1..T={T}")


@checked(_check_route_gains, copies=False)
def route_gains(data, t=None):
    """The gradient factors along the routes of one cell step, for the live cell diagram.

    data is a simulate_gates / simulate_biases dict; t the step in 1..T (default T, a step where
    the cell holds). Returns a dict of floats:
    "cell" dc_t/dc_{t-1} = f_t (the cell path, h_{t-1} held fixed); "write" dc_t/dg_t = i_t;
    "out" dh_t/dc_t = o_t (1 - tanh^2 c_t) (from the cell out to h_t); "carousel"
    dc_T/dc_0 = prod_k f_k (the cell path over the whole run); and "t" the step used.
    Defined in chapter 03.
    """
    T = int(data["t"][-1])
    t = T if t is None else t
    c = float(data["c"][t])
    return {"t": int(t), "cell": float(data["f"][t]), "write": float(data["i"][t]),
            "out": float(data["o"][t] * (1.0 - np.tanh(c) ** 2)), "carousel": float(data["dcT_dc0"])}


# ---- chapter 03: what the cell changes, beside the vanilla RNN -------------------------------------

def _check_rnn_reference_path(T, w_hh, input_scale, seed):
    check_positive_int("T", T)
    check_number("w_hh", w_hh)
    check_number("input_scale", input_scale, 0.0)
    check_seed("seed", seed)


@checked(_check_rnn_reference_path, copies=False)
def rnn_reference_path(T, w_hh=1.0, input_scale=1.0, seed=0):
    """The vanilla RNN's factor beside the cell path: dh_T/dh_t (T+1,) of one tanh unit.

    h_t = tanh(w_hh h_{t-1} + x_t) from h_0 = 0, with x_t ~ N(0, input_scale^2) drawn from
    default_rng(seed); dh_T/dh_t = prod_{k=t+1..T} w_hh tanh'(a_k), chapter 02's product of
    Jacobians for H = 1. With w_hh = 1, the largest weight at which chapter 02's bound still rules out
    growth, it falls geometrically where f = 1 keeps the cell path at 1. Defined in chapter 03.
    """
    x = input_scale * np.random.default_rng(seed).standard_normal(T)
    a, h = np.empty(T), 0.0
    for t in range(T):
        a[t] = w_hh * h + x[t]
        h = np.tanh(a[t])
    return _cell_path(w_hh * (1.0 - np.tanh(a) ** 2))      # the same reversed product as the cell's


def _check_one_step_back(params, x_t, state_prev, o_prev):
    D, H, dtype = check_params(params, gates=4)
    N, _ = check_array("x_t", x_t, (None, D), dtype, ("N", "D"))
    check_state_pair("state_prev", state_prev, ("h_prev", "c_prev"), (N, H), dtype)
    check_array("o_prev", o_prev, (N, H), dtype, ("N", "H"))


@checked(_check_one_step_back, copies=False)
def one_step_back(params, x_t, state_prev, o_prev):
    """One step back along the cell: dc_t/dc_{t-1} = direct + through_h, each (N, H, H).

    state_prev = (h_prev, c_prev) with h_prev = o_prev * tanh(c_prev), o_prev (N, H) the output gate
    of step t-1 (it does not depend on c_{t-1}). direct = diag(f_t) is the cell path with h_{t-1} held
    fixed; through_h adds the routes through h_{t-1} and the gates of step t:
    [diag(c_{t-1} f'(a_f)) W_f + diag(g_t i'(a_i)) W_i + diag(i_t g'(a_g)) W_g] diag(o_{t-1} tanh'(c_{t-1})),
    with W_i, W_f, W_g the row blocks of weight_hh and f' = f(1 - f), i' = i(1 - i), g' = 1 - g^2.
    Defined in chapter 03.
    """
    h_prev, c_prev = state_prev
    _, _, cache = lstm.step_forward(x_t, h_prev, c_prev, params)
    i, f, g = cache.i, cache.f, cache.g                                      # each (N, H)
    W_i, W_f, W_g, _ = np.split(params["weight_hh"], 4, axis=0)              # each (H, H)
    dc_dh = ((c_prev * f * (1 - f))[:, :, None] * W_f + (g * i * (1 - i))[:, :, None] * W_i
             + (i * (1 - g ** 2))[:, :, None] * W_g)                          # (N, H, H): dc_t/dh_{t-1}
    dh_dc = o_prev * (1.0 - np.tanh(c_prev) ** 2)                            # (N, H): diagonal
    direct = f[:, :, None] * np.eye(f.shape[1])                              # (N, H, H): diag(f_t)
    return direct, dc_dh * dh_dc[:, None, :]
