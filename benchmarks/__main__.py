"""Time the loss gradient of the same networks in adjnets, PyTorch and JAX:
``python -m benchmarks``.

Usage (``make benchmark`` runs the first form and writes ``benchmarks/results.json``, and a copy
of it into the performance appendix: ``benchmarks/page.py``)::

    python -m benchmarks [--quick] [--threads N] [--only KEY ...] [--out PATH]

Method. Every library runs with the same fixed number of threads N (default 1), set before any
of them is imported: ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` for
the BLAS of NumPy and PyTorch, ``torch.set_num_threads(N)``, and ``XLA_FLAGS`` for JAX. For each
workload the three gradients are first checked to agree (relative difference below 1e-8), then
each library is warmed up (JAX compiles), then the libraries are timed in turn, in a rotating
order, within each of R repetitions, so that a change of machine load hits all three alike. One
sample is the mean time of as many calls as fill about ``SAMPLE_SECONDS``; the report gives the
median over the repetitions. The GEMM rate is that of ``numpy.matmul`` on 2048 x 2048 float64
matrices with the same threads.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOLERANCE = 1e-8
LIBRARIES = ("adjnets", "torch", "jax")
TARGETS = [
    # (key, what, case, how, limit): how = "ratio" (adjnets / faster peer), "self" (tangent /
    # adjnets's plain MLP gradient), "gemm" (adjnets's GFLOP/s / the GEMM rate, at least)
    (
        "mlp",
        "MLP 64-512-512-10: adjnets / faster of PyTorch and JAX",
        "mlp",
        "ratio",
        1.2,
    ),
    (
        "mlp_wide",
        "wide MLP 1024-1024-1024: adjnets / faster of PyTorch and JAX",
        "mlp_wide",
        "ratio",
        1.2,
    ),
    ("cnn", "CNN: adjnets / faster of PyTorch and JAX", "cnn", "ratio", 2.0),
    (
        "rnn_bptt",
        "RNN by BPTT: adjnets / faster of PyTorch and JAX",
        "rnn_bptt",
        "ratio",
        1.5,
    ),
    (
        "tangent",
        "tangent loss: adjnets / faster of PyTorch and JAX",
        "tangent",
        "ratio",
        1.5,
    ),
    (
        "tangent_self",
        "tangent loss / plain gradient of the same MLP, both adjnets",
        "tangent",
        "self",
        3.0,
    ),
    (
        "mlp_wide_gemm",
        "wide MLP: adjnets GFLOP/s / measured GEMM rate",
        "mlp_wide",
        "gemm",
        0.6,
    ),
]


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="few repetitions, short samples (for development)",
    )
    p.add_argument(
        "--threads", type=int, default=1, help="threads of every library (default 1)"
    )
    p.add_argument(
        "--only", nargs="*", default=None, help="workload keys to run (default: all)"
    )
    p.add_argument(
        "--out", type=Path, default=HERE / "results.json", help="results file"
    )
    return p.parse_args()


def set_threads(n: int) -> dict[str, str]:
    """Fix the thread count of every library; must run before NumPy, PyTorch or JAX is imported."""
    settings = {
        "OMP_NUM_THREADS": str(n),
        "OPENBLAS_NUM_THREADS": str(n),
        "MKL_NUM_THREADS": str(n),
        "JAX_PLATFORMS": "cpu",
        "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen={'true' if n > 1 else 'false'}"
        f" intra_op_parallelism_threads={n}",
    }
    if any(m in sys.modules for m in ("numpy", "torch", "jax")):
        raise RuntimeError(
            "set_threads must run before numpy, torch or jax is imported"
        )
    os.environ.update(settings)
    return settings


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def timed(fn, n: int) -> float:
    """Mean seconds of ``n`` calls, with the garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - t0) / n
    finally:
        gc.enable()


def calls_per_sample(fn, seconds: float) -> int:
    t = timed(fn, 1)
    return max(1, min(1000, round(seconds / max(t, 1e-7))))


def summary(samples: list[float]) -> dict:
    q = statistics.quantiles(samples, n=4) if len(samples) >= 2 else [samples[0]] * 3
    return {
        "median": statistics.median(samples),
        "q1": q[0],
        "q3": q[2],
        "samples": samples,
    }


def gemm_rate(np, n: int, reps: int) -> dict:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    a @ b
    samples = [timed(lambda: a @ b, 1) for _ in range(reps)]
    rates = [2.0 * n**3 / t / 1e9 for t in samples]
    return {"n": n, "gflops": statistics.median(rates), "gflops_samples": rates}


def run_case(case, reps: int, sample_seconds: float, log) -> dict:
    from benchmarks.workloads import relative_error

    # also warms up
    results = {lib: case.to_numpy[lib](case.run[lib]()) for lib in LIBRARIES}
    ref_value, ref_grad = results["jax"]
    agreement = {}
    for lib in ("adjnets", "torch"):
        value, grad = results[lib]
        err = relative_error(grad, ref_grad)
        value_err = abs(value - ref_value) / max(abs(ref_value), 1e-300)
        agreement[lib] = {"gradient": err, "value": value_err}
        if not (err <= TOLERANCE and value_err <= TOLERANCE):
            raise AssertionError(
                f"{case.key}: {lib} and JAX disagree (gradient {err:.2e}, value {value_err:.2e})"
            )
    for lib in LIBRARIES:  # a second warm-up call
        case.run[lib]()
    number = {lib: calls_per_sample(case.run[lib], sample_seconds) for lib in LIBRARIES}
    samples: dict[str, list[float]] = {lib: [] for lib in LIBRARIES}
    for r in range(reps):
        order = LIBRARIES[r % 3 :] + LIBRARIES[: r % 3]
        for lib in order:
            samples[lib].append(timed(case.run[lib], number[lib]))
    times = {lib: summary(samples[lib]) for lib in LIBRARIES}
    med = {lib: times[lib]["median"] for lib in LIBRARIES}
    peer = min(("torch", "jax"), key=lambda lib: med[lib])
    out = {
        "key": case.key,
        "label": case.label,
        "group": case.group,
        "note": case.note,
        "params": case.params,
        "flops": case.flops,
        "calls_per_sample": number,
        "times": times,
        "gflops": {lib: case.flops / med[lib] / 1e9 for lib in LIBRARIES},
        "faster_peer": peer,
        "ratio": med["adjnets"] / med[peer],
        "agreement": agreement,
    }
    log(
        f"{case.key:14s} adjnets {med['adjnets'] * 1e3:9.3f} ms  "
        f"torch {med['torch'] * 1e3:9.3f} ms  "
        f"jax {med['jax'] * 1e3:9.3f} ms  ratio {out['ratio']:.2f}  "
        f"(agree {agreement['adjnets']['gradient']:.1e}, {agreement['torch']['gradient']:.1e})"
    )
    return out


def evaluate_targets(cases: dict, gemm: dict) -> list[dict]:
    rows = []
    for key, what, case_key, how, limit in TARGETS:
        if case_key not in cases or (how == "self" and "mlp" not in cases):
            continue
        c = cases[case_key]
        if how == "ratio":
            value, met = c["ratio"], c["ratio"] <= limit
        elif how == "self":
            value = (
                c["times"]["adjnets"]["median"]
                / cases["mlp"]["times"]["adjnets"]["median"]
            )
            met = value <= limit
        else:
            value = c["gflops"]["adjnets"] / gemm["gflops"]
            met = value >= limit
        rows.append(
            {
                "key": key,
                "what": what,
                "how": how,
                "value": value,
                "limit": limit,
                "met": bool(met),
            }
        )
    return rows


def main() -> None:
    args = parse()
    settings = set_threads(args.threads)
    sys.path.insert(0, str(HERE.parent))
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    from threadpoolctl import threadpool_info

    from benchmarks import page, workloads

    reps, sample_seconds = (5, 0.02) if args.quick else (15, 0.05)
    started = time.perf_counter()

    def log(msg):
        return print(msg, flush=True)

    load_before = loadavg()
    log(f"threads {args.threads}, {reps} repetitions, load average {load_before}")
    gemm = gemm_rate(np, 2048, 3 if args.quick else 7)
    log(f"GEMM (numpy, 2048^2, float64): {gemm['gflops']:.1f} GFLOP/s")
    cases = {}
    for make in workloads.all_cases(args.quick):
        case = make()
        if args.only and case.key not in args.only:
            continue
        cases[case.key] = run_case(case, reps, sample_seconds, log)
    gemm_after = gemm_rate(np, 2048, 3)
    targets = evaluate_targets(cases, gemm)
    for t in targets:
        log(
            f"target {t['key']:14s} {t['value']:.2f} (limit {t['limit']}): "
            f"{'met' if t['met'] else 'MISSED'}"
        )
    blas = [
        {
            k: info.get(k)
            for k in (
                "internal_api",
                "version",
                "architecture",
                "num_threads",
                "filepath",
            )
        }
        for info in threadpool_info()
    ]
    results = {
        "schema": 1,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": "python -m benchmarks"
        + (" --quick" if args.quick else "")
        + f" --threads {args.threads}",
        "quick": args.quick,
        "threads": args.threads,
        "thread_settings": {
            **settings,
            "torch.get_num_threads()": torch.get_num_threads(),
        },
        "repetitions": reps,
        "sample_seconds": sample_seconds,
        "tolerance": TOLERANCE,
        "machine": {
            **machine(),
            "loadavg_before": load_before,
            "loadavg_after": loadavg(),
        },
        "versions": {**workloads.versions(), "python": platform.python_version()},
        "blas": [{k: v for k, v in b.items() if k != "filepath"} for b in blas],
        "gemm": {**gemm, "gflops_after": gemm_after["gflops"]},
        "cases": list(cases.values()),
        "targets": targets,
        "seconds": time.perf_counter() - started,
    }
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    log(
        f"wrote {args.out} in {results['seconds']:.0f} s; "
        f"load average now {results['machine']['loadavg_after']}"
    )
    if args.out.resolve() == page.RESULTS:
        # the performance appendix carries a copy, so that its notebook runs on its own
        for path in page.write(json.loads(args.out.read_text())):
            log(f"wrote the results into {path}")


if __name__ == "__main__":
    main()
