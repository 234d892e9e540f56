"""Training results over many seeds: run a sweep, store it, load it again.

"The LSTM solves the task" is a claim about a rate, not about one run. When a training run leaves
its plateau depends on the last bits of its arithmetic: the same seed on another CPU, whose matrix
kernels round sums in another order, can leave it hundreds of steps earlier or later, or not at all
within the budget. So the chapters report a success rate over seeds, and the runs too long for a
notebook are made once by a script in ``experiments/`` and stored here as a small JSON file with
their configuration, seeds, library versions and date.

Per seed a file keeps what a chapter reports (solved or not, at which step, the best and final test
numbers) and the first training losses. Those come before any plateau ends, so they agree across
machines to rounding, and a re-run of one seed shows that the file is reproducible.

References: chapter 05 (the adding problem at T = 100, the forget-gate bias), chapter 06 (the
ablation).
"""
import datetime
import json
import platform
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from lstmkit._validate import ArgumentTypeError, check_callable, check_choice, is_integer
from lstmkit.progress import progress_bar
from lstmkit.train import TrainConfig

RESULTS = Path(__file__).resolve().parent / "data" / "results"
FIRST_LOSSES = 20   # training losses kept per run: before any plateau ends, so reproducible


def _finite_or_none(value):
    return float(value) if np.isfinite(value) else None


def summarise(history, first=FIRST_LOSSES):
    """The numbers a chapter reports about one run, as a JSON-ready dict (what ``run`` stores per seed)."""
    return {
        "seed": history.config.seed,
        "solved_at": history.solved_at,
        "steps": len(history.train_loss),
        "best_mse": _finite_or_none(min(history.test_mse)),
        "final_mse": _finite_or_none(history.test_mse[-1]),
        "best_accuracy": float(max(history.test_accuracy)),
        "final_accuracy": float(history.test_accuracy[-1]),
        "first_losses": [_finite_or_none(v) for v in history.train_loss[:first]],
    }


def _versions():
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "lstmkit": sys.modules["lstmkit"].__version__}
    try:
        import torch

        versions["torch"] = torch.__version__
    except ImportError:
        pass
    return versions


def run(name, configs, seeds, train_fn, *, description="", progress=True):
    """Train every configuration in ``configs`` for every seed; returns the results dict.

    configs: {label: TrainConfig}; its seed is replaced by each of ``seeds``. train_fn(label, config)
    returns a lstmkit.train.History. Defined in chapter 05.
    """
    from dataclasses import replace

    seeds = list(seeds)
    for s in seeds:
        if not is_integer(s) or s < 0:
            raise ValueError(f"seeds: expected non-negative integers, got {s!r}")
    if not isinstance(name, str) or not name:
        raise ArgumentTypeError(f"name: expected a non-empty string, got {type(name).__name__} {name!r}")
    if not isinstance(configs, dict):
        raise ArgumentTypeError(f"configs: expected a dict label -> TrainConfig, got {type(configs).__name__}")
    if not configs or not seeds:
        raise ValueError(f"configs and seeds: expected at least one of each, got {len(configs)} and {len(seeds)}")
    for label, config in configs.items():
        if not isinstance(config, TrainConfig):
            raise ValueError(f"configs[{label!r}]: expected a TrainConfig, got {type(config).__name__}")
        config.validate()
    check_callable("train_fn", train_fn)
    progress = bool(progress)
    jobs = [(label, seed) for label in configs for seed in seeds]
    runs = {label: [] for label in configs}
    for label, seed in progress_bar(jobs, desc=name, disable=not progress):
        history = train_fn(label, replace(configs[label], seed=seed))
        runs[label].append(summarise(history))
    return {
        "name": name,
        "description": description,
        "created": datetime.date.today().isoformat(),
        "versions": _versions(),
        "seeds": list(seeds),
        "configs": {label: asdict(config) for label, config in configs.items()},
        "runs": runs,
    }


def _check_results(results):
    if not isinstance(results, dict) or not {"configs", "runs"} <= set(results):
        raise ArgumentTypeError(f"results: expected the dict of run() or load(), with keys 'configs' and 'runs', "
                                f"got {type(results).__name__}")


def save(results, path=None):
    """Write results as RESULTS/<name>.json (or to path); returns the path."""
    path = Path(path) if path is not None else RESULTS / f"{results['name']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")
    return path


def load(name):
    """The stored results of the sweep ``name`` (a file in RESULTS). Defined in chapter 05."""
    check_choice("name", name, sorted(p.stem for p in RESULTS.glob("*.json")))
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text())


def config_of(results, label):
    """The TrainConfig stored for ``label`` (its seed is the sweep's first)."""
    _check_results(results)
    check_choice("label", label, results["configs"])
    return TrainConfig(**results["configs"][label])


def success(results, label):
    """(solved, runs, sorted steps of the solved runs) for one configuration. Defined in chapter 05."""
    _check_results(results)
    check_choice("label", label, results["runs"])
    runs = results["runs"][label]
    steps = sorted(r["solved_at"] for r in runs if r["solved_at"] is not None)
    return len(steps), len(runs), steps
