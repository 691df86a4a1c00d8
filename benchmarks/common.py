"""Helpers shared by the benchmark modules: timing, sample replicas, machine facts, results.

Every benchmark module runs as its own process (`python benchmarks/bench_x.py`), so
TensorFlow state and memory never leak from one benchmark into the next, and writes
one JSON file into `benchmarks/out/`. `run_all.py` turns those files into BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "benchmarks" / "out"
# The real sample: 2,999 cats and 3,000 dogs (one empty file), 180x180 JPEGs.
DEFAULT_SAMPLE = ROOT.parent / "shared" / "data" / "PetImages"
SEED = 123


def sample_dir() -> Path:
    """Return the sample folder: $CATDOG_BENCH_SAMPLE, else ../shared/data/PetImages."""
    return Path(os.environ.get("CATDOG_BENCH_SAMPLE", DEFAULT_SAMPLE))


def work_dir() -> Path:
    """Return the scratch folder for replicas and caches, inside the git-ignored out folder."""
    path = OUT_DIR / "work"
    path.mkdir(parents=True, exist_ok=True)
    return path


def bench_cache_dir() -> Path:
    """Return a decoded-image cache shared by the benchmarks that only need the pixels."""
    return work_dir() / "cache"


@dataclass
class Target:
    """One target of the benchmark page: the goal, the measured value and the verdict."""

    name: str
    goal: str
    measured: str
    met: bool | None  # None: not measured
    note: str = ""


@dataclass
class Result:
    """What one benchmark module reports: its targets, markdown tables and raw numbers."""

    name: str
    title: str
    command: str
    targets: list[Target] = field(default_factory=list)
    markdown: str = ""
    raw: dict = field(default_factory=dict)
    seconds: float = 0.0

    def save(self) -> Path:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        path = OUT_DIR / f"{self.name}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        os.replace(tmp, path)
        return path


def load_result(path: Path) -> Result:
    data = json.loads(path.read_text())
    data["targets"] = [Target(**target) for target in data["targets"]]
    return Result(**data)


class Stopwatch:
    """Context manager measuring wall-clock seconds with `time.perf_counter`."""

    def __enter__(self):
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False


def timed(function: Callable, *args, **kwargs) -> tuple[float, object]:
    """Call `function` and return (wall-clock seconds, its return value)."""
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def ratio_text(value: float) -> str:
    return f"{value:.2f}x"


def table(header: list[str], rows: list[list[object]]) -> str:
    """Format a markdown table; floats get 3 significant decimals unless already strings."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def make_epoch_timer():
    """Return a Keras callback that records the wall-clock seconds of every epoch.

    Put it last in the callback list: its `on_epoch_end` then runs after every other
    callback's, so an epoch's time includes the validation pass and the work that
    the other callbacks do at the end of the epoch.
    """
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []
            self.cpu_seconds: list[float] = []  # CPU time of every thread of this process
            self._start = self._cpu_start = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._start, self._cpu_start = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)
            self.cpu_seconds.append(time.process_time() - self._cpu_start)

    return EpochTimer()


# ---------------------------------------------------------------- sample replicas


def sample_files(root: Path) -> list[Path]:
    """Return the sample's image files that catdog's listing keeps, in listing order."""
    from catdog.dataset import list_images

    return [item.path for item in list_images(root).files]


def link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        # Another file system, or hard links not allowed: copy the bytes instead.
        target.write_bytes(source.read_bytes())


def make_replica(root: Path, target: Path, count: int, files: list[Path] | None = None) -> Path:
    """Build a class-per-folder dataset of `count` files from the sample, by hard links.

    Copies past the first get a `copy<k>-` prefix, so the listing differs while the
    bytes repeat. A replica that already holds `count` files is reused.

    Args:
        root: the sample folder.
        target: the replica folder to create.
        count: number of image files in the replica.
        files: the sample files to cycle through; defaults to every listed file.
    """
    files = files if files is not None else sample_files(root)
    marker = target / ".complete"
    if marker.exists() and marker.read_text() == str(count):
        return target
    # Cats and dogs interleaved, so every prefix of the list is close to balanced.
    by_class: dict[str, list[Path]] = {}
    for path in files:
        by_class.setdefault(path.parent.name, []).append(path)
    interleaved = [path for group in zip(*by_class.values()) for path in group]
    interleaved += [path for group in by_class.values() for path in group[len(interleaved) // len(by_class):]]
    for index in range(count):
        copy, source = divmod(index, len(interleaved))
        source = interleaved[source]
        prefix = f"copy{copy}-" if copy else ""
        link_or_copy(source, target / source.parent.name / f"{prefix}{source.name}")
    marker.write_text(str(count))
    return target


def balanced_subset(labels, count: int):
    """Return `count` indices alternating between the two classes, in index order."""
    import numpy as np

    per_class = [np.flatnonzero(labels == value)[: count // 2] for value in (0, 1)]
    return np.sort(np.concatenate(per_class))


def sample_dataset(count: int | None = None, image_size: int = 50):
    """Load the sample (decoded-image cache shared by the benchmarks), or a balanced subset of it."""
    import dataclasses

    from catdog.dataset import load_dataset

    dataset = load_dataset(sample_dir(), image_size, "grayscale", cache_dir=bench_cache_dir(), progress=False)
    if count is None or count >= len(dataset):
        return dataset
    keep = balanced_subset(dataset.labels, count)
    return dataclasses.replace(
        dataset, images=dataset.images[keep], labels=dataset.labels[keep],
        paths=[dataset.paths[i] for i in keep], hashes=[dataset.hashes[i] for i in keep],
    )


def clean_files(root: Path, image_size: int = 50) -> list[Path]:
    """Return the sample files that catdog decodes (the empty and broken ones left out)."""
    from catdog.dataset import load_dataset

    dataset = load_dataset(root, image_size, "grayscale", cache_dir=bench_cache_dir(), progress=False)
    return [Path(dataset.root) / relpath for relpath in dataset.paths]


# ---------------------------------------------------------------- machine facts


def cpu_facts() -> dict:
    """Read the CPU model, core count, clock and vector flags from /proc/cpuinfo."""
    facts = {"model": platform.processor() or "unknown", "logical_cpus": os.cpu_count() or 0, "mhz": None, "flags": []}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return facts
    for key, name in (("model name", "model"), ("vendor_id", "vendor"), ("cpu MHz", "mhz"), ("flags", "flags")):
        match = re.search(rf"^{key}\s*:\s*(.*)$", text, re.MULTILINE)
        if match:
            facts[name] = match.group(1).strip()
    facts["mhz"] = float(facts["mhz"]) if facts["mhz"] else None
    facts["flags"] = facts["flags"].split() if isinstance(facts["flags"], str) else []
    if hasattr(os, "sched_getaffinity"):
        facts["usable_cpus"] = len(os.sched_getaffinity(0))
    return facts


def peak_gflops_estimate(facts: dict) -> tuple[float | None, str]:
    """Estimate the CPU's peak float32 GFLOP/s as cores x GHz x FLOPs per cycle.

    FLOPs per cycle come from the vector flags and the vendor, assuming two FMA
    pipes per core: AMD cores with AVX-512 (Zen 4) run it on 256-bit pipes, so 2 x 8
    lanes x 2 (multiply and add) = 32; Intel cores with AVX-512 have two 512-bit
    pipes on server parts, 64; AVX2 with FMA gives 32; plain AVX or SSE 16 or 8.
    The clock is the one /proc/cpuinfo reports, which may be below the boost clock.
    This is an estimate, not a measured peak.
    """
    flags = set(facts.get("flags", []))
    vendor = facts.get("vendor", "")
    if "avx512f" in flags and vendor == "GenuineIntel":
        per_cycle, why = 64, "AVX-512, two 512-bit FMA pipes"
    elif "avx512f" in flags:
        per_cycle, why = 32, "AVX-512 on two 256-bit FMA pipes (AMD Zen 4)"
    elif "fma" in flags and "avx2" in flags:
        per_cycle, why = 32, "AVX2, two 256-bit FMA pipes"
    elif "avx" in flags:
        per_cycle, why = 16, "AVX without FMA"
    else:
        per_cycle, why = 8, "SSE"
    cores = facts.get("usable_cpus") or facts.get("logical_cpus") or 1
    mhz = facts.get("mhz")
    if not mhz:
        return None, "no clock in /proc/cpuinfo"
    peak = cores * mhz / 1000 * per_cycle
    return peak, f"{cores} cores x {mhz / 1000:.2f} GHz x {per_cycle} FLOPs/cycle ({why})"


def memory_total_gib() -> float | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) / 2**20 if match else None


def library_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"python": sys.version.split()[0]}
    for name in ("catdog", "tensorflow", "keras", "numpy", "pillow", "matplotlib"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up messages; call before importing it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(run: Callable[[], Result]) -> None:
    """Run one benchmark module as a script and save its result."""
    quiet_tensorflow()
    start = time.perf_counter()
    result = run()
    result.seconds = time.perf_counter() - start
    path = result.save()
    print(f"{result.name}: {result.seconds:.0f} s, wrote {path}", file=sys.stderr)
    for target in result.targets:
        verdict = {True: "met", False: "missed", None: "not measured"}[target.met]
        print(f"  {target.name}: {target.measured} (goal {target.goal}) -> {verdict}", file=sys.stderr)
