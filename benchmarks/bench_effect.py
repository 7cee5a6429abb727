"""Benchmark: the child-level models at national scale, against the statsmodels path they replaced (figures printed).

Data: SYNTHETIC SSDA903 years from ``provision.synth.generate(year=Y)`` (all of England by default, ~170,000
episodes a year), child ids relabelled per year so they do not collide, concatenated with a ``YEAR`` column and
turned into one placement frame (the multi-year path of ``provision.placement_frame``). Each measurement runs in
a fresh subprocess that reports its wall time and its peak resident memory (sampled every 50 ms with psutil,
and the kernel's high-water mark):

* ``new``: ``distance.child_models.child_effect`` (bands, per 10 miles, log, spline, logistic, IPW; LA and year
  absorbed: ``distance.glm.fit_glm``), then ``distance.within_child.within_child_effect`` and
  ``distance.move_study.move_event_study``;
* ``old``: the same six between-child models the way they were fitted before (statsmodels GLM with LA dummy
  columns; ``benchmarks/baseline_child_models.py``, a verbatim copy), under an address-space cap
  (``--baseline-limit-gb``) and a time limit, reported as not finishing when it hits them.

``--run`` also times the whole main job (``maps.pipeline.run_job``) on one year, end to end.

Examples::

    python benchmarks/bench_effect.py                      # four years and one year, all of England
    python benchmarks/bench_effect.py --years 1 --las Stockport --las Manchester --las Leeds --run
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
YEARS = (2021, 2022, 2023, 2024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=int, default=4, help="number of collection years, ending 2024 (1-4)")
    parser.add_argument("--las", action="append", default=None, help="LAs to generate (default: all of England)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "farfromhome-bench-effect")
    parser.add_argument("--no-baseline", action="store_true", help="skip the old statsmodels path")
    parser.add_argument("--baseline-limit-gb", type=float, default=19.0)
    parser.add_argument("--baseline-timeout", type=float, default=1800.0, help="seconds")
    parser.add_argument("--run", action="store_true", help="also time 'run_job' end to end on the last year")
    parser.add_argument("--network", default="backbone", help="road network of the --run job")
    parser.add_argument("--measure", choices=["new", "old", "run"], help=argparse.SUPPRESS)
    parser.add_argument("--frame", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(args)
        return
    if not 1 <= args.years <= 4:
        parser.error("--years must be 1 to 4")
    scale = "all of England" if not args.las else f"{len(args.las)} LA(s): {', '.join(args.las)}"
    print(f"SYNTHETIC data, {scale}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")
    print("(other processes on this machine share the cores: figures are provisional)\n")
    sets = [YEARS[-args.years:]] + ([YEARS[-1:]] if args.years > 1 else [])
    rows = []
    for years in sets:
        frame_path, info = _frame(years, args)
        label = f"{len(years)} year(s) {years[0]}-{years[-1]}"
        print(f"{label}: {info['placements']:,} placements of {info['children']:,} children from "
              f"{info['episodes']:,} episodes; placement frame built in {info['frame_seconds']:.0f} s "
              f"({info['merged']:,} rows merged across years)")
        new = _subprocess(["--measure", "new", "--frame", str(frame_path)], None, None)
        old = None if args.no_baseline else _subprocess(["--measure", "old", "--frame", str(frame_path)],
                                                        args.baseline_limit_gb, args.baseline_timeout)
        rows.append((label, info, new, old))
    print()
    print(f"{'data':<24}{'step':<44}{'seconds':>9}{'peak GB':>9}{'ratio':>12}")
    for label, _info, new, old in rows:
        for step, secs in new["steps"].items():
            print(f"{label:<24}{'new: ' + step:<44}{secs:>9.1f}{'':>9}{'':>12}")
        print(f"{label:<24}{'new: all child-level models':<44}{new['seconds']:>9.1f}{new['peak_gb']:>9.2f}{'':>12}")
        if old is None:
            continue
        if old.get("failed"):
            print(f"{label:<24}{'old (statsmodels, LA dummies): ' + old['failed']:<44}{old['seconds']:>9.0f}"
                  f"{old['peak_gb']:>9.2f}{'> %.0fx' % (old['seconds'] / new['steps']['between-child models']):>12}")
        else:
            ratio = old["seconds"] / new["steps"]["between-child models"]
            print(f"{label:<24}{'old: between-child models (statsmodels)':<44}{old['seconds']:>9.1f}"
                  f"{old['peak_gb']:>9.2f}{ratio:>11.1f}x")
    if args.run:
        print()
        res = _subprocess(["--measure", "run", "--frame", str(_run_input(args))], None, None)
        print(f"run_job, one year ({scale}, --network {args.network}): {res['seconds']:.0f} s end to end, peak "
              f"{res['peak_gb']:.2f} GB")
        for step, secs in res["steps"].items():
            print(f"    {step:<60}{secs:>8.1f} s")
    print("\nTargets (2-core, 24 GB): four years < 5 min and < 6 GB; one year < 60 s; one-year run < 2 min.")


# ------------------------------------------------------------------------------------------- data preparation
def _key(years: tuple[int, ...], args: argparse.Namespace, *modules: str) -> str:
    """Cache key: the data asked for, and a digest of the code that makes it (a changed module rebuilds)."""
    import hashlib

    las = "england" if not args.las else "-".join(sorted(a.replace(" ", "_") for a in args.las))
    code = hashlib.sha256(b"".join((HERE.parent / m).read_bytes() for m in modules)).hexdigest()[:10]
    return f"{las}_{years[0]}-{years[-1]}_seed{args.seed}_{code}"


_SYNTH = ("provision/synth.py", "provision/synth_cohort.py", "provision/synth_geography.py",
          "provision/synth_missing.py", "provision/synth_targets.py", "provision/placements.py")
_FRAME = (*_SYNTH, "provision/placement_frame.py", "provision/collection_years.py")


def _year_tables(year: int, args: argparse.Namespace):
    """One SYNTHETIC year, located, ids relabelled (``B<year>...``) so that years do not collide; cached."""
    import pandas as pd

    path = args.cache / f"{_key((year,), args, *_SYNTH)}_tables.pkl"
    if path.is_file():
        return pickle.loads(path.read_bytes())
    from provision import placements, synth

    data = synth.generate(year=year, seed=args.seed, las=args.las)
    located = placements.locate(data.episodes)
    tables = []
    for frame in (located, data.header, data.missing):
        t = pd.DataFrame(frame).assign(CHILD=lambda f, y=year: f"B{y}" + f["CHILD"].str[3:], YEAR=year)
        t.attrs["synthetic"] = True
        tables.append(t)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(tables))
    return tables


def _frame(years: tuple[int, ...], args: argparse.Namespace) -> tuple[Path, dict]:
    import pandas as pd

    from provision.placement_frame import placement_frame

    path = args.cache / f"{_key(years, args, *_FRAME)}_frame.pkl"
    meta = path.with_suffix(".json")
    if path.is_file() and meta.is_file():
        return path, json.loads(meta.read_text())
    parts = [_year_tables(y, args) for y in years]
    eps, hdr, mis = (pd.concat([p[i] for p in parts], ignore_index=True) for i in range(3))
    eps.attrs["synthetic"] = True
    t = time.perf_counter()
    frame, quality = placement_frame(eps, header=hdr, missing=mis)
    secs = time.perf_counter() - t
    merged = int(quality.loc[quality["reason"].str.contains("collection years"), "rows"].sum())
    info = {"episodes": len(eps), "placements": int(frame["status"].eq("ok").sum()),
            "children": int(frame["child"].nunique()), "frame_seconds": secs, "merged": merged}
    path.write_bytes(pickle.dumps(frame))
    meta.write_text(json.dumps(info))
    return path, info


def _run_input(args: argparse.Namespace) -> Path:
    """Write the last year's SYNTHETIC return as CSV files, ids not marked synthetic (as a user's would be)."""
    folder = args.cache / f"{_key(YEARS[-1:], args, *_SYNTH)}_run_input"
    if not (folder / "episodes.csv").is_file():
        from provision import synth

        data = synth.generate(year=YEARS[-1], seed=args.seed, las=args.las)
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in (("episodes", data.episodes), ("header", data.header), ("missing", data.missing)):
            t = frame.assign(CHILD="B" + frame["CHILD"].str[3:])
            for col in t.columns:
                if str(t[col].dtype).startswith("datetime64"):
                    t[col] = t[col].dt.strftime("%d/%m/%Y")
            t.to_csv(folder / f"{name}.csv", index=False)
    (folder / "network.txt").write_text(args.network)
    return folder


# ------------------------------------------------------------------------------------------------ measuring
def _subprocess(extra: list[str], limit_gb: float | None, timeout: float | None) -> dict:
    def cap() -> None:
        if limit_gb:
            size = int(limit_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    t = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *extra], capture_output=True, text=True,
                              preexec_fn=cap, timeout=timeout, env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    except subprocess.TimeoutExpired:
        return {"failed": f"stopped at {timeout:.0f} s", "seconds": time.perf_counter() - t, "peak_gb": float("nan")}
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode != 0 or not last.startswith("{"):
        err = proc.stderr.strip().splitlines()
        why = next((line for line in reversed(err) if "Error" in line), err[-1] if err else "failed")
        return {"failed": why[:60], "seconds": time.perf_counter() - t, "peak_gb": float("nan")}
    return json.loads(last)


def _measure(args: argparse.Namespace) -> None:
    """Run one measurement in this (fresh) process and print it as JSON on the last line."""
    import logging

    import psutil

    logging.basicConfig(level=logging.WARNING)
    proc = psutil.Process()
    peak = [proc.memory_info().rss]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], proc.memory_info().rss)

    threading.Thread(target=sample, daemon=True).start()
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    if args.measure == "run":
        from maps.pipeline import JobOptions, run_job
        from provision.returns import read_return

        folder = args.frame
        children = read_return(folder / "episodes.csv", header=folder / "header.csv", missing=folder / "missing.csv")
        steps["read and locate the return"] = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            result = run_job(children, out=Path(tmp) / "out",
                             options=JobOptions(network=(folder / "network.txt").read_text()))
        steps.update({k: v for k, v in result.timings.items() if k != "total"})
    else:
        frame = pickle.loads(args.frame.read_bytes())
        if args.measure == "new":
            from distance.child_models import child_effect
            from distance.move_study import move_event_study
            from distance.within_child import within_child_effect

            for name, fn in (("between-child models", child_effect), ("within-child model", within_child_effect),
                             ("event study around moves", move_event_study)):
                t = time.perf_counter()
                fn(frame)
                steps[name] = time.perf_counter() - t
        else:
            sys.path.insert(0, str(HERE))
            import baseline_child_models

            baseline_child_models.child_effect(frame)
    seconds = time.perf_counter() - t0
    stop.set()
    high = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak_gb": max(peak[0], high) / 2**30, "steps": steps}))


if __name__ == "__main__":
    main()
