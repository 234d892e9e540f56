"""lstmkit's layers against torch.nn.LSTM / nn.RNN, and each layer's fused path against its loop (CPU).

Two tables. The first (``--part torch``): three timings per configuration, all in this one process on
the same inputs and weights:

- lstmkit: ``forward`` then ``backward`` (hs and every gradient, including dx);
- torch: the module with the same weights (``lstmkit.interop``), ``out.backward(dhs)`` with x
  requiring a gradient;
- skeleton: the matrix multiplies lstmkit does (the input projection, one (N, H) x (H, gH) and one
  (N, gH) x (gH, H) product per step, then dx, dW_ih and dW_hh over all T*N rows) and nothing
  else: the limit that BLAS sets on this machine for this algorithm.

The second (``--part fused``): for every recurrent layer (rnn, lstm, gru, the LSTM variants), forward
and backward timed apart, ``fused=False`` (the step loop) against ``fused=True``, on the shapes above
and the two the course trains at, and their ratio loop / fused: the speed the fused path buys, which
decides whether it is kept (a median of at least 1.10, benchmarks/README.md). Where a layer has no
fused path the ratio is that of two runs of the same loop (about 1).

Runs alternate in blocks (every contender runs ``reps`` calls in a row, then the next one, the order
rotating from block to block) after a warm-up, and the table shows the median of all calls. Blocks,
not single alternating calls: after a multithreaded matmul OpenBLAS's idle threads keep spinning on a
core for a moment and would slow whatever runs next. Threads are set with threadpoolctl for numpy's
BLAS and torch.set_num_threads for torch.

Usage: python benchmarks/bench_layers.py [--quick] [--part torch|fused|all] [--threads 1,2] [--blocks B] [--reps R]
"""
import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from lstmkit import gru, interop, lstm, rnn, variants  # noqa: E402

SHAPES = [(100, 32, 32, 128), (200, 64, 1, 128), (100, 32, 65, 256)]   # (T, N, D, H)
# and the shapes the course trains at, for the fused table: chapter 05's adding problem (TrainConfig's
# T, batch_size, 2 inputs, hidden_size) and chapter 06's character model (CharLMConfig's seq_len,
# batch_size, its 95-character vocabulary, hidden_size)
COURSE_SHAPES = [(50, 32, 2, 32), (32, 32, 95, 128)]
DTYPES = [np.float64, np.float32]
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def contenders(kind, T, N, D, H, dtype, rng):
    """The three callables (lstmkit, torch, skeleton) for one configuration, on shared inputs."""
    mod, gates = (lstm, 4) if kind == "lstm" else (rnn, 1)
    params = mod.init_params(D, H, rng=rng, dtype=dtype)
    x = rng.standard_normal((T, N, D)).astype(dtype)
    dhs = rng.standard_normal((T, N, H)).astype(dtype)

    if kind == "lstm":
        def ours():
            _, _, cache = lstm.forward(x, None, params, fused=True)
            return lstm.backward(dhs, cache)
        module = interop.lstm_to_torch(params)
    else:
        def ours():
            _, _, cache = rnn.forward(x, None, params, fused=True)
            return rnn.backward(dhs, cache)
        module = interop.rnn_to_torch(params)

    xt = torch.tensor(x, requires_grad=True)
    dhs_t = torch.tensor(dhs)

    def theirs():
        module.zero_grad(set_to_none=True)
        xt.grad = None
        out, _ = module(xt)
        out.backward(dhs_t)

    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    W_hh_T = np.ascontiguousarray(W_hh.T)
    hs = np.zeros((T + 1, N, H), dtype=dtype)
    out_f, out_b = np.empty((N, gates * H), dtype=dtype), np.empty((N, H), dtype=dtype)

    def skeleton():
        a = (x.reshape(T * N, D) @ W_ih.T).reshape(T, N, gates * H)
        for t in range(T):
            np.matmul(hs[t], W_hh_T, out=out_f)
        for t in reversed(range(T)):
            np.matmul(a[t], W_hh, out=out_b)
        a2 = a.reshape(T * N, gates * H)
        return a2 @ W_ih, a2.T @ x.reshape(T * N, D), hs[:-1].reshape(T * N, H).T @ a2

    return {"lstmkit": ours, "torch": theirs, "skeleton": skeleton}


# layer -> (module, options of init_params and forward): every layer has one contract,
# forward(x, state0, params, *, fused=False, <options>) and backward(dhs, cache, dstate=None)
SWITCHED = {
    "rnn": (rnn, {}),
    "lstm": (lstm, {}),
    "gru": (gru, {}),
    **{f"variants.{name}": (variants, {"variant": name}) for name in ("vanilla", "peephole")},
}


def switched_contenders(kind, T, N, D, H, dtype, rng):
    """{(part, path): callable} for one layer: forward and backward, each by the loop and fused."""
    module, options = SWITCHED[kind]
    params = module.init_params(D, H, rng=rng, dtype=dtype, **options)
    x = rng.standard_normal((T, N, D)).astype(dtype)
    dhs = rng.standard_normal((T, N, H)).astype(dtype)
    caches = {fused: module.forward(x, None, params, fused=fused, **options)[2]
              for fused in (False, True)}   # backward leaves its cache alone, so one serves every call
    fns = {}
    for fused, path in ((False, "loop"), (True, "fused")):
        fns[("forward", path)] = lambda fused=fused: module.forward(x, None, params, fused=fused, **options)
        fns[("backward", path)] = lambda fused=fused: module.backward(dhs, caches[fused])   # follows the cache
    return fns


def measure(fns, threads, blocks, reps, warmup=2):
    """Median wall and CPU time (s) of each callable, in alternating blocks of reps calls.

    Returns {name: (wall, cpu)}. CPU time is the process's (all its threads): with one thread it
    leaves out the time the process waited for a core, so it is the fairer clock on a shared
    machine; with two threads only the wall clock says how fast the answer arrives.
    """
    torch.set_num_threads(threads)
    wall = {name: [] for name in fns}
    cpu = {name: [] for name in fns}
    names = list(fns)
    with threadpool_limits(limits=threads, user_api="blas"):
        for name in names:
            for _ in range(warmup):
                fns[name]()
        for b in range(blocks):
            order = names[b % len(names):] + names[:b % len(names)]
            for name in order:
                for _ in range(reps):
                    t0, c0 = time.perf_counter(), time.process_time()
                    fns[name]()
                    cpu[name].append(time.process_time() - c0)
                    wall[name].append(time.perf_counter() - t0)
    return {name: (float(np.median(wall[name])), float(np.median(cpu[name]))) for name in names}


def machine():
    """A few lines that say what ran: CPU, BLAS kernel, threads, versions, load."""
    cpu = platform.processor() or "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = [f"{i.get('internal_api')} {i.get('version')} kernel={i.get('architecture')} "
            f"threads={i.get('num_threads')} ({Path(i.get('filepath', '')).name})"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    env = {k: os.environ.get(k, "unset") for k in
           ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return [
        f"CPU: {cpu}, {os.cpu_count()} logical cores; load average {os.getloadavg()[0]:.2f} at start",
        f"Python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__} "
        f"(oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'})",
        "numpy BLAS: " + "; ".join(blas),
        "env: " + ", ".join(f"{k}={v}" for k, v in env.items()),
    ]


def torch_table(shapes, threads, blocks, reps):
    """lstmkit (fused) against torch and the GEMM-only skeleton, LSTM and RNN."""
    print("'skeleton' = the same matmuls without the elementwise work.\n")
    print("| layer | T, N, D, H | dtype | threads | lstmkit ms | torch ms | skeleton ms "
          "| lstmkit/torch | skeleton/lstmkit |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|")
    for kind in ("lstm", "rnn"):
        for shape in shapes:
            for dtype in DTYPES:
                fns = contenders(kind, *shape, dtype, np.random.default_rng(0))
                for n in threads:
                    t = measure(fns, n, blocks, reps)
                    clock = 1 if n == 1 else 0
                    ours, theirs, skel = (t[k][clock] for k in ("lstmkit", "torch", "skeleton"))
                    ms = {k: f"{t[k][0] * 1e3:.1f} / {t[k][1] * 1e3:.1f}" for k in t}
                    print(f"| {kind.upper()} | {', '.join(map(str, shape))} | {np.dtype(dtype).name} | {n} "
                          f"| {ms['lstmkit']} | {ms['torch']} | {ms['skeleton']} "
                          f"| {ours / theirs:.2f} | {skel / ours:.0%} |", flush=True)
    print()


def fused_table(layers, shapes, threads, blocks, reps):
    """Every layer's loop against its fused path, forward and backward apart: loop / fused."""
    print("| layer | T, N, D, H | dtype | threads | forward loop ms | forward fused ms | backward loop ms "
          "| backward fused ms | forward loop/fused | backward loop/fused | both loop/fused |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in layers:
        for shape in shapes:
            for dtype in DTYPES:
                fns = switched_contenders(kind, *shape, dtype, np.random.default_rng(0))
                for n in threads:
                    t = measure(fns, n, blocks, reps)
                    clock = 1 if n == 1 else 0
                    ms = {k: f"{t[k][0] * 1e3:.1f} / {t[k][1] * 1e3:.1f}" for k in t}
                    ratio = {part: t[(part, "loop")][clock] / t[(part, "fused")][clock]
                             for part in ("forward", "backward")}
                    both = sum(t[(part, "loop")][clock] for part in ("forward", "backward")) / sum(
                        t[(part, "fused")][clock] for part in ("forward", "backward"))
                    print(f"| {kind} | {', '.join(map(str, shape))} | {np.dtype(dtype).name} | {n} "
                          f"| {ms[('forward', 'loop')]} | {ms[('forward', 'fused')]} "
                          f"| {ms[('backward', 'loop')]} | {ms[('backward', 'fused')]} "
                          f"| {ratio['forward']:.2f} | {ratio['backward']:.2f} | {both:.2f} |", flush=True)
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one thread, the first shape only, fewer runs (about 15 s)")
    parser.add_argument("--part", choices=("torch", "fused", "all"), default="all",
                        help="against torch, the fused paths against their loops, or both (default)")
    parser.add_argument("--layers", default=",".join(SWITCHED),
                        help=f"comma-separated layers of the fused table (default {','.join(SWITCHED)})")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--blocks", type=int, default=None, help="alternating blocks per contender")
    parser.add_argument("--reps", type=int, default=None, help="calls per block")
    args = parser.parse_args(argv)
    threads = [1] if args.quick else [int(t) for t in args.threads.split(",")]
    shapes = SHAPES[:1] if args.quick else SHAPES
    blocks = args.blocks or (3 if args.quick else 4)
    reps = args.reps or 2

    for line in machine():
        print(line)
    print(f"{blocks} alternating blocks of {reps} calls per contender (after a warm-up), medians. "
          "Times in ms as wall / CPU. Ratios from the CPU time with 1 thread (the time the work took,"
          " not the time spent waiting for a core), from the wall time with 2 threads.\n")
    if args.part in ("torch", "all"):
        torch_table(shapes, threads, blocks, reps)
    if args.part in ("fused", "all"):
        fused_table(args.layers.split(","), shapes + ([] if args.quick else COURSE_SHAPES), threads, blocks, reps)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
