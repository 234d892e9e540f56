"""Execute every chapter and solution notebook on a fresh kernel; report wall time and peak memory.

Each notebook runs top to bottom in memory with nbclient (nothing is written back), on a new
kernel started in the notebook's folder, as a reader's "Restart kernel and run all cells" would.
The wall time covers kernel start-up and every cell. The peak memory is the kernel process's
maximum resident set size, read with resource.getrusage in one extra cell appended at the end
(plus the same for any processes the kernel started and waited for).

Targets (issue 8): every notebook <= 120 s, the whole course <= 6 min, peak kernel memory <= 700 MB.

Usage: python benchmarks/bench_notebooks.py [--quick] [--timeout S] [notebook ...]
"""
import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
PROBE = """\
import resource as _r, sys as _s
_k = 1 if _s.platform == "darwin" else 1024   # ru_maxrss is in bytes on macOS, in KiB on Linux
print(_r.getrusage(_r.RUSAGE_SELF).ru_maxrss * _k, _r.getrusage(_r.RUSAGE_CHILDREN).ru_maxrss * _k)
"""
LIMIT_S, COURSE_S, LIMIT_MB = 120, 360, 700


def run(path, timeout):
    """(seconds, peak kernel MB, peak child MB, error or '') for one notebook."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    try:
        client.execute()
        error = ""
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1][:80]
    seconds = time.perf_counter() - t0
    try:
        out = nb.cells[-1].outputs[0]["text"].split()
        rss, child = int(out[0]) / 2**20, int(out[1]) / 2**20
    except (IndexError, KeyError, ValueError):
        rss = child = float("nan")
    return seconds, rss, child, error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: chapters/*.ipynb and solutions/*.ipynb")
    parser.add_argument("--quick", action="store_true", help="the chapters only, not the solutions")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb")) + (
        [] if args.quick else sorted((ROOT / "solutions").glob("*.ipynb")))
    if not paths:
        print("no notebooks found")
        return 0

    print(f"| notebook | wall s | peak kernel MB | within {LIMIT_S} s and {LIMIT_MB} MB |")
    print("|---|---:|---:|---|")
    total, worst, failed = 0.0, 0.0, []
    for path in paths:
        seconds, rss, child, error = run(path.resolve(), args.timeout)
        total += seconds
        worst = max(worst, rss)
        ok = seconds <= LIMIT_S and rss <= LIMIT_MB and not error
        note = f"error: {error}" if error else ("yes" if ok else "NO")
        if child > 100:   # e.g. a subprocess a cell ran; the interpreter start-up alone is ~50 MB
            note += f" (child processes peaked at {child:.0f} MB)"
        name = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        print(f"| {name} | {seconds:.1f} | {rss:.0f} | {note} |", flush=True)
        if error:
            failed.append(str(name))
    print(f"| **all {len(paths)}** | **{total:.1f}** | **{worst:.0f}** (max) | "
          f"{'yes' if total <= COURSE_S else 'NO'} (course target {COURSE_S} s) |")
    if failed:
        print(f"\n{len(failed)} notebook(s) raised an error: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
