"""A fresh clone to chapter 03's first figure, with pip and with uv, in one run on one machine.

For each path (`make setup INSTALLER=pip`, then `make setup` with uv): the clock starts, this
checkout's HEAD is cloned into a temporary folder (a fresh clone: no .venv, nothing built), `make
setup` runs there, then chapter 03 runs on a fresh kernel of the clone's own environment (nbclient,
in memory, as bench_notebooks.py does). Reported per path: the clone, `make setup`, the time from
the clone's start to the first figure (the first cell whose output holds a PNG), the whole chapter,
the size of .venv and the machine's load average before and after.

Caches: by default pip's and uv's caches as they are (warm once each path has run on the machine;
run the script twice and take the second run for warm figures). --cold points both at empty
temporary caches, so every package not on this machine's own wheelhouse or mirror (pip's
find-links and extra indexes, which both paths use) is downloaded; the bytes the network interfaces
received meanwhile are reported too (the whole machine's, so other traffic counts).

Usage: python benchmarks/bench_setup.py [--paths pip uv] [--cold] [--keep]
Any Python 3 runs it; `make` and `git` must be on PATH and the clone's `make setup` needs Python 3.11
(PYTHON=... is passed on).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "chapters/03_lstm_cell.ipynb"
# run by the clone's Python: the chapter on a fresh kernel, printing when each figure-bearing cell finished
FIRST_FIGURE = """
import json, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
path = Path(sys.argv[1])
nb = nbformat.read(path, as_version=4)
figures = []
def executed(cell, **_):
    if any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
        figures.append(time.time())
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
               on_cell_executed=executed).execute()
print(json.dumps({"first_figure": figures[0] if figures else None, "figures": len(figures), "done": time.time()}))
"""


def network_bytes():
    """Bytes received so far by every interface but loopback (Linux; None elsewhere)."""
    try:
        lines = Path("/proc/net/dev").read_text().splitlines()[2:]
    except OSError:
        return None
    return sum(int(line.split(":", 1)[1].split()[0]) for line in lines if line.split(":", 1)[0].strip() != "lo")


def du_mb(path):
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True).stdout.split()
    return int(out[0]) / 1024 if out else float("nan")


def run_path(installer, workdir, env, cold):
    """Clone, set up with `installer`, run chapter 03; the measured seconds and sizes."""
    clone = workdir / f"clone-{installer}"
    env = dict(env, INSTALLER=installer)
    if cold:
        env.update(UV_CACHE_DIR=str(workdir / f"uv-cache-{installer}"),
                   PIP_CACHE_DIR=str(workdir / f"pip-cache-{installer}"))
    load0, rx0 = os.getloadavg()[0], network_bytes()
    t0 = time.time()
    subprocess.run(["git", "clone", "--quiet", "--no-local", str(ROOT), str(clone)], check=True, env=env)
    t_clone = time.time()
    setup = subprocess.run(["make", "--no-print-directory", "setup"], cwd=clone, env=env, capture_output=True,
                           text=True)
    t_setup = time.time()
    said = [line for line in (setup.stdout + setup.stderr).splitlines() if "installing with" in line]
    if setup.returncode != 0:
        sys.exit(f"make setup ({installer}) failed:\n{setup.stdout[-2000:]}\n{setup.stderr[-3000:]}")
    chapter = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", FIRST_FIGURE, str(clone / CHAPTER)],
                             cwd=clone, env=env, capture_output=True, text=True)
    if chapter.returncode != 0:
        sys.exit(f"chapter 03 ({installer}) failed:\n{chapter.stderr[-3000:]}")
    times = json.loads(chapter.stdout.strip().splitlines()[-1])
    rx1 = network_bytes()
    return {
        "installer": installer, "said": said[0] if said else "",
        "clone": t_clone - t0, "setup": t_setup - t_clone,
        "first_figure": (times["first_figure"] - t0) if times["first_figure"] else float("nan"),
        "chapter": times["done"] - t_setup, "figures": times["figures"],
        "venv_mb": du_mb(clone / ".venv"),
        "cache_mb": du_mb(workdir / f"uv-cache-{installer}") if cold and installer == "uv" else None,
        "download_mb": (rx1 - rx0) / 2**20 if cold and rx0 is not None else None,
        "load": (load0, os.getloadavg()[0]),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", nargs="+", choices=["pip", "uv"], default=["pip", "uv"])
    parser.add_argument("--cold", action="store_true", help="empty pip and uv caches (downloads everything)")
    parser.add_argument("--keep", action="store_true", help="keep the clones (printed) instead of deleting them")
    args = parser.parse_args(argv)
    if subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                      text=True).stdout.strip():
        print("note: the checkout has uncommitted changes; the clones hold HEAD only")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "INSTALLER")}
    workdir = Path(tempfile.mkdtemp(prefix="bench-setup-"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}, {os.cpu_count()} cores, "
          f"{'cold (empty caches)' if args.cold else 'caches as they are'}")
    results = []
    try:
        for installer in args.paths:
            results.append(run_path(installer, workdir, env, args.cold))
            print(f"  {installer}: {results[-1]['said']}", flush=True)
        report(results)
    finally:
        if args.keep:
            print(f"clones kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def report(results):
    print("\n| path | clone s | `make setup` s | clone → first figure s | chapter 03 s | .venv MB | load average |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(f"| {r['installer']} | {r['clone']:.1f} | {r['setup']:.1f} | {r['first_figure']:.1f} | "
              f"{r['chapter']:.1f} | {r['venv_mb']:.0f} | {r['load'][0]:.1f} → {r['load'][1]:.1f} |")
    for r in results:
        if r["download_mb"] is not None:
            print(f"{r['installer']}: the network interfaces received {r['download_mb']:.0f} MB"
                  + (f"; uv's cache holds {r['cache_mb']:.0f} MB afterwards" if r["cache_mb"] else ""))
    by = {r["installer"]: r for r in results}
    if len(by) == 2:
        pip, uv = by["pip"], by["uv"]
        print(f"\nuv/pip: `make setup` {uv['setup'] / pip['setup']:.2f}, "
              f"clone → first figure {uv['first_figure'] / pip['first_figure']:.2f}")
    for r in results:
        if r["setup"] > 30 or r["first_figure"] > 60:
            print(f"{r['installer']}: over the targets of issue 30 (setup 30 s, first figure 60 s)")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
