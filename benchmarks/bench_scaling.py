"""Scaling: load time and CNN epoch time at 1,000, 6,000 and 24,000 images.

The folders are hard links cycling through the sample files that decode, so the
larger ones repeat pictures under new names. The load is catdog's cold load (no
decoded-image cache; the files are in the OS page cache), the faster of two. The
epoch is one epoch of a bare `model.fit` of the reference CNN on all the loaded
images (batch 32; the faster of two below 24k), timed in wall-clock and CPU seconds,
after warm-up fits with a full and a partial batch, so tracing is not counted.

Both times have a fixed part (starting the decoding workers; starting an epoch) and a
part per image, so "linear" here means a straight line, not proportional: the time per
added image from 1k to 6k and from 6k to 24k agree within 25%. Sub-linear means the
later images cost less; super-linear, more.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import (
    OUT_DIR,
    SEED,
    Result,
    Target,
    clean_files,
    main,
    make_epoch_timer,
    make_replica,
    sample_dir,
    table,
    timed,
    work_dir,
)

SIZES = (1000, 6000, 24000)
BATCH = 32
# Growth counts as linear when the two marginal costs (seconds per added image) differ
# by at most this fraction of the larger one.
LINEAR_TOLERANCE = 0.25
LOAD_REPEATS = 2


def cold_load(root: Path):
    from catdog.dataset import load_dataset

    with tempfile.TemporaryDirectory(dir=work_dir()) as cache_dir:
        return timed(load_dataset, root, 50, "grayscale", cache_dir=cache_dir, progress=False)


def epoch_seconds(model, images, labels) -> tuple[float, float]:
    """Train one epoch; return its CPU seconds (all threads of this process) and wall-clock seconds."""
    timer = make_epoch_timer()
    model.fit(images, labels, epochs=1, batch_size=BATCH, shuffle=True, verbose=0, callbacks=[timer])
    return timer.cpu_seconds[0], timer.seconds[0]


def marginal_costs(counts, seconds) -> list[float]:
    """Return the seconds per added image between consecutive sizes."""
    return [(seconds[i + 1] - seconds[i]) / (counts[i + 1] - counts[i]) for i in range(len(counts) - 1)]


def growth(counts, seconds) -> tuple[str, bool]:
    """Classify growth from the marginal costs: linear, sub-linear or super-linear.

    Returns:
        The verdict in words, and whether the time grows at most linearly.
    """
    costs = marginal_costs(counts, seconds)
    spread = (max(costs) - min(costs)) / max(costs)
    listed = ", ".join(f"{1e3 * cost:.2f}" for cost in costs)
    if spread <= LINEAR_TOLERANCE:
        return f"linear (ms per added image: {listed})", True
    if costs[-1] < costs[0]:
        return f"sub-linear: later images cost less (ms per added image: {listed})", True
    return f"super-linear: later images cost more (ms per added image: {listed})", False


def run() -> Result:
    import keras
    import numpy as np

    from catdog.classify.models import build_cnn, compile_classifier, prepare_inputs
    from catdog.plotting import plot_scaling

    sample = sample_dir()
    files = clean_files(sample)
    keras.utils.set_random_seed(SEED)
    model = compile_classifier(build_cnn(50, 1))
    # A full batch, then a partial one: after both shapes TensorFlow traces a step for
    # any batch size, so no later fit traces again.
    for count in (2 * BATCH, BATCH + 8):
        warm_up = np.zeros((count, 50, 50, 1), np.float32)
        model.fit(warm_up, np.zeros(count, np.float32), epochs=1, batch_size=BATCH, verbose=0)

    rows, load_times, epoch_times, epoch_cpu_times, counts = [], [], [], [], []
    for size in SIZES:
        root = make_replica(sample, work_dir() / f"replica-{size}", size, files)
        loads = [cold_load(root) for _ in range(LOAD_REPEATS)]
        load_s, dataset = min(loads, key=lambda pair: pair[0])
        x = prepare_inputs("cnn", dataset.images)
        # The faster of two epochs below the largest size; one epoch of 24k images takes long enough.
        repeats = 2 if size < SIZES[-1] else 1
        epoch_cpu_s, epoch_s = min(epoch_seconds(model, x, dataset.labels.astype(np.float32)) for _ in range(repeats))
        counts.append(len(dataset))
        load_times.append(load_s)
        epoch_times.append(epoch_s)
        epoch_cpu_times.append(epoch_cpu_s)
        rows.append([len(dataset), load_s, 1e3 * load_s / len(dataset), epoch_s, epoch_cpu_s,
                     1e3 * epoch_cpu_s / len(dataset)])

    plot_path = plot_scaling(counts, {"cold load (wall-clock s)": load_times, "CNN epoch (CPU s)": epoch_cpu_times},
                             "catdog time against dataset size", OUT_DIR / "scaling.png")
    load_verdict, load_ok = growth(counts, load_times)
    # CPU seconds: wall-clock epochs of the same work moved by up to 40% between runs on
    # this shared machine.
    epoch_verdict, epoch_ok = growth(counts, epoch_cpu_times)

    markdown = "\n\n".join([
        table(["images", "cold load (s)", "load ms/image", "CNN epoch (s)", "CNN epoch (CPU s)", "epoch CPU ms/image"],
              rows),
        f"Load time: {load_verdict}. Epoch time, in CPU seconds: {epoch_verdict}. Linear means the time per added image from "
        f"{counts[0]:,} to {counts[1]:,} and from {counts[1]:,} to {counts[2]:,} images differ by at most "
        f"{LINEAR_TOLERANCE:.0%}. The epoch verdict uses CPU seconds of the process because wall-clock epochs of "
        "the same work moved by up to 40% between runs on this shared machine. Plot: `benchmarks/scaling.png`.",
    ])
    return Result(
        name="scaling", title="6. Scaling", command="python benchmarks/bench_scaling.py",
        targets=[
            Target("6a. load time, 1k-24k", "at most linear", load_verdict, load_ok),
            Target("6b. CNN epoch time, 1k-24k", "at most linear", epoch_verdict, epoch_ok),
        ],
        markdown=markdown,
        raw={"counts": counts, "load_s": load_times, "epoch_s": epoch_times, "epoch_cpu_s": epoch_cpu_times,
             "plot": str(plot_path)},
    )


if __name__ == "__main__":
    main(run)
