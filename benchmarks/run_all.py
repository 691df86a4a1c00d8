"""Run every benchmark and rewrite BENCHMARKS.md: `make bench`, or `python benchmarks/run_all.py [NAME ...]`.

Each benchmark module runs in its own process and leaves a JSON result in
benchmarks/out/ (git-ignored). With names (loading, cnn_epoch, resnet50, gan, grid,
scaling), only those run, and the page is rebuilt from the newest result of every
module, so results of modules that did not run are shown from their last run.
`--page` runs nothing and only rebuilds the page.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import (
    OUT_DIR,
    ROOT,
    Result,
    cpu_facts,
    library_versions,
    load_result,
    memory_total_gib,
    peak_gflops_estimate,
    quiet_tensorflow,
    sample_dir,
    table,
)

# Order matters: the grid reads the loading result for its cold-load estimate.
MODULES = ("loading", "cnn_epoch", "resnet50", "gan", "grid", "scaling")
FILES = {"loading": "bench_loading.py", "cnn_epoch": "bench_cnn_epoch.py", "resnet50": "bench_resnet50.py",
         "gan": "bench_gan.py", "grid": "bench_grid.py", "scaling": "bench_scaling.py"}
PAGE = ROOT / "BENCHMARKS.md"
PLOT = ROOT / "benchmarks" / "scaling.png"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def run_module(name: str) -> tuple[float, str]:
    """Run one benchmark module; return its wall-clock seconds and an error tail ('' when it succeeded)."""
    start = time.perf_counter()
    process = subprocess.run([sys.executable, str(ROOT / "benchmarks" / FILES[name])], cwd=ROOT,
                             stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    lines = [line for line in process.stderr.splitlines() if not line.startswith(("I0000", "W0000", "E0000", "WARNING: All"))]
    print("\n".join(lines[-6:]), file=sys.stderr)
    if process.returncode != 0:
        return seconds, "\n".join(lines[-3:])
    return seconds, ""


def machine_section(started: str, loads: tuple[str, str]) -> str:
    facts = cpu_facts()
    peak, how = peak_gflops_estimate(facts)
    memory = memory_total_gib()
    versions = library_versions()
    rows = [
        ["CPU", f"{facts.get('model', 'unknown')} ({facts.get('vendor', '')})"],
        ["cores usable", str(facts.get("usable_cpus") or facts.get("logical_cpus"))],
        ["clock (/proc/cpuinfo)", f"{facts['mhz']:.0f} MHz" if facts.get("mhz") else "unknown"],
        ["vector units", ", ".join(flag for flag in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile")
                                   if flag in facts.get("flags", [])) or "none listed"],
        ["peak float32 (estimate)", f"{peak:.0f} GFLOP/s = {how}" if peak else how],
        ["memory", f"{memory:.1f} GiB" if memory else "unknown"],
        ["load average at start / end", f"{loads[0]} / {loads[1]} (other jobs share this machine)"],
        ["date (UTC)", started],
        ["libraries", ", ".join(f"{name} {version}" for name, version in versions.items())],
        ["sample", str(sample_dir())],
    ]
    return table(["", ""], rows)


def write_page(results: dict[str, Result | None], errors: dict[str, str], seconds: dict[str, float],
               started: str, loads: tuple[str, str], total: float) -> None:
    verdicts = {True: "met", False: "**missed**", None: "not measured"}
    target_rows = []
    for name in MODULES:
        result = results.get(name)
        if result is None:
            target_rows.append([name, "", "not measured", "not measured", errors.get(name, "no result yet")])
            continue
        for target in result.targets:
            target_rows.append([target.name, target.goal, target.measured, verdicts[target.met], target.note])

    time_rows = []
    for name in MODULES:
        if name in seconds:
            time_rows.append([name, f"{seconds[name]:.0f}", "this run"])
        elif results.get(name) is not None:
            time_rows.append([name, f"{results[name].seconds:.0f}", "an earlier run"])
    if not seconds:
        total = sum(result.seconds for result in results.values() if result is not None)
    run_time = (f"`make bench` took **{total / 60:.1f} min** in all." if len(seconds) == len(MODULES) else
                f"The benchmarks shown took {total / 60:.1f} min (some from an earlier run; `make bench` runs all).")
    parts = [
        "# catdog benchmarks",
        "This page is written by `make bench` (`.venv/bin/python benchmarks/run_all.py`); do not edit it by hand. "
        "Every target is a ratio against a baseline measured in the same run, because the machine is shared and "
        "absolute times drift. Raw numbers: `benchmarks/out/*.json` after a run. Run one benchmark alone with "
        "`.venv/bin/python benchmarks/run_all.py NAME` (NAME: " + ", ".join(MODULES) + ").",
        "## Machine",
        machine_section(started, loads),
        "## Targets",
        table(["target", "goal", "measured", "verdict", "note"], target_rows),
        f"## Run time\n\n{run_time}",
        table(["benchmark", "seconds", "from"], time_rows),
    ]
    for name in MODULES:
        result = results.get(name)
        if result is None:
            continue
        parts += [f"## {result.title}", f"Command: `.venv/bin/{result.command}` ({result.seconds:.0f} s).",
                  result.markdown]
        if name == "scaling" and PLOT.exists():
            parts.append("![load and epoch time against the number of images](benchmarks/scaling.png)")
    PAGE.write_text("\n\n".join(parts) + "\n")


def main() -> None:
    quiet_tensorflow()
    names = sys.argv[1:] or list(MODULES)
    if names == ["--page"]:
        names = []
    unknown = [name for name in names if name not in MODULES]
    if unknown:
        sys.exit(f"Unknown benchmark {', '.join(unknown)}; choose from {', '.join(MODULES)}.")
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start = load_average()
    start = time.perf_counter()
    seconds, errors = {}, {}
    for name in [name for name in MODULES if name in names]:
        print(f"== {name}", file=sys.stderr)
        seconds[name], error = run_module(name)
        if error:
            errors[name] = error.replace("\n", " ").replace("|", "/")
    total = time.perf_counter() - start

    results = {}
    for name in MODULES:
        path = OUT_DIR / f"{name}.json"
        results[name] = load_result(path) if path.exists() and name not in errors else None
    if (OUT_DIR / "scaling.png").exists():
        shutil.copyfile(OUT_DIR / "scaling.png", PLOT)
    write_page(results, errors, seconds, started, (load_start, load_average()), total)
    print(f"Wrote {PAGE} ({total / 60:.1f} min).", file=sys.stderr)


if __name__ == "__main__":
    main()
