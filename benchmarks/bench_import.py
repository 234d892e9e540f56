"""How long `import lstmkit` takes in a fresh interpreter, and that it leaves torch unloaded.

Each run is a new subprocess (nothing cached in memory from the run before, but the files are in
the OS page cache after the first: the table reports warm imports, the case a reader meets when
a notebook restarts its kernel). The time is measured inside the subprocess around the import
statement alone, so interpreter start-up is not counted; the median of the runs is reported.

Usage: python benchmarks/bench_import.py [--runs R] [--module lstmkit]
"""
import argparse
import statistics
import subprocess
import sys

CODE = ("import sys, time; t = time.perf_counter(); import {module}; "
        "print(time.perf_counter() - t, 'torch' in sys.modules, 'matplotlib' in sys.modules)")


def measure(module="lstmkit", runs=7):
    """Median seconds of `import module` over fresh subprocesses, and the heavy modules it loaded."""
    times, loaded = [], set()
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", CODE.format(module=module)],
                             capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]))
        loaded |= {name for name, flag in zip(("torch", "matplotlib"), out[1:], strict=False) if flag == "True"}
    return statistics.median(times), min(times), max(times), sorted(loaded)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--module", default="lstmkit")
    args = parser.parse_args(argv)
    median, lo, hi, loaded = measure(args.module, args.runs)
    print("| import | runs | median s | min s | max s | heavy modules loaded |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| `import {args.module}` | {args.runs} | {median:.3f} | {lo:.3f} | {hi:.3f} | "
          f"{', '.join(loaded) or 'none (no torch, no matplotlib)'} |")


if __name__ == "__main__":
    main()
