"""Shared command line of the experiment scripts: run the sweep and store it."""
import argparse
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")   # one BLAS thread per process: faster at these sizes on few cores

from lstmkit import sweeps  # noqa: E402


def main(name, description, configs, seeds, train_fn, extra=None):
    """Run the sweep and store it; extra(history) -> a dict of further numbers to keep with each run."""
    histories = {}

    def keep(label, config):
        histories[label, config.seed] = history = train_fn(label, config)
        return history

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--only", action="append", metavar="LABEL", choices=list(configs),
                        help="re-run only this setting and keep the stored others (may be repeated)")
    parser.add_argument("--out", help="write here instead of lstmkit/data/results/<name>.json")
    args = parser.parse_args()
    todo = {label: configs[label] for label in (args.only or configs)}
    results = sweeps.run(name, todo, seeds, keep, description=description)
    if extra is not None:
        for label in todo:
            for r in results["runs"][label]:
                r.update(extra(histories[label, r["seed"]]))
    if args.only:
        stored = sweeps.load(name)
        for key in ("configs", "runs"):
            results[key] = {label: (results if label in todo else stored)[key][label] for label in configs}
    print("wrote", sweeps.save(results, args.out))
    for label in configs:
        solved, n, steps = sweeps.success(results, label)
        print(f"{label}: solved {solved}/{n}; steps {steps}")
