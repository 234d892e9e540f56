"""Chapter 05's plot helper: seed_outcomes draws a stored sweep's successes and failures per setting."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lstmkit import plots, sweeps  # noqa: E402


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
    # every seed of "c" solved it (one at the very budget): its dots, no cross, and "0 of 3"
    assert list(drawn["c"][0].get_xdata()) == [100, 200, 1000] and drawn["c"][1] is None
    assert [t.get_text() for t in ax.texts] == ["1 of 3", "3 of 3", "0 of 3"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert dots.get_zorder() > cross.get_zorder()     # a seed solved at the budget stays visible
    assert ax.get_xlabel() == "training step when solved"
    # the legend names each kind of mark once, and the first setting is drawn on top
    assert ax.get_legend_handles_labels()[1] == ["a seed that solved it", "budget: seeds that did not solve it"]
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
