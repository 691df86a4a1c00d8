"""Scaling: load time and CNN epoch time at 1,000, 6,000 and 24,000 images.

The folders are hard links cycling through the sample files that decode, so the
larger ones repeat pictures under new names. The load is catdog's cold load (no
decoded-image cache; the files are in the OS page cache). The epoch is one epoch of
a bare `model.fit` of the reference CNN on all the loaded images (batch 32) after a
short warm-up fit, so tracing is not counted.
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
# Growth counts as linear when the time per image at every size is within this
# fraction of the time per image at the largest size.
LINEAR_TOLERANCE = 0.25


def cold_load(root: Path):
    from catdog.dataset import load_dataset

    with tempfile.TemporaryDirectory(dir=work_dir()) as cache_dir:
        return timed(load_dataset, root, 50, "grayscale", cache_dir=cache_dir, progress=False)


def epoch_seconds(model, images, labels) -> float:
    timer = make_epoch_timer()
    model.fit(images, labels, epochs=1, batch_size=BATCH, shuffle=True, verbose=0, callbacks=[timer])
    return timer.seconds[0]


def is_linear(counts, seconds) -> bool:
    per_image = [s / n for s, n in zip(seconds, counts)]
    return all(abs(value / per_image[-1] - 1) <= LINEAR_TOLERANCE for value in per_image)


def run() -> Result:
    import keras
    import numpy as np

    from catdog.classify.models import build_cnn, compile_classifier, prepare_inputs
    from catdog.plotting import plot_scaling

    sample = sample_dir()
    files = clean_files(sample)
    keras.utils.set_random_seed(SEED)
    model = compile_classifier(build_cnn(50, 1))
    warm_up = np.zeros((2 * BATCH, 50, 50, 1), np.float32)
    model.fit(warm_up, np.zeros(len(warm_up), np.float32), epochs=1, batch_size=BATCH, verbose=0)

    rows, load_times, epoch_times, counts = [], [], [], []
    for size in SIZES:
        root = make_replica(sample, work_dir() / f"replica-{size}", size, files)
        load_s, dataset = cold_load(root)
        x = prepare_inputs("cnn", dataset.images)
        epoch_s = epoch_seconds(model, x, dataset.labels.astype(np.float32))
        counts.append(len(dataset))
        load_times.append(load_s)
        epoch_times.append(epoch_s)
        rows.append([len(dataset), load_s, 1e3 * load_s / len(dataset), epoch_s, 1e3 * epoch_s / len(dataset)])

    plot_path = plot_scaling(counts, {"cold load": load_times, "CNN epoch": epoch_times},
                             "catdog time against dataset size", OUT_DIR / "scaling.png")
    linear_load, linear_epoch = is_linear(counts, load_times), is_linear(counts, epoch_times)

    def verdict(linear: bool) -> str:
        return "grows linearly" if linear else "does not grow linearly"

    markdown = "\n\n".join([
        table(["images", "cold load (s)", "load ms/image", "CNN epoch (s)", "epoch ms/image"], rows),
        f"Load time {verdict(linear_load)} and epoch time {verdict(linear_epoch)} with the number of images "
        f"(criterion: time per image at every size within {LINEAR_TOLERANCE:.0%} of the time per image at "
        f"{counts[-1]:,} images). Plot: `benchmarks/out/scaling.png` (copied beside this page as "
        "`benchmarks/scaling.png`).",
    ])
    return Result(
        name="scaling", title="6. Scaling", command="python benchmarks/bench_scaling.py",
        targets=[
            Target("6a. load time, 1k-24k", "linear", verdict(linear_load), linear_load),
            Target("6b. CNN epoch time, 1k-24k", "linear", verdict(linear_epoch), linear_epoch),
        ],
        markdown=markdown,
        raw={"counts": counts, "load_s": load_times, "epoch_s": epoch_times, "plot": str(plot_path)},
    )


if __name__ == "__main__":
    main(run)
