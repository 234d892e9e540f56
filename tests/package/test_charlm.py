"""lstmkit.charlm: the corpus, the one-hot/softmax plumbing, loss -> every parameter by finite
differences (float64), sampling with an explicit generator, a short training run, bad inputs."""
import numpy as np
import pytest

from lstmkit import charlm
from lstmkit.gradcheck import numerical_gradient, rel_error

# Finite differences (h = 1e-5, float64) on a smooth loss: ~1e-9 relative, as in tests/package/test_rnn.py,
# but only ~1e-11 absolute on this O(1) loss, while some entries of these gradients are ~1e-4 (the
# loss is a mean over T*N characters); fd_close allows FD_ATOL = 1e-10 on top, elementwise, like
# numpy.isclose (see tests/package/test_variants.py). A wrong term is off by far more.
FD_TOL, FD_ATOL = 1e-7, 1e-10


def fd_close(analytic, numeric):
    excess = np.abs(analytic - numeric) - FD_TOL * (np.abs(analytic) + np.abs(numeric)) - FD_ATOL
    return analytic.shape == numeric.shape and float(np.max(excess, initial=-1.0)) <= 0.0


def test_corpus_is_shipped_ascii_and_fixed():
    text = charlm.load_corpus()
    assert text.startswith("The Zen of Python, by Tim Peters")
    assert 60_000 < len(text) < 100_000          # "a few tens of KB"
    assert all(ch == "\n" or 32 <= ord(ch) < 127 for ch in set(text))
    assert len(charlm.build_vocab(text)) == 95   # the chapter prints V; a new corpus must update it


def test_encode_decode_round_trip_and_one_hot():
    chars = charlm.build_vocab("hello world")
    ids = charlm.encode("low held", chars)
    assert charlm.decode(ids, chars) == "low held"
    x = charlm.one_hot(ids.reshape(4, 2), len(chars))
    assert x.shape == (4, 2, len(chars))
    np.testing.assert_array_equal(x.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(x.argmax(axis=-1), ids.reshape(4, 2))


def test_batch_targets_are_the_next_characters(rng):
    data = np.arange(100)
    x, y = charlm.batch(data, 7, 5, rng=rng)
    assert x.shape == y.shape == (7, 5)
    np.testing.assert_array_equal(y, x + 1)              # next character
    np.testing.assert_array_equal(x[1:], x[:-1] + 1)     # contiguous windows, time-major


def test_split_blocks_interleaves():
    train, val = charlm.split_blocks(np.arange(10_000), 5, block=1000)
    assert len(val) == 2000 and len(train) == 8000
    np.testing.assert_array_equal(val[:3], [4000, 4001, 4002])
    assert not set(train) & set(val)


def test_cross_entropy_value_and_gradient(rng):
    logits = rng.standard_normal((3, 2, 5))
    targets = rng.integers(0, 5, size=(3, 2))
    loss, dlogits = charlm.cross_entropy(logits, targets)
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    ref = -np.mean(np.log(np.take_along_axis(p, targets[..., None], -1)))
    assert abs(loss - ref) < 1e-14
    num = numerical_gradient(lambda _: charlm.cross_entropy(logits, targets)[0], logits, 1.0)
    assert rel_error(dlogits, num) < FD_TOL
    # stable: no overflow at huge logits, and uniform logits give log V
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        big, _ = charlm.cross_entropy(logits * 1e4, targets)
    assert np.isfinite(big)
    assert abs(charlm.cross_entropy(np.zeros((1, 1, 5)), np.zeros((1, 1), dtype=int))[0] - np.log(5)) < 1e-15


@pytest.mark.parametrize("T, N, V, H", [(1, 1, 2, 1), (4, 3, 5, 3), (3, 1, 4, 2)])
def test_loss_gradient_matches_finite_differences(rng, T, N, V, H):
    params = charlm.init_params(V, H, rng=rng)
    ids, targets = rng.integers(0, V, size=(T, N)), rng.integers(0, V, size=(T, N))
    state0 = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
    loss, grads, _ = charlm.loss_and_grads(ids, targets, params, state0)
    assert set(grads) == set(params)
    for k in params:
        num = numerical_gradient(lambda _: charlm.loss_and_grads(ids, targets, params, state0)[0], params[k], 1.0)
        assert fd_close(grads[k], num), k


def test_carrying_the_state_continues_the_text(rng):
    # running "ab" then "c" from the carried state equals running "abc" at once
    params = charlm.init_params(4, 3, rng=rng)
    ids = np.array([[0], [1], [2]])
    whole, _, _ = charlm.forward(ids, params)
    _, state, _ = charlm.forward(ids[:2], params)
    last, _, _ = charlm.forward(ids[2:], params, state)
    np.testing.assert_allclose(last[0], whole[2], rtol=1e-13, atol=1e-15)


def test_sample_is_seeded_and_temperature_sharpens(rng):
    chars = list("abcd")
    params = charlm.init_params(4, 3, rng=rng)
    params["readout.bias"][:] = [3.0, 0.0, 0.0, 0.0]     # "a" is the likeliest next character
    a = charlm.sample(params, chars, "ab", 40, temperature=1.0, rng=np.random.default_rng(5))
    b = charlm.sample(params, chars, "ab", 40, temperature=1.0, rng=np.random.default_rng(5))
    assert a == b and len(a) == 40 and set(a) <= set(chars)
    cold = charlm.sample(params, chars, "ab", 200, temperature=0.05, rng=np.random.default_rng(5))
    hot = charlm.sample(params, chars, "ab", 200, temperature=5.0, rng=np.random.default_rng(5))
    assert cold.count("a") > hot.count("a")


def test_short_training_run_learns_and_is_reproducible():
    text = "the cat sat on the mat. " * 500
    config = charlm.CharLMConfig(hidden_size=16, seq_len=12, batch_size=8, lr=1e-2, steps=60, eval_every=30,
                                 n_val=8, val_every=4)
    a = charlm.train(config, text, progress=False)
    b = charlm.train(config, text, progress=False)
    assert a.val_steps == [0, 30, 60]
    assert a.val_loss[-1] < 0.6 * a.val_loss[0]          # log(V) ~ 2.3 at first
    assert a.train_loss == b.train_loss                  # one seeded generator: the same run twice


def test_chapter_06_modules_load_without_torch_or_matplotlib():
    # gru and variants are core (numpy only); ablation and charlm are experiments (numpy, tqdm)
    import subprocess
    import sys

    code = ("import sys, lstmkit.gru, lstmkit.variants, lstmkit.ablation, lstmkit.charlm; "
            "print('torch' in sys.modules, 'matplotlib' in sys.modules, 'ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False False"
