"""The gradient checker itself: it must catch a wrong gradient, not only bless right ones."""
import numpy as np

from lstmkit.gradcheck import check_gradients, numerical_gradient, rel_error
from lstmkit.optim import clip_grad_norm


def test_rel_error_matches_cs231n_definition():
    assert rel_error(np.array([1.0]), np.array([1.0])) == 0.0
    assert np.isclose(rel_error(np.array([1.0, 2.0]), np.array([1.0, 3.0])), 1 / 5)
    assert rel_error(np.zeros(2), np.zeros(2)) == 0.0


def test_numerical_gradient_of_a_known_function(rng):
    x = rng.standard_normal((3, 4))
    df = rng.standard_normal((3, 4))
    num = numerical_gradient(np.sin, x, df)
    assert rel_error(num, np.cos(x) * df) < 1e-8
    assert np.array_equal(x, x.copy())  # restored


def test_check_gradients_reports_right_and_wrong(rng, capsys):
    w = rng.standard_normal(5)

    def loss():
        return np.sum(w ** 3)

    right = check_gradients(loss, {"w": w}, {"w": 3 * w ** 2})
    wrong = check_gradients(loss, {"w": w}, {"w": 2 * w ** 2}, verbose=False)
    assert right["w"] < 1e-8
    assert wrong["w"] > 1e-2
    assert "w: relative error" in capsys.readouterr().out


def test_clip_grad_norm_scales_to_max_and_keeps_direction(rng):
    grads = {"a": rng.standard_normal((3, 2)), "b": rng.standard_normal(4)}
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    clipped, reported = clip_grad_norm(grads, norm / 2)
    assert np.isclose(reported, norm)
    new_norm = np.sqrt(sum(np.sum(g ** 2) for g in clipped.values()))
    assert np.isclose(new_norm, norm / 2)
    np.testing.assert_allclose(clipped["a"] / grads["a"], 0.5)
    # below the threshold nothing changes, and the input is never modified
    same, _ = clip_grad_norm(grads, 2 * norm)
    assert all(np.array_equal(same[k], grads[k]) for k in grads)
