"""The whole grid: configs/report.toml on the sample with the epochs cut, and an estimate.

The grid runs through `run_cross_validation` (what `catdog cv --config
configs/report.toml --data SAMPLE --epochs 1 --weights none` calls) with a timing
callback added to every fold. ImageNet weights cannot be downloaded here, so
ResNet50 uses random weights, which cost the same. Then fold 1 of a 500-image subset
is trained for 2 epochs per (model, batch) pair, to measure what tracing adds to the
first epoch.

The estimate for the full dataset at the reference epochs assumes every epoch's
cost grows in proportion to the number of images (the scaling benchmark checks
this), and that the per-fold overhead (tracing, model building, the final held-out
evaluation, saving) does not grow:

    fold(E, N) = (fold seconds measured with 1 epoch - steady epoch) + E x steady epoch x N / n

plus the ResNet50 features (once per run) scaled by N / n. Early stopping (patience
15 on inner-validation accuracy) can end a fold after 16 epochs at the earliest, so
the estimate is a range: 16 epochs per fold at the least, every epoch at the most.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from common import (
    OUT_DIR,
    ROOT,
    SEED,
    Result,
    Target,
    balanced_subset,
    bench_cache_dir,
    main,
    make_epoch_timer,
    median,
    sample_dataset,
    sample_dir,
    table,
    work_dir,
)

EPOCHS_CUT = 1
TRACE_IMAGES = 500
FULL_IMAGES = 25_000
REFERENCE_EPOCHS = (30, 60)
# Early stopping waits this many epochs without improvement; the earliest stop is after
# epoch 1 + patience.
PATIENCE = 15


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def run() -> Result:
    import numpy as np

    import catdog.classify.cv as cv
    from catdog import config
    from catdog.classify.settings import CV_SCHEMA
    from catdog.classify.training import TrainingSettings

    train_fold, prepare_model_inputs, compute_features = cv.train_fold, cv.prepare_model_inputs, cv.compute_resnet50_features
    folds, inputs, feature_seconds = [], {}, []

    def timed_train_fold(build, x, y, split, settings, seed, *args, extra_callbacks=(), **kwargs):
        timer = make_epoch_timer()
        start = time.perf_counter()
        result, model = train_fold(build, x, y, split, settings, seed, *args,
                                   extra_callbacks=[*extra_callbacks, timer], **kwargs)
        name = {"resnet50_head": "resnet50"}.get(model.name, model.name)
        folds.append({"model": name, "batch": settings.batch_size, "fold": split.number,
                      "seconds": time.perf_counter() - start, "epochs": timer.seconds})
        return result, model

    def recorded_inputs(model_name, *args, **kwargs):
        inputs[model_name] = prepare_model_inputs(model_name, *args, **kwargs)
        return inputs[model_name]

    def timed_features(*args, **kwargs):
        start = time.perf_counter()
        value = compute_features(*args, **kwargs)
        feature_seconds.append(time.perf_counter() - start)
        return value

    # The sample's decoded images are already in the benchmarks' cache; a cold load is
    # added to the estimate from the loading benchmark instead.
    os.environ["CATDOG_CACHE_DIR"] = str(bench_cache_dir())
    with tempfile.TemporaryDirectory(dir=work_dir()) as out:
        settings = config.resolve(CV_SCHEMA, ROOT / "configs" / "report.toml", {
            "data": str(sample_dir()), "epochs": [EPOCHS_CUT], "weights": "none", "out": out,
        })
        cv.train_fold, cv.prepare_model_inputs, cv.compute_resnet50_features = (
            timed_train_fold, recorded_inputs, timed_features)
        try:
            start = time.perf_counter()
            run_dir = cv.run_cross_validation(settings, quiet=True)
            grid_seconds = time.perf_counter() - start
        finally:
            cv.train_fold, cv.prepare_model_inputs, cv.compute_resnet50_features = (
                train_fold, prepare_model_inputs, compute_features)
        dataset_summary = json.loads((run_dir / "dataset.json").read_text())
        n_images = sum(dataset_summary["images_per_class"].values())

        # Tracing cost per (model, batch): the first minus the second epoch of a 2-epoch
        # run on a small subset, where the epochs themselves are short. A steady epoch of
        # the grid is then its folds' first epoch minus that cost.
        from catdog.classify.cv import split_folds

        subset = sample_dataset(TRACE_IMAGES)
        split = split_folds(subset, settings["folds"], settings["validation_split"], settings["seed"])[0]
        y = subset.labels.astype(np.float32)
        trace, steady = {}, {}
        for name, model_inputs in inputs.items():
            x = model_inputs.x[subset_rows(model_inputs.x, subset)]
            for batch in settings["batch"]:
                timer = make_epoch_timer()
                training = TrainingSettings(epochs=2, batch_size=batch, verbose=0)
                train_fold(model_inputs.build, x, y, split, training, SEED,
                           Path(out) / "trace.keras" if name != "resnet50" else None, [timer])
                trace[name, batch] = max(0.0, timer.seconds[0] - timer.seconds[1])
                first_epochs = [fold["epochs"][0] for fold in folds if (fold["model"], fold["batch"]) == (name, batch)]
                steady[name, batch] = max(median(first_epochs) - trace[name, batch], 0.0)

    scale = FULL_IMAGES / n_images
    per_pair = defaultdict(list)
    for fold in folds:
        per_pair[fold["model"], fold["batch"]].append(fold["seconds"])
    rows, low_total, high_total = [], 0.0, 0.0
    if any(value == 0.0 for value in steady.values()):
        raise RuntimeError(f"A steady epoch came out as 0 s, so the tracing estimate is off: {steady}, {trace}.")
    for (name, batch), fold_seconds in per_pair.items():
        epoch = steady[name, batch]
        overheads = [max(0.0, seconds - epoch) for seconds in fold_seconds]
        for epochs in REFERENCE_EPOCHS:
            high = sum(overhead + epochs * epoch * scale for overhead in overheads)
            low = sum(overhead + min(epochs, PATIENCE + 1) * epoch * scale for overhead in overheads)
            low_total += low
            high_total += high
            rows.append([name, f"{epochs}, {batch}", sum(fold_seconds), trace[name, batch], epoch, median(overheads),
                         f"{hours(low)} - {hours(high)}"])
    features_full = sum(feature_seconds) * scale
    load_full = cold_load_estimate(n_images)
    low_total += features_full + load_full
    high_total += features_full + load_full

    markdown = "\n\n".join([
        f"Sample: {n_images:,} images; grid: {', '.join(settings['models'])} x batch {settings['batch']} x "
        f"{settings['folds']} folds with epochs cut to {EPOCHS_CUT}: **{grid_seconds:.0f} s** "
        f"({grid_seconds / 60:.1f} min) in all, of which ResNet50 features {sum(feature_seconds):.0f} s.",
        "Estimate for the full dataset (25,000 images) at the reference epochs, per experiment "
        "(5 folds); steady epoch = median first epoch of the grid's folds minus the tracing cost (first minus second "
        f"epoch of a 2-epoch run on {TRACE_IMAGES} images); fold overhead = a 1-epoch fold's time minus "
        "the steady epoch:",
        table(["model", "epochs, batch", f"measured, {EPOCHS_CUT} epoch, 5 folds (s)", "tracing (s)", "steady epoch (s)",
               "fold overhead (s)", "estimate, 25,000 images"], rows),
        f"Plus the ResNet50 features ({features_full:.0f} s) and a cold load ({load_full:.0f} s), scaled to "
        f"25,000 images. **Whole grid, estimated: {hours(low_total)} to {hours(high_total)}** on this machine "
        f"(the low end if early stopping ends every fold after {PATIENCE + 1} epochs, the high end if no fold "
        "stops early). This is an estimate from the measurements above, not a timed run.",
    ])
    return Result(
        name="grid", title="5. The whole grid", command="python benchmarks/bench_grid.py",
        targets=[Target("5. whole grid, 25,000 images (estimate)", "measured and estimated",
                        f"{grid_seconds / 60:.1f} min cut to {EPOCHS_CUT} epoch; {hours(low_total)} - "
                        f"{hours(high_total)} estimated", None if not folds else True)],
        markdown=markdown,
        raw={"grid_s": grid_seconds, "folds": folds, "steady": {f"{k[0]}-{k[1]}": v for k, v in steady.items()},
             "trace": {f"{k[0]}-{k[1]}": v for k, v in trace.items()},
             "features_s": feature_seconds, "n_images": n_images, "estimate_s": [low_total, high_total]},
    )


def subset_rows(x, subset):
    """Return the rows of the full sample's model input that belong to `subset`, by position."""
    full = sample_dataset()
    assert len(full) == len(x), (len(full), len(x))
    return balanced_subset(full.labels, len(subset))


def cold_load_estimate(n_images: int) -> float:
    """Scale the loading benchmark's cold load to 25,000 images, or 0 when it has not run."""
    path = OUT_DIR / "loading.json"
    if not path.exists():
        return 0.0
    raw = json.loads(path.read_text())["raw"]
    return median(raw["cold_s"]) * FULL_IMAGES / n_images


if __name__ == "__main__":
    main(run)
