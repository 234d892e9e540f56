"""What every public function keeps with good input: its arguments unchanged, no warning, no NaN.

And the layers' caches are their own: editing x, the initial state, the params or the returned
outputs in place after forward changes nothing in the backward that follows (for every layer,
fused and step by step, and for the models built on them).
"""
import copy
import warnings

import numpy as np
import pytest

from lstmkit import (
    ablation,
    cell_demos,
    charlm,
    decay,
    gradcheck,
    gru,
    lstm,
    optim,
    readout,
    rnn,
    tasks,
    train,
    variants,
)

T, N, D, H = 4, 3, 2, 5


def _rng():
    return np.random.default_rng(7)


def _problem(module, scale=1.0, **kw):
    rng = _rng()
    params = module.init_params(D, H, rng=rng, **kw)
    x = scale * rng.standard_normal((T, N, D))
    return params, x, rng.standard_normal((N, H)), rng.standard_normal((N, H)), rng.standard_normal((T, N, H))


# each layer: (forward(x, h0, c0, params) -> (hs, state, cache), backward(dhs, cache) -> (dx, dstate0, grads))
def _layers():
    layers = {}
    for act in rnn.ACTIVATIONS:
        for fused in (True, False):
            layers[f"rnn-{act}-{'fused' if fused else 'loop'}"] = (
                rnn, {}, lambda x, h, c, p, act=act, fused=fused: rnn.forward(x, h, p, activation=act, fused=fused),
                rnn.backward)
    for fused in (True, False):
        layers[f"lstm-{'fused' if fused else 'loop'}"] = (
            lstm, {}, lambda x, h, c, p, fused=fused: lstm.forward(x, (h, c), p, fused=fused), lstm.backward)
        layers[f"gru-{'fused' if fused else 'loop'}"] = (
            gru, {}, lambda x, h, c, p, fused=fused: gru.forward(x, h, p, fused=fused), gru.backward)
    for v in variants.LSTM_VARIANTS:
        layers[f"variants-{v}"] = (variants, {"variant": v},
                                   lambda x, h, c, p, v=v: variants.forward(x, (h, c), p, variant=v), variants.backward)
    return layers


LAYERS = _layers()


def _flat(value):
    """Every array in a nest of tuples, lists and dicts, in a fixed order."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        return [a for k in sorted(value) for a in _flat(value[k])]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _flat(v)]
    return []


def _equal(a, b):
    fa, fb = _flat(a), _flat(b)
    return len(fa) == len(fb) and all(np.array_equal(x, y) for x, y in zip(fa, fb, strict=True))


@pytest.mark.parametrize("name", list(LAYERS))
def test_cache_is_unaffected_by_later_edits_of_the_callers_arrays(name):
    module, kw, forward, backward = LAYERS[name]
    params, x, h0, c0, dhs = _problem(module, **kw)
    want = backward(dhs, forward(x, h0, c0, params)[2])
    hs, state, cache = forward(x, h0, c0, params)
    for a in [x, h0, c0, hs, *_flat(state), *params.values()]:   # everything the caller holds
        a += 1.0
    got = backward(dhs, cache)
    assert _equal(got, want), f"{name}: backward changed after the caller edited its arrays"


@pytest.mark.parametrize("module,kw,arity", [(rnn, {}, 1), (lstm, {}, 2), (gru, {}, 1),
                                             (variants, {"variant": "peephole"}, 2)])
def test_step_cache_is_unaffected_by_later_edits(module, kw, arity):
    params, x, h0, c0, dhs = _problem(module, **kw)
    extra = (kw["variant"],) if kw else ()
    state = (h0,) if arity == 1 else (h0, c0)
    douts = (dhs[0],) if arity == 1 else (dhs[0], dhs[1])
    want = module.step_backward(*douts, module.step_forward(x[0], *state, params, *extra)[-1])
    out = module.step_forward(x[0], *state, params, *extra)
    for a in [x, *state, *params.values(), *_flat(out[:-1])]:
        a += 1.0
    assert _equal(module.step_backward(*douts, out[-1]), want)


def test_model_caches_keep_their_own_readout():
    rng = _rng()
    for make, fwd in ((lambda: readout.init_params("lstm", D, H, rng=_rng()), lambda x, p: readout.forward(x, p)),
                      (lambda: ablation.init_params("peephole", D, H, rng=_rng()),
                       lambda x, p: ablation.forward(x, p, "peephole"))):
        params, x, dy = make(), rng.standard_normal((T, N, D)), rng.standard_normal(N)
        want = readout.backward(dy, fwd(x, params)[1])
        _, cache = fwd(x, params)
        for a in [x, *params.values()]:
            a += 1.0
        assert _equal(readout.backward(dy, cache), want)
    params = charlm.init_params(6, H, rng=_rng())
    ids = rng.integers(0, 6, size=(T, N))
    dlogits = rng.standard_normal((T, N, 6))
    want = charlm.backward(dlogits, charlm.forward(ids, params)[2])
    logits, _, cache = charlm.forward(ids, params)
    for a in [logits, *params.values()]:
        a += 1.0
    assert _equal(charlm.backward(dlogits, cache), want)


# ---- no argument changed, no warning, nothing non-finite -----------------------------------------

def _good_calls():
    """name -> (function, args, kwargs) with good arguments, for every public function."""
    rng = _rng()
    rp, x, h0, c0, dhs = _problem(rnn)
    lp, gp = lstm.init_params(D, H, rng=rng), gru.init_params(D, H, rng=rng)
    vp = variants.init_params(D, H, rng=rng, variant="peephole")
    big = 1e4 * x
    calls = {}
    for act in rnn.ACTIVATIONS:
        calls[f"rnn.forward {act}"] = (rnn.forward, (x, h0, rp), {"activation": act})
        calls[f"rnn.backward {act}"] = (lambda d, a=act: rnn.backward(d, rnn.forward(x, h0, rp, activation=a)[2]),
                                        (dhs,), {})
    calls.update({
        "rnn.forward 1e4": (rnn.forward, (big, h0, rp), {}),
        "rnn.step": (lambda *a: rnn.step_backward(dhs[0], rnn.step_forward(*a)[1]), (x[0], h0, rp), {}),
        "lstm.forward": (lstm.forward, (x, (h0, c0), lp), {}),
        "lstm.forward 1e4": (lstm.forward, (big, (h0, c0), lp), {}),
        "lstm.backward": (lambda d, s: lstm.backward(d, lstm.forward(x, None, lp)[2], s), (dhs, (h0, c0)), {}),
        "lstm.backward 1e4": (lambda d: lstm.backward(d, lstm.forward(big, None, lp)[2]), (dhs,), {}),
        "lstm.step": (lambda *a: lstm.step_backward(dhs[0], c0, lstm.step_forward(*a)[2]), (x[0], h0, c0, lp), {}),
        "gru.forward": (gru.forward, (x, h0, gp), {}),
        "gru.backward": (lambda d: gru.backward(d, gru.forward(x, h0, gp)[2], h0), (dhs,), {}),
        "gru.step": (lambda *a: gru.step_backward(dhs[0], gru.step_forward(*a)[1]), (x[0], h0, gp), {}),
        "variants.forward": (variants.forward, (x, (h0, c0), vp), {"variant": "peephole"}),
        "variants.backward": (lambda d: variants.backward(d, variants.forward(big, None, vp, variant="peephole")[2]),
                              (dhs,), {}),
        "gradcheck.rel_error": (gradcheck.rel_error, (x, x + 1e-9), {}),
        "gradcheck.numerical_gradient": (gradcheck.numerical_gradient, (lambda a: a ** 2, x[0], x[0] * 0 + 1.0), {}),
        "gradcheck.check_gradients": (gradcheck.check_gradients, (lambda: float(np.sum(x ** 2)), {"x": x},
                                                                  {"x": 2 * x}), {"verbose": False}),
        "optim.global_norm": (optim.global_norm, ({"a": x, "b": h0},), {}),
        "optim.clip_grad_norm": (optim.clip_grad_norm, ({"a": x, "b": h0}, 0.5), {}),
        "optim.SGD": (lambda g: optim.SGD(0.1, 0.9).step({"a": np.zeros_like(x)}, g), ({"a": x},), {}),
        "optim.Adam": (lambda g: optim.Adam(0.1).step({"a": np.zeros_like(x)}, g), ({"a": x},), {}),
        "tasks.adding_problem": (tasks.adding_problem, (8, 12), {"rng": _rng()}),
        "tasks.fraction_correct": (tasks.fraction_correct, (x[0, 0], x[0, 0] + 0.01), {}),
        "decay.jacobians": (decay.jacobians, (x, h0[:, :D], _rdd()), {}),
        "decay.gradient_norms_by_lag": (decay.gradient_norms_by_lag, (x, h0[:, :D], _rdd()), {}),
        "decay.decay_curve": (decay.decay_curve, (1.0, 1.0, 10), {"hidden_size": 4, "batch": 3}),
        "decay.truncated_gradients": (decay.truncated_gradients, (x, h0, rp, dhs, 2), {}),
        "decay.last_step_regression": (decay.last_step_regression, (x, h0, rp, np.ones((1, H)), np.ones((N, 1))), {}),
        "decay.decay_bound": (decay.decay_bound, (1.0, 0.9, np.arange(5)), {}),
        # step t = 0 has no gates: their curves start with NaN there on purpose (a gap in the plots)
        "cell.simulate_gates": (lambda **k: _after_t0(cell_demos.simulate_gates(**k)), (), {"T": 20}),
        "cell.simulate_biases": (lambda **k: _after_t0(cell_demos.simulate_biases(**k)), (), {"T": 20}),
        "cell.run_cell": (cell_demos.run_cell, (lp, x, (h0, c0)), {}),
        "cell.state_gradient_norms": (cell_demos.state_gradient_norms, (lp, x), {}),
        "cell.decay_factor": (cell_demos.decay_factor, (np.array([1.0, 0.5, 0.25]),), {}),
        "train.train_last_step": (train.train_last_step, (rp, np.ones((1, H)), x, np.ones((N, 1))),
                                  {"lr": 0.1, "steps": 3}),
    })
    mp = readout.init_params("rnn", D, H, rng=rng)
    ap = ablation.init_params("gru", D, H, rng=rng)
    cp = charlm.init_params(6, H, rng=rng)
    ids = rng.integers(0, 6, size=(T, N))
    chars = list("abcdef")
    calls.update({
        "readout.forward": (readout.forward, (x, mp, "rnn", np.array([1, 4, 2])), {}),
        "readout.backward": (lambda dy: readout.backward(dy, readout.forward(x, mp, "rnn")[1]), (x[0, :, 0],), {}),
        "readout.mse_loss": (readout.mse_loss, (x[0, :, 0], x[1, :, 0]), {}),
        "ablation.forward": (ablation.forward, (x, ap, "gru"), {}),
        "charlm.forward": (charlm.forward, (ids, cp), {}),
        "charlm.loss_and_grads": (charlm.loss_and_grads, (ids, ids, cp), {}),
        "charlm.sample": (charlm.sample, (cp, chars, "abc", 5), {"rng": _rng()}),
        "charlm.decode": (charlm.decode, (ids[:, 0], chars), {}),
        "charlm.split_blocks": (charlm.split_blocks, (np.arange(100), 2), {"block": 10}),
    })
    return calls


def _after_t0(run):
    return {k: v[1:] if np.ndim(v) else v for k, v in run.items()}


def _rdd():
    return rnn.init_params(D, D, rng=_rng())


def _finite(value):
    return all(np.all(np.isfinite(a)) for a in _flat(value) if a.dtype.kind == "f")


@pytest.mark.parametrize("name", list(_good_calls()))
def test_good_input_is_not_changed_warns_nothing_and_gives_finite_output(name):
    fn, args, kwargs = _good_calls()[name]
    before = copy.deepcopy((args, {k: v for k, v in kwargs.items() if k != "rng"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(*args, **kwargs)
    assert _equal((args, {k: v for k, v in kwargs.items() if k != "rng"}), before), f"{name} changed its input"
    assert _finite(out), f"{name} returned NaN or inf for finite input"


# ---- empty sizes: refused the same way by every layer ---------------------------------------------

@pytest.mark.parametrize("name", ["rnn-tanh-fused", "rnn-tanh-loop", "lstm-fused", "lstm-loop", "gru-fused",
                                  "variants-vanilla", "variants-peephole"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_an_empty_sequence_batch_or_input_is_refused_by_every_layer(name, axis):
    module, kw, forward, _ = LAYERS[name]
    params, x, h0, c0, _ = _problem(module, **kw)
    empty = np.take(x, [], axis=axis)
    with pytest.raises(ValueError, match=r"x: expected"):
        forward(empty, h0[:0] if axis == 1 else h0, c0[:0] if axis == 1 else c0, params)


@pytest.mark.parametrize("module,kw", [(rnn, {}), (lstm, {}), (gru, {}), (variants, {"variant": "coupled"}),
                                       (readout, None)])
def test_an_empty_hidden_layer_is_refused_by_every_layer(module, kw):
    if kw is None:   # the models build on the layers: same rule, same message
        with pytest.raises(ValueError, match="hidden_size: expected a positive integer, got 0"):
            readout.init_params("lstm", D, 0, rng=_rng())
        return
    with pytest.raises(ValueError, match="hidden_size: expected a positive integer, got 0"):
        module.init_params(D, 0, rng=_rng(), **kw)


@pytest.mark.parametrize("name", list(LAYERS))
def test_backward_takes_none_for_zero_output_gradients_in_every_layer(name):
    module, kw, forward, backward = LAYERS[name]
    params, x, h0, c0, dhs = _problem(module, **kw)
    cache = forward(x, h0, c0, params)[2]
    assert _equal(backward(None, cache), backward(np.zeros_like(dhs), cache))
