"""Time the linear recurrence h_t = a_t h_{t-1} + b_t computed as a loop, a Hillis-Steele scan and in log space.

For each T the three forms of ``lstmkit.scan`` run on the same a, b (T, N, H) and h0, in turns: the
order rotates from one repeat to the next, so a slow moment of a shared machine falls on each form
alike, and the table keeps the median of the repeats. One thread, timed by the process's CPU time
(on a shared machine it leaves out the moments spent waiting for a core). Two sizes of one step:
N = H = 32, a batch of chapter 07's training runs, where numpy vectorises each step of the loop over
1,024 numbers; and N = H = 1, one unit of one sequence, where each step is one number and the loop is
Python's overhead alone. The results go to lstmkit/data/timings/scan_timing.json, which chapter 07
loads and prints; they are this machine's, and the ratios between the forms, measured in one run,
are what carries over to another.

Usage: python benchmarks/bench_scan.py [--repeats R] [--out PATH]       (about a minute)
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import lstmkit  # noqa: E402
from lstmkit import scan  # noqa: E402

OUT = Path(lstmkit.__file__).resolve().parent / "data" / "timings" / "scan_timing.json"
TS = [10, 30, 100, 300, 1000, 3000, 10_000]
SHAPES = [(32, 32), (1, 1)]         # (N, H): one batch of the chapter's training runs; a single unit
FORMS = ["loop", "hillis_steele", "log_space"]


def time_once(fn, a, b, h0):
    start = time.process_time()
    fn(a, b, h0)
    return time.process_time() - start


def measure(T, N, H, repeats, rng):
    """{form: median CPU seconds} for one T and one (N, H), the forms taking turns in a rotating order."""
    a = rng.uniform(0.5, 1.0, size=(T, N, H))
    b = rng.standard_normal((T, N, H))
    h0 = rng.standard_normal((N, H))
    times = {form: [] for form in FORMS}
    for form in FORMS:                                    # one warm-up call each
        time_once(getattr(scan, form), a, b, h0)
    for r in range(repeats):
        for form in FORMS[r % 3:] + FORMS[:r % 3]:
            times[form].append(time_once(getattr(scan, form), a, b, h0))
    return {form: statistics.median(v) for form, v in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    shapes = []
    for N, H in SHAPES:
        seconds = {form: [] for form in FORMS}
        for T in TS:
            result = measure(T, N, H, args.repeats, rng)
            for form in FORMS:
                seconds[form].append(result[form])
            print(f"N = H = {N:>2d}, T = {T:>6d}: " + ", ".join(f"{f} {result[f] * 1e3:8.2f} ms" for f in FORMS),
                  flush=True)
        shapes.append({"N": N, "H": H, "seconds": seconds})
    record = {
        "description": __doc__.splitlines()[0],
        "created": datetime.date.today().isoformat(),
        "machine": {"processor": platform.machine(), "cpus": os.cpu_count(), "threads": 1},
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "lstmkit": lstmkit.__version__},
        "clock": "process CPU time, median of the repeats",
        "repeats": args.repeats,
        "T": TS,
        "rounds": {"loop": TS, "hillis_steele": [scan.rounds(T) for T in TS]},
        "shapes": shapes,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
