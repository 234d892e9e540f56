"""The stored sweep results (lstmkit/data/results) match the scripts in experiments/ that made them."""
import importlib.util
import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

from lstmkit import sweeps
from lstmkit.train import TrainConfig

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p for p in (ROOT / "experiments").glob("*.py") if not p.name.startswith("_"))


def load_script(path):
    spec = importlib.util.spec_from_file_location(f"experiment_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_script_has_its_results_file_and_every_file_its_script():
    assert SCRIPTS, "experiments/ holds no script"
    names = {load_script(p).NAME for p in SCRIPTS}
    assert names == {p.stem for p in sweeps.RESULTS.glob("*.json")}


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_results_file_matches_the_scripts_configuration(path):
    script = load_script(path)
    results = sweeps.load(script.NAME)
    assert results["seeds"] == script.SEEDS
    assert results["configs"] == {label: asdict(config) for label, config in script.CONFIGS.items()}
    for label, runs in results["runs"].items():
        assert [r["seed"] for r in runs] == script.SEEDS, label
        config = sweeps.config_of(results, label)
        for r in runs:
            # a run stops when solved, else at the budget; a solved run's step is an evaluation step
            assert r["steps"] <= config.steps
            if r["solved_at"] is not None:
                assert r["solved_at"] == r["steps"] and r["steps"] % config.eval_every == 0
            elif not r.get("diverged"):   # a run that overflowed stops early (experiments/clipping.py)
                assert r["steps"] == config.steps
            assert len(r["first_losses"]) == min(sweeps.FIRST_LOSSES, r["steps"])
    assert set(results["versions"]) >= {"python", "numpy", "lstmkit"}


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_a_short_rerun_of_the_first_seed_reproduces_the_stored_first_losses(path):
    # the first training steps come long before any plateau ends: as many as the script says agree
    # across processors to rounding, so a short re-run of one seed shows the file is what it makes
    pytest.importorskip("torch")
    script = load_script(path)
    results = sweeps.load(script.NAME)
    label = next(iter(script.CONFIGS))
    stored = results["runs"][label][0]
    n = script.STEPS_THAT_REPRODUCE
    assert 1 <= n <= sweeps.FIRST_LOSSES
    config = replace(script.CONFIGS[label], seed=script.SEEDS[0], steps=n, eval_every=n, n_test=10,
                     stop_mse=None, stop_accuracy=None)
    history = script.train_fn(label, config)
    np.testing.assert_allclose(history.train_loss, stored["first_losses"][:n], rtol=1e-5)


def test_summarise_keeps_what_the_chapters_report():
    from lstmkit.train import train

    config = TrainConfig(cell="rnn", forget_bias=None, T=10, hidden_size=3, batch_size=4, steps=30, eval_every=10,
                         n_test=8)
    h = train(config, progress=False)
    s = sweeps.summarise(h)
    assert s["seed"] == 0 and s["steps"] == 30 and s["solved_at"] is None
    assert s["first_losses"] == pytest.approx(h.train_loss[:sweeps.FIRST_LOSSES])
    assert s["best_mse"] == pytest.approx(min(h.test_mse)) and s["final_accuracy"] == h.test_accuracy[-1]
    json.dumps(s)   # JSON-ready


def test_run_save_and_load_round_trip(tmp_path, monkeypatch):
    from lstmkit.train import train

    monkeypatch.setattr(sweeps, "RESULTS", tmp_path)
    config = TrainConfig(cell="rnn", forget_bias=None, T=10, hidden_size=3, batch_size=4, steps=10, eval_every=5,
                         n_test=8, stop_mse=10.0)
    results = sweeps.run("tiny", {"rnn": config}, [3, 4], lambda label, c: train(c, progress=False),
                         progress=False)
    sweeps.save(results)
    again = sweeps.load("tiny")
    assert again == json.loads(json.dumps(results))
    assert sweeps.success(again, "rnn") == (2, 2, [0, 0])   # MSE < 10 holds at step 0
    assert sweeps.config_of(again, "rnn") == config


@pytest.mark.parametrize("call, match", [
    (lambda: sweeps.load("no such sweep"), "name: expected one of"),
    (lambda: sweeps.run("x", {"a": TrainConfig()}, [-1], None, progress=False), "seeds: expected non-negative"),
    (lambda: sweeps.run("x", {"a": TrainConfig()}, [1.5], None, progress=False), "seeds: expected non-negative"),
    (lambda: sweeps.run("x", {}, [0], None, progress=False), "configs and seeds"),
    (lambda: sweeps.run("x", {"a": {"T": 5}}, [0], None, progress=False), r"configs\['a'\]: expected a TrainConfig"),
    (lambda: sweeps.success(sweeps.load("ablation"), "nope"), "label: expected one of"),
    (lambda: sweeps.config_of(sweeps.load("ablation"), "nope"), "label: expected one of"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_marker_gradient_traces_are_the_rnn_vs_lstm_runs():
    """Chapter 05 reads why the RNN fails from marker_gradient.json and how often from rnn_vs_lstm.json:
    the same runs (same settings and seeds, made on one machine), so the same outcomes."""
    traces, sweep = sweeps.load("marker_gradient"), sweeps.load("rnn_vs_lstm")
    same = {"tanh RNN": "RNN, T = 50, lr 1e-2, 1,500 steps", "LSTM": "LSTM, T = 50, lr 1e-2, 1,500 steps",
            "IRNN": "IRNN, T = 50, lr 1e-2, 1,500 steps"}
    assert traces["seeds"] == sweep["seeds"]
    for label, other in same.items():
        assert traces["configs"][label] == sweep["configs"][other]
        for r, s in zip(traces["runs"][label], sweep["runs"][other], strict=True):
            assert (r["solved_at"], r["first_losses"]) == (s["solved_at"], s["first_losses"]), (label, r["seed"])
            n = len(r["eval_steps"])
            assert n == len(r["test_mse"]) == len(r["marker_grad"]) and r["eval_steps"][-1] == r["steps"]
