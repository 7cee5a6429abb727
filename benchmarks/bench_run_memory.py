"""Benchmark: peak memory of ``farfromhome run`` on a large SSDA903 return, against the code it replaced.

Data: a SYNTHETIC return for all of England (``provision.synth.generate(year=2024)``, ~170,000 episodes), copied
with the child ids relabelled per copy (so no SYN marker: it is read as a user's own return) until it holds
``--episodes`` rows (default 2,000,000), written as CSVs once into ``--cache``.

Each measurement runs in a fresh subprocess that reports wall time and peak resident memory (psutil, sampled every
50 ms, and the kernel's high-water mark ``ru_maxrss``), for two code trees:

* ``new``: this checkout;
* ``old``: the same files at ``--baseline`` (default: where this branch left ``main``), exported with
  ``git archive`` into a cache folder and put first on ``PYTHONPATH``.

``--stage child`` measures only the child-level input: ``provision.returns.read_return`` (read, validate, locate)
and ``provision.placement_frame.placement_frame`` (the per-placement frame of the models); ``--stage models`` adds
the between-child models on that frame (``distance.child_models.child_effect``, where the run peaks); ``--stage
run`` (the default) the whole main job, ``maps.pipeline.run_job`` with ``--network`` (default ``none``: the road
step is measured by ``bench_engine.py``), supply, national and trends sections included.

Each peak is printed against the target of issue #24 (``--target-gib``, default 4: ``run`` on 2,000,000 episodes
under 4 GB).

Examples::

    python benchmarks/bench_run_memory.py                        # 2,000,000 episodes, the whole run, old and new
    python benchmarks/bench_run_memory.py --stage child --episodes 500000 --no-baseline
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=2_000_000)
    parser.add_argument("--stage", choices=["run", "child", "models"], default="run")
    parser.add_argument("--target-gib", type=float, default=4.0, help="peak memory aimed at (GiB; default 4)")
    parser.add_argument("--network", default="none", help="road network of the run (default none)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "farfromhome-bench-run-memory")
    parser.add_argument("--baseline", default=None, help="git revision of the old code (default: where this "
                        "branch left main, git merge-base HEAD main)")
    parser.add_argument("--no-baseline", action="store_true", help="measure this checkout only")
    parser.add_argument("--only-baseline", action="store_true", help="measure the old code only")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per measurement")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(args)
        return
    data = _input(args.episodes, args.cache)
    print(f"input: {args.episodes:,} SYNTHETIC episodes (relabelled copies of England 2024) in {data}")
    print(f"stage: {args.stage}; network: {args.network}; machine: {os.cpu_count()} cores "
          "(figures from a shared machine are only comparable within one run)")
    trees = {} if args.only_baseline else {"new": REPO}
    if not args.no_baseline:
        trees["old"] = _export(args.baseline, args.cache)
    results = {}
    for label, tree in trees.items():
        res = _subprocess(tree, args, data)
        results[label] = res
        if res.get("error"):
            print(f"{label:>4}: did not finish: {res['error']}")
        else:
            verdict = "under" if res["peak_gib"] < args.target_gib else "OVER"
            print(f"{label:>4}: {res['seconds']:7.1f} s, peak {res['peak_gib']:5.2f} GiB "
                  f"(ru_maxrss {res['maxrss_gib']:.2f} GiB), {verdict} the {args.target_gib:g} GiB target; stages: "
                  + ", ".join(f"{k} {v['seconds']:.0f} s / {v['peak_gib']:.2f} GiB" for k, v in res["stages"].items()))
    if {"old", "new"} <= set(results) and not results["old"].get("error") and not results["new"].get("error"):
        print(f"peak memory new/old: {results['new']['peak_gib'] / results['old']['peak_gib']:.2f}")


def _input(n: int, cache: Path) -> Path:
    """Write (once) the return of ``n`` episodes: relabelled copies of the synthetic England return."""
    import pandas as pd

    from provision import synth

    folder = cache / f"episodes_{n}"
    if (folder / "missing.csv").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    data = synth.generate(year=2024, seed=7)
    copies = -(-n // len(data.episodes))
    for name in ("episodes", "header", "missing"):
        base = getattr(data, name)
        parts = [base.assign(CHILD=base["CHILD"].str.replace("SYN", f"{c + 1:02d}", regex=False))
                 for c in range(copies)]
        frame = pd.concat(parts, ignore_index=True)
        frame = frame.iloc[:n] if name == "episodes" else frame
        tmp = folder / f".{name}.csv"
        frame.to_csv(tmp, index=False, date_format="%d/%m/%Y")
        tmp.rename(folder / f"{name}.csv")
    return folder


def _export(revision: str | None, cache: Path) -> Path:
    """Export the code at ``revision`` (default: the merge base with main) into the cache once (``git archive``)."""
    if revision is None:
        revision = subprocess.run(["git", "-C", str(REPO), "merge-base", "HEAD", "main"], capture_output=True,
                                  text=True, check=True).stdout.strip()
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", revision], capture_output=True, text=True,
                         check=True).stdout.strip()
    tree = cache / f"code_{sha[:12]}"
    if not (tree / "provision").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", sha], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    print(f" old: {revision} = {sha[:12]}, exported to {tree}")
    return tree


def _subprocess(tree: Path, args: argparse.Namespace, data: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--measure", "--data", str(data), "--stage", args.stage,
           "--network", args.network]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout, cwd=tree)
    except subprocess.TimeoutExpired:
        return {"error": f"over {args.timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:] }"}
    return json.loads(lines[-1])


def _measure(args: argparse.Namespace) -> None:
    """In the subprocess: run the stage on ``args.data`` and print one JSON line of timings and peaks."""
    import psutil

    proc = psutil.Process()
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    stages: dict[str, dict[str, float]] = {}

    def stage(label: str, fn: Any, *a: Any, **k: Any) -> Any:
        peak[0] = proc.memory_info().rss
        t = time.perf_counter()
        out = fn(*a, **k)
        stages[label] = {"seconds": time.perf_counter() - t, "peak_gib": peak[0] / 2**30}
        return out

    from provision.returns import read_return

    t0 = time.perf_counter()
    data = args.data
    children = stage("read_return", read_return, data / "episodes.csv", header=data / "header.csv",
                     missing=data / "missing.csv")
    if args.stage in ("child", "models"):
        from provision.placement_frame import placement_frame

        located = children.located
        frame, _ = stage("placement_frame", placement_frame, located, header=children.header,
                         missing=children.missing, source="your data")
        if args.stage == "models":
            from distance.child_models import child_effect

            stage("child_effect", child_effect, frame, synthetic=False)
    else:
        from maps.pipeline import JobOptions, run_job

        with tempfile.TemporaryDirectory() as out:
            stage("run_job", run_job, children, out=Path(out) / "report",
                  options=JobOptions(network=args.network, year=2024, label="bench"))
    done.set()
    overall = max(v["peak_gib"] for v in stages.values())
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_gib": overall,
                      "maxrss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "stages": stages}))


if __name__ == "__main__":
    main()
