"""LSTM variants for an ablation in the spirit of Greff et al. (2017): peepholes, coupled gates, gates removed.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh             (N, 4H), blocks a_i, a_f, a_g, a_o
    i_t = sigmoid(a_i + p_i * c_{t-1})   f_t = sigmoid(a_f + p_f * c_{t-1})   g_t = tanh(a_g)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = sigmoid(a_o + p_o * c_t)       h_t = o_t * tanh(c_t)

with the options of a ``Variant``:

- ``peephole``: the diagonal peephole weights p_i, p_f, p_o (Gers & Schmidhuber 2000, "Recurrent
  nets that time and count"): the gates i and f look at c_{t-1}, o at the new c_t. They are three
  extra parameters of shape (H,), named ``peephole_i``, ``peephole_f``, ``peephole_o``; without
  ``peephole`` the p terms are absent (and the keys must be too).
- ``coupled``: the coupled input-forget gate (CIFG), i_t = 1 - f_t: write exactly as much as is forgotten.
- ``forget=False``: no forget gate, f_t = 1 (the 1997 LSTM's carousel);
  ``input=False``: no input gate, i_t = 1; ``output=False``: no output gate, o_t = 1.
- ``output_activation=False``: no output activation, h_t = o_t * c_t instead of o_t * tanh(c_t)
  (Greff et al.'s NOAF: h is then unbounded).

The shared weights keep torch.nn.LSTM's layout (weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,),
bias_hh (4H,), rows i, f, g, o) in every variant, so ``lstm.init_params`` and ``interop`` apply
unchanged. The rows of a gate that a variant fixes to a constant (and the peephole of such a gate)
are kept but unused: their gradient is exactly zero. ``Variant()`` is lstmkit.lstm.

References: Gers, Schmidhuber & Cummins (2000), "Learning to forget"; Gers & Schmidhuber (2000);
Greff, Srivastava, Koutnik, Steunebrink & Schmidhuber (2017), "LSTM: A search space odyssey".
Taught in chapters/06_beyond_lstm.ipynb. As in lstm.py: the step, its backward, then the sequence as
a loop over the step. There is no fused path: a backward that batched the weight gradients over all
steps measured less than 10 % faster than this loop (benchmarks/README.md).
"""
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lstmkit import lstm
from lstmkit._plumbing import checked, own, sequence_shape, unpack
from lstmkit._validate import (
    PARAM_NAMES,
    check_array,
    check_bool,
    check_choice,
    check_params,
    check_state_pair,
    check_step_backward,
)
from lstmkit.functional import sigmoid

PEEPHOLES = ("peephole_i", "peephole_f", "peephole_o")


@dataclass(frozen=True)
class Variant:
    """Which LSTM: every flag at its default is the standard (torch) LSTM. Named in ``LSTM_VARIANTS``, chapter 06."""
    peephole: bool = False
    coupled: bool = False   # i = 1 - f
    forget: bool = True     # False: f = 1
    input: bool = True      # False: i = 1
    output: bool = True     # False: o = 1
    output_activation: bool = True   # False: h = o * c

    def __post_init__(self):
        if self.coupled and not (self.forget and self.input):
            raise ValueError(f"variant: a coupled gate (i = 1 - f) needs both the input and the forget gate, "
                             f"got forget={self.forget}, input={self.input}")


# the variants of the chapter's ablation, by name (Greff et al.'s abbreviations in the comments)
LSTM_VARIANTS = {
    "vanilla": Variant(),                    # torch's LSTM (Greff et al.'s vanilla also has peepholes)
    "peephole": Variant(peephole=True),      # vanilla + peepholes
    "coupled": Variant(coupled=True),        # CIFG
    "no_forget": Variant(forget=False),      # NFG
    "no_input": Variant(input=False),        # NIG
    "no_output": Variant(output=False),      # NOG
    "no_output_activation": Variant(output_activation=False),   # NOAF
}


def get_variant(variant):
    """A Variant from a name in LSTM_VARIANTS or a Variant itself. Used by ``step_forward``, chapter 06."""
    if isinstance(variant, Variant):
        return variant
    check_choice("variant", variant, LSTM_VARIANTS)
    return LSTM_VARIANTS[variant]


def init_params(input_size, hidden_size, *, rng, dtype=np.float64, variant="vanilla", forget_bias=None):
    """lstm.init_params, plus peephole_i, peephole_f, peephole_o (H,) each from U(-1/sqrt(H), 1/sqrt(H))
    when the variant has peepholes. Defined in chapter 06."""
    v = get_variant(variant)
    params = lstm.init_params(input_size, hidden_size, rng=rng, dtype=dtype, forget_bias=forget_bias)
    if v.peephole:
        k = 1.0 / np.sqrt(hidden_size)
        for name in PEEPHOLES:
            params[name] = rng.uniform(-k, k, size=hidden_size).astype(dtype)
    return params


def check_variant_params(params, variant):
    """Check params for the variant; return (Variant, D, H, dtype). Used by ``forward``, chapter 06."""
    v = get_variant(variant)
    want = list(PARAM_NAMES) + (list(PEEPHOLES) if v.peephole else [])
    if not isinstance(params, dict):
        raise ValueError(f"params: expected a dict of numpy arrays with keys {want}, got {type(params).__name__}")
    if sorted(params) != sorted(want):
        missing, extra = [k for k in want if k not in params], [k for k in params if k not in want]
        raise ValueError(f"params: expected keys {want} for {v}, got {sorted(params)} "
                         f"(missing {missing}, extra {extra})")
    D, H, dtype = check_params({k: params[k] for k in PARAM_NAMES}, gates=4)
    for name in want[4:]:
        check_array(f"params['{name}']", params[name], (H,), dtype, ("H",))
    return v, D, H, dtype


class StepCache(NamedTuple):
    """What step_forward keeps for step_backward (a tuple, like lstm.StepCache plus c and the variant)."""
    x_t: np.ndarray       # (N, D)
    h_prev: np.ndarray    # (N, H)
    c_prev: np.ndarray    # (N, H)
    i: np.ndarray         # (N, H) each: the gates (ones where the variant removes one)
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    tanh_c: np.ndarray    # (N, H): c itself without the output activation
    c: np.ndarray         # (N, H)
    params: dict
    variant: Variant


def _check_step_forward(x_t, h_prev, c_prev, params, variant="vanilla"):
    v, D, H, dtype = check_variant_params(params, variant)
    N, _ = check_array("x_t", x_t, (None, D), dtype, ("N", "D"))
    check_array("h_prev", h_prev, (N, H), dtype, ("N", "H"))
    check_array("c_prev", c_prev, (N, H), dtype, ("N", "H"))


@checked(_check_step_forward)
def step_forward(x_t, h_prev, c_prev, params, variant="vanilla"):
    """One time step of the variant.

    x_t (N, D), h_prev (N, H), c_prev (N, H) -> h (N, H), c (N, H), cache. Defined in chapter 06.
    """
    v = get_variant(variant)
    W_ih, W_hh, b_ih, b_hh = unpack(params)
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh   # (N, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)          # each (N, H), torch's row order
    if v.peephole:
        a_i = a_i + params["peephole_i"] * c_prev    # i and f look at the old cell ...
        a_f = a_f + params["peephole_f"] * c_prev
    one = np.ones_like(c_prev)
    f = sigmoid(a_f) if v.forget else one            # no forget gate: the 1997 carousel, f = 1
    i = 1.0 - f if v.coupled else (sigmoid(a_i) if v.input else one)
    g = np.tanh(a_g)
    c = f * c_prev + i * g
    if v.peephole:
        a_o = a_o + params["peephole_o"] * c         # ... and o at the new one
    o = sigmoid(a_o) if v.output else one
    tanh_c = np.tanh(c) if v.output_activation else c   # "tanh_c" is c itself without the activation
    h = o * tanh_c
    return h, c, StepCache(x_t, h_prev, c_prev, i, f, g, o, tanh_c, c, params, v)


def _check_step_backward(dh, dc, cache):
    check_step_backward(cache, StepCache, "variants.step_forward", "c_prev", dh=dh, dc=dc)


@checked(_check_step_backward)
def step_backward(dh, dc, cache):
    """Backward of one step: dh (N, H) = dLoss/dh_t in total, dc (N, H) = dLoss/dc_t from step t+1.

    Returns dx (N, D), dh_prev (N, H), dc_prev (N, H) and grads shaped like params.
    Defined in chapter 06.
    """
    W_ih, W_hh, _, _ = unpack(cache.params)
    da, dc_prev, peep = gate_gradients(dh, dc, cache)
    grads = {
        "weight_ih": da.T @ cache.x_t,       # (4H, D)
        "weight_hh": da.T @ cache.h_prev,    # (4H, H)
        "bias_ih": da.sum(axis=0),           # (4H,)
        "bias_hh": da.sum(axis=0),
        **peep,
    }
    return da @ W_ih, da @ W_hh, dc_prev, grads


def gate_gradients(dh, dc, cache):
    """da (N, 4H) = dLoss/da_t, dc_prev (N, H), and the peephole gradients (summed over N).

    dh (N, H) = dLoss/dh_t in total, dc (N, H) = dLoss/dc_t from step t+1. Used by ``step_backward``, chapter 06.
    """
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, c, params, v = cache
    zero = np.zeros_like(c)
    # h = o * tanh(c)
    da_o = dh * tanh_c * o * (1.0 - o) if v.output else zero
    dc = dc + dh * o * ((1.0 - tanh_c ** 2) if v.output_activation else 1.0)   # from h_t and from c_{t+1}
    if v.peephole:
        dc = dc + da_o * params["peephole_o"]   # o_t saw c_t through its peephole
    # c = f * c_prev + i * g
    df, di, dg = dc * c_prev, dc * g, dc * i
    dc_prev = dc * f                         # the carousel's gradient path
    if v.coupled:
        df, di = df - di, zero               # i = 1 - f: f's total effect
    da_i = di * i * (1.0 - i) if (v.input and not v.coupled) else zero
    da_f = df * f * (1.0 - f) if v.forget else zero
    da_g = dg * (1.0 - g ** 2)
    peep = {}
    if v.peephole:
        dc_prev = dc_prev + da_i * params["peephole_i"] + da_f * params["peephole_f"]
        peep = {"peephole_i": (da_i * c_prev).sum(axis=0),   # (H,)
                "peephole_f": (da_f * c_prev).sum(axis=0),
                "peephole_o": (da_o * c).sum(axis=0)}
    return np.concatenate([da_i, da_f, da_g, da_o], axis=1), dc_prev, peep


def forward(x, state0, params, *, variant="vanilla", fused=False):
    """Run the variant over a sequence: step_forward at every t, (h, c) carried from step to step.

    x (T, N, D); state0 = (h0, c0), each (N, H), or None for zeros; variant a name in LSTM_VARIANTS
    or a Variant. Returns hs (T, N, H), the final state (hT, cT) and cache, the list of the T step
    caches. The variants have no fused path (see the module docstring), so fused=True runs the same
    loop: the switch is there so that every layer takes the same arguments. Defined in chapter 06.
    """
    check_bool("fused", fused)
    v, D, H, dtype = check_variant_params(params, variant)
    T, N, _ = check_array("x", x, (None, None, D), dtype, ("T", "N", "D"))
    h, c = check_state_pair("state0", state0, ("h0", "c0"), (N, H), dtype)
    x, h, c, params = own(x), own(h), own(c), own(params)   # the caches keep them: the caller may edit theirs
    hs, caches = np.empty((T, N, H), dtype=dtype), []
    step = step_forward.unchecked   # its arguments were checked above, once
    for t in range(T):
        h, c, cache = step(x[t], h, c, params, v)
        hs[t] = h
        caches.append(cache)
    return hs, (h.copy(), c.copy()), caches   # c is also in the last step's cache


def backward(dhs, cache, dstate=None):
    """Backpropagation through time: step_backward from the last step to the first.

    dhs (T, N, H) = dLoss/dh_t from the outputs, or None for zeros; dstate an optional (dhT, dcT).
    Returns dx (T, N, D), (dh0, dc0) and grads shaped like params, summed over time.
    Defined in chapter 06.
    """
    T, N, H, dtype = sequence_shape(cache, (), StepCache, "variants.forward")
    dhs = np.zeros((T, N, H), dtype=dtype) if dhs is None else dhs
    check_array("dhs", dhs, (T, N, H), dtype, ("T", "N", "H"))
    dh, dc = check_state_pair("dstate", dstate, ("dhT", "dcT"), (N, H), dtype)
    dx = np.empty((T, N, cache[0].x_t.shape[1]), dtype=dtype)
    grads = {k: np.zeros_like(v) for k, v in cache[0].params.items()}
    for t in reversed(range(T)):
        dx[t], dh, dc, step_grads = step_backward.unchecked(dhs[t] + dh, dc, cache[t])
        for k in grads:
            grads[k] += step_grads[k]
    return dx, (dh, dc), grads
