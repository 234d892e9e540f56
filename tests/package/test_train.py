"""The chapter-05 model, its loss, the optimisers and the training loop.

Gradients are checked end to end (loss -> every parameter, readout included, and the input) in
float64 against centred finite differences; the padding of variable-length batches is checked to
be invisible; the loop is checked to be deterministic, to stop early and to learn.
"""
import numpy as np
import pytest

from lstmkit import readout, tasks
from lstmkit.gradcheck import numerical_gradient, rel_error
from lstmkit.optim import SGD, Adam
from lstmkit.train import History, NumpyLearner, TrainConfig, train

CELLS = [("rnn", None), ("lstm", None), ("lstm", 1.0)]


def batch(variant, n=3, T=10, seed=0):
    return tasks.adding_problem(n, T, rng=np.random.default_rng(seed), variant=variant)


@pytest.mark.parametrize("cell, forget_bias", CELLS)
@pytest.mark.parametrize("variant", tasks.VARIANTS)
def test_gradients_end_to_end_match_finite_differences(rng, cell, forget_bias, variant):
    # float64, h = 1e-5: a correct backward agrees to about 1e-7 or better (chapter 01's scale)
    b = batch(variant)
    params = readout.init_params(cell, 2, 4, rng=rng, forget_bias=forget_bias)
    x = b.x.copy()

    def loss():
        y, _ = readout.forward(x, params, cell, b.lengths)
        return readout.mse_loss(y, b.target)[0]

    y, cache = readout.forward(x, params, cell, b.lengths)
    _, dy = readout.mse_loss(y, b.target)
    dx, grads = readout.backward(dy, cache)
    assert set(grads) == set(params) and len(params) == 6
    for k in params:
        assert grads[k].shape == params[k].shape
        err = rel_error(numerical_gradient(lambda _: loss(), params[k], 1.0), grads[k])
        assert err < 1e-6, (k, err)
    # dL/dx_t decays along time (chapter 02's point), down to ~1e-6 at the first steps, where the
    # finite difference's rounding (~1e-16 / h = 1e-11) spoils an elementwise relative error: so
    # compare with an absolute floor of 1e-9 next to a relative 1e-5
    np.testing.assert_allclose(dx, numerical_gradient(lambda _: loss(), x, 1.0), rtol=1e-5, atol=1e-9)


def test_mse_loss_and_its_gradient(rng):
    y, target = rng.standard_normal(5), rng.standard_normal(5)
    loss, dy = readout.mse_loss(y, target)
    assert loss == pytest.approx(np.mean((y - target) ** 2), rel=1e-15)
    assert rel_error(numerical_gradient(lambda v: readout.mse_loss(v, target)[0], y, 1.0), dy) < 1e-8


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_padding_is_invisible(rng, cell):
    # right-padding + reading each sequence at lengths - 1: the padded steps change nothing
    b = batch("hochreiter1997", n=6, T=20, seed=4)
    assert len(set(b.lengths)) > 1
    params = readout.init_params(cell, 2, 5, rng=rng)
    y, cache = readout.forward(b.x, params, cell, b.lengths)
    # 1. each sequence run alone, cut at its own length, gives the same output
    for n, L in enumerate(b.lengths):
        alone, _ = readout.forward(b.x[:L, n:n + 1].copy(), params, cell)
        np.testing.assert_allclose(alone, y[n:n + 1], rtol=0, atol=1e-14)
    # 2. garbage in the padding does not change the outputs
    x = b.x.copy()
    after = np.arange(x.shape[0])[:, None] >= b.lengths[None, :]
    x[after] = rng.standard_normal((after.sum(), 2))
    np.testing.assert_array_equal(readout.forward(x, params, cell, b.lengths)[0], y)
    # 3. and the padded steps receive exactly zero gradient
    dx, _ = readout.backward(np.ones_like(y), cache)
    assert np.all(dx[after] == 0.0) and np.all(np.any(dx[~after] != 0.0, axis=-1))


def test_sgd_with_momentum_updates_in_place():
    p = {"w": np.array([1.0, 2.0])}
    opt = SGD(0.1, momentum=0.5)
    opt.step(p, {"w": np.array([1.0, -1.0])})        # buf = g
    np.testing.assert_allclose(p["w"], [0.9, 2.1])
    opt.step(p, {"w": np.array([1.0, -1.0])})        # buf = 0.5 g + g
    np.testing.assert_allclose(p["w"], [0.75, 2.25])


def test_adam_first_step_is_lr_times_the_sign():
    # m_hat = g, v_hat = g^2 after bias correction: the first step is lr * g / (|g| + eps)
    p = {"w": np.array([1.0, 1.0, 1.0])}
    Adam(0.01).step(p, {"w": np.array([3.0, -1e-3, 0.0])})
    np.testing.assert_allclose(p["w"], [0.99, 1.01, 1.0], rtol=0, atol=1e-7)


def tiny(**changes):
    base = dict(T=10, hidden_size=4, batch_size=4, steps=6, eval_every=3, n_test=8)
    return TrainConfig(**{**base, **changes})


def test_training_is_deterministic_and_recorded():
    a, b = train(tiny(), progress=False), train(tiny(), progress=False)
    assert isinstance(a, History)
    assert a.train_loss == b.train_loss and a.test_mse == b.test_mse
    assert a.eval_steps == [0, 3, 6] and len(a.train_loss) == len(a.grad_norm) == 6
    assert len(a.test_mse) == len(a.test_accuracy) == len(a.marker_grad) == 3
    assert a.sequences_seen == 24 and a.solved_at is None
    assert set(a.params) == set(readout.init_params("lstm", 2, 4, rng=np.random.default_rng(0)))
    assert train(tiny(seed=1), progress=False).train_loss != a.train_loss


def test_clipping_bounds_the_step_and_records_the_norm_before():
    # SGD with lr = 1 and clip = 1e-3 moves the parameters by at most 1e-3 per step (global norm)
    def moved(h):
        start = readout.init_params("lstm", 2, 4, rng=np.random.default_rng(0), forget_bias=1.0)
        return np.sqrt(sum(np.sum((h.params[k] - start[k]) ** 2) for k in start))

    clipped = train(tiny(clip=1e-3, optimizer="sgd", lr=1.0), progress=False)
    free = train(tiny(clip=None, optimizer="sgd", lr=1.0), progress=False)
    # same first batch: the norm is recorded before clipping
    assert clipped.grad_norm[0] == pytest.approx(free.grad_norm[0], rel=1e-12)
    assert clipped.grad_norm[0] > 1e-2
    assert moved(clipped) <= 6 * 1e-3 * (1 + 1e-9) < moved(free)


def test_early_stop_when_the_criterion_holds():
    h = train(tiny(stop_mse=1e9), progress=False)
    assert h.solved_at == 0 and h.train_loss == []
    h = train(tiny(variant="hochreiter1997", stop_accuracy=0.0, steps=5), progress=False)
    assert h.solved_at == 0


@pytest.mark.parametrize("cell, forget_bias", [("rnn", None), ("lstm", 1.0)])
def test_short_lag_is_learned(cell, forget_bias):
    # T = 10 is an easy lag: both cells must beat the 0.167 baseline clearly within 400 steps
    # (measured: RNN ~0.03, LSTM ~0.002)
    config = TrainConfig(cell=cell, forget_bias=forget_bias, T=10, hidden_size=8, batch_size=32, steps=400,
                         eval_every=400, n_test=200, lr=0.03)
    h = train(config, progress=False)
    assert h.test_mse[0] > 0.1 and h.test_mse[-1] < 0.05, h.test_mse


def test_learner_starts_from_models_init_params():
    config = tiny(cell="rnn", forget_bias=None)
    learner = NumpyLearner(config, np.random.default_rng(0))
    expected = readout.init_params("rnn", 2, 4, rng=np.random.default_rng(0))
    for k in expected:
        np.testing.assert_array_equal(learner.params[k], expected[k])


def test_identity_init_reaches_the_model_and_is_rnn_only():
    h = train(tiny(cell="rnn", forget_bias=None, activation="relu", identity_init=True, steps=1, eval_every=1),
              progress=False)
    assert h.config.identity_init   # and for an LSTM it is refused: see test_bad_input's table
    p = readout.init_params("rnn", 2, 3, rng=np.random.default_rng(0), identity=True)
    np.testing.assert_array_equal(p["weight_hh"], np.eye(3))
