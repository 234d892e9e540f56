"""Chapter 05's plot helper: seed_outcomes draws a stored sweep's successes and failures per setting."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lstmkit import plots, sweeps

pytestmark = pytest.mark.usefixtures("agg_figures")   # Agg, and every figure closed


def fake_results():
    config = {"batch_size": 32, "steps": 1000}
    runs = {"a": [{"solved_at": 300}, {"solved_at": None}, {"solved_at": 500}],
            "b": [{"solved_at": None}, {"solved_at": None}, {"solved_at": None}],
            "c": [{"solved_at": 100}, {"solved_at": 200}, {"solved_at": 1000}]}
    return {"name": "fake", "configs": {"a": config, "b": config, "c": config}, "runs": runs}


def test_seed_outcomes_draws_solved_seeds_and_the_failures_at_the_budget():
    fig, ax = plt.subplots()
    drawn = plots.seed_outcomes(ax, fake_results())
    dots, cross = drawn["a"]
    assert list(dots.get_xdata()) == [300, 500] and list(dots.get_ydata()) == [0, 0]
    assert list(cross.get_xdata()) == [1000]
    assert list(drawn["b"][0].get_xdata()) == [] and list(drawn["b"][1].get_ydata()) == [1]
    # every seed of "c" solved it (one at the very budget): its dots, and neither a cross nor a count
    assert list(drawn["c"][0].get_xdata()) == [100, 200, 1000] and drawn["c"][1] is None
    assert [t.get_text() for t in ax.texts] == ["1 of 3", "3 of 3"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert dots.get_zorder() > cross.get_zorder()     # a seed solved at the budget stays visible
    assert ax.get_xlabel() == "training step when solved"
    # the legend names each kind of mark once, and the first setting is drawn on top
    assert ax.get_legend_handles_labels()[1] == ["a seed that solved it", "budget: k of n seeds did not solve it"]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]
    plt.close(fig)


def test_seed_outcomes_in_sequences_and_for_some_labels():
    fig, ax = plt.subplots()
    drawn = plots.seed_outcomes(ax, fake_results(), labels=["b"], sequences=True)
    assert list(drawn) == ["b"] and list(drawn["b"][1].get_xdata()) == [32000]
    assert ax.get_xlabel() == "training sequences seen when solved"
    plt.close(fig)


def test_seed_outcomes_on_a_stored_sweep():
    results = sweeps.load("forget_bias")
    fig, ax = plt.subplots()
    drawn = plots.seed_outcomes(ax, results)
    assert len(drawn) == len(results["configs"])
    plt.close(fig)


def test_seed_outcomes_names_an_unknown_label():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"labels: expected settings of 'fake'.*\['d'\]"):
        plots.seed_outcomes(ax, fake_results(), labels=["a", "d"])
    plt.close(fig)


def fake_norms(K=6):
    return {"tanh RNN": 0.5 ** np.arange(K + 1), "IRNN": np.ones(K + 1)}


def test_rnn_backward_routes_draws_each_row_back_from_h_T_with_widths_from_the_norms():
    fig, ax = plt.subplots()
    drawn = plots.rnn_backward_routes(ax, fake_norms(), steps=4)
    assert list(drawn) == ["tanh RNN", "IRNN"] and all(len(arrows) == 4 for arrows in drawn.values())
    tanh_widths = [a.get_linewidth() for a in drawn["tanh RNN"]]
    irnn_widths = [a.get_linewidth() for a in drawn["IRNN"]]
    # the arrow into h_{T-k} is as wide as ||dh_T/dh_{T-k}||: thinner at every step back for 0.5^k,
    # constant (and the widest) for the IRNN's ones
    assert all(a > b for a, b in zip(tanh_widths, tanh_widths[1:], strict=False))
    assert irnn_widths == [irnn_widths[0]] * 4 and irnn_widths[0] > tanh_widths[0]
    assert tanh_widths[0] == pytest.approx(plots._width(0.5))
    # every arrow points back in time: from a state to the one on its left
    for arrows in drawn.values():
        for arrow in arrows:
            (x_start, _), (x_end, _) = arrow._posA_posB
            assert x_end < x_start
    texts = [t.get_text() for t in ax.texts]
    assert "$h_{T-6}$" in texts and "0.016" in texts and "0.062" in texts   # lag 6 ends the row
    assert any("tanh'(a_t)" in t for t in texts) and any(r"\mathbb{1}[a_t > 0]" in t for t in texts)
    plt.close(fig)


def test_rnn_backward_routes_without_norms_is_the_bare_diagram():
    fig, ax = plt.subplots()
    drawn = plots.rnn_backward_routes(ax, steps=3)
    assert [len(a) for a in drawn.values()] == [3, 3]
    assert not any(t.get_text()[0].isdigit() for t in ax.texts)   # no numbers without norms
    plt.close(fig)


@pytest.mark.parametrize("norms, words", [
    ({"tanh RNN": np.ones(5)}, ["norms", "IRNN"]),
    ({"tanh RNN": np.ones(3), "IRNN": np.ones(5)}, ["norms['tanh RNN']", "steps=4", "(3,)"]),
    ({"tanh RNN": np.ones(5), "IRNN": np.array([1, 1, np.nan, 1, 1])}, ["norms['IRNN']", "finite"]),
    ([1, 2], ["norms", "list"]),
])
def test_rnn_backward_routes_names_bad_norms(norms, words):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError) as info:
        plots.rnn_backward_routes(ax, norms, steps=4)
    assert all(w in str(info.value) for w in words), str(info.value)
    plt.close(fig)


def traced_results():
    config = {"batch_size": 32, "steps": 100}
    runs = {"a": [{"solved_at": None, "eval_steps": [0, 50, 100], "marker_grad": [1e-9, 1e-8, 1e-10]},
                  {"solved_at": 50, "eval_steps": [0, 50], "marker_grad": [1e-9, 1.0]}],
            "b": [{"solved_at": 100, "eval_steps": [0, 50, 100], "marker_grad": [1e-4, 1e-5, 0.9]}]}
    return {"name": "traced", "configs": {"a": config, "b": config}, "runs": runs}


def test_seed_traces_draws_one_line_per_seed_and_marks_the_solved_step():
    fig, ax = plt.subplots()
    drawn = plots.seed_traces(ax, traced_results())
    assert [len(lines) for lines in drawn.values()] == [2, 1]
    assert list(drawn["a"][1].get_xdata()) == [0, 50] and list(drawn["a"][1].get_ydata()) == [1e-9, 1.0]
    # colour and line style both tell the settings apart; a legend entry per setting, not per seed
    a, b = drawn["a"][0], drawn["b"][0]
    assert a.get_color() != b.get_color() and a.get_linestyle() != b.get_linestyle()
    assert ax.get_legend_handles_labels()[1] == ["a", "b"]
    markers = [line for line in ax.lines if line.get_marker() not in ("None", None, "")]
    assert [(list(m.get_xdata()), list(m.get_ydata())) for m in markers] == [([50], [1.0]), ([100], [0.9])]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "training step"
    plt.close(fig)


def test_seed_traces_on_the_stored_marker_gradient_sweep():
    fig, ax = plt.subplots()
    drawn = plots.seed_traces(ax, sweeps.load("marker_gradient"))
    assert list(drawn) == ["tanh RNN", "LSTM", "IRNN"] and all(len(lines) == 10 for lines in drawn.values())
    plt.close(fig)


@pytest.mark.parametrize("labels, words", [(["nope"], "labels: expected at most 3 settings"),
                                           (["a", "b", "a", "b"], "labels: expected at most 3")])
def test_seed_traces_names_bad_labels(labels, words):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=words):
        plots.seed_traces(ax, traced_results(), labels=labels)
    plt.close(fig)


def test_seed_traces_names_a_sweep_without_traces():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="results: expected runs that keep 'eval_steps' and 'marker_grad'"):
        plots.seed_traces(ax, sweeps.load("rnn_vs_lstm"), labels=["RNN, T = 50, lr 1e-2, 1,500 steps"])
    plt.close(fig)
