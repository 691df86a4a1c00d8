"""ResNet50 with frozen layers: features computed once against training the full model.

catdog runs the frozen base once over every image and trains only the dense head on
the stored features, fold after fold. The baseline trains the full model (frozen
base plus head) end to end with the same `train_fold`, so every epoch runs the base
over the fit, inner-validation and held-out images again.

ImageNet weights cannot be downloaded here, so the base has random weights from a
fixed seed (`--weights none`); the cost and the equivalence do not depend on the values.
The end-to-end baseline runs fold 1 for 2 epochs only; its time for the whole
experiment is extrapolated linearly: per fold, the measured first epoch and fold
overhead plus (epochs that catdog's fold ran - 1) x the measured second epoch.
"""

from __future__ import annotations

import numpy as np
from common import (
    SEED,
    Result,
    Stopwatch,
    Target,
    main,
    make_epoch_timer,
    ratio_text,
    sample_dataset,
    table,
)

IMAGES = 1000  # a subset keeps `make bench` short; both sides do per-image work in every epoch
EPOCHS = 30  # the reference grid's shorter experiment
BATCH = 32
BASELINE_EPOCHS = 2
TOLERANCE = 1e-4


def run() -> Result:
    import keras

    from catdog.classify import models
    from catdog.classify.cv import split_folds
    from catdog.classify.features import compute_resnet50_features
    from catdog.classify.training import TrainingSettings, train_fold

    dataset = sample_dataset(IMAGES)
    x = models.prepare_inputs("resnet50", dataset.images)
    y = dataset.labels.astype(np.float32)
    splits = split_folds(dataset, 5, 0.1, SEED)
    settings = TrainingSettings(epochs=EPOCHS, batch_size=BATCH, verbose=0)

    # catdog: the base once, then the head on every fold.
    keras.utils.set_random_seed(SEED)
    with Stopwatch() as features_clock:
        features, base = compute_resnet50_features(x, "none", batch_size=64, verbose=0)
    fold_rows, fold_seconds, epochs_run, first_head = [], [], [], None
    for split in splits:
        with Stopwatch() as clock:
            result, head = train_fold(lambda: models.build_resnet50_head(features.shape[1:]), features, y, split,
                                      settings, SEED)
        fold_seconds.append(clock.seconds)
        epochs_run.append(result.epochs_run)
        if first_head is None:
            first_head = head
        fold_rows.append([split.number, result.epochs_run, clock.seconds, result.heldout_accuracy])
    catdog_total = features_clock.seconds + sum(fold_seconds)

    # Same weights, two paths: the fold-1 head on the features, and base plus head on the images.
    heldout = splits[0].heldout
    from_features = first_head.predict(features[heldout], verbose=0)
    end_to_end = models.assemble_resnet50(base, first_head).predict(x[heldout], verbose=0)
    difference = float(np.max(np.abs(from_features - end_to_end)))

    # Baseline: the full model trained end to end on fold 1, for two epochs.
    timer = make_epoch_timer()
    baseline_settings = TrainingSettings(epochs=BASELINE_EPOCHS, batch_size=BATCH, verbose=0,
                                         early_stopping_patience=BASELINE_EPOCHS + 1)
    with Stopwatch() as baseline_clock:
        _, full = train_fold(
            lambda: models.assemble_resnet50(base, models.build_resnet50_head(features.shape[1:])),
            x, y, splits[0], baseline_settings, SEED, extra_callbacks=[timer],
        )
    first_epoch, steady_epoch = timer.seconds[0], timer.seconds[1]
    overhead = baseline_clock.seconds - sum(timer.seconds)
    baseline_total = sum(overhead + first_epoch + (runs - 1) * steady_epoch for runs in epochs_run)
    speedup = baseline_total / catdog_total

    # And the other way round: the end-to-end model's trained head, applied to the features.
    head_copy = models.build_resnet50_head(features.shape[1:])
    head_copy.set_weights(full.layers[-1].get_weights())
    reverse = float(np.max(np.abs(head_copy.predict(features[heldout], verbose=0) - full.predict(x[heldout], verbose=0))))
    worst = max(difference, reverse)

    markdown = "\n\n".join([
        f"{len(dataset):,} balanced sample images at 50x50, grayscale repeated to 3 channels; 5 folds; up to {EPOCHS} "
        f"epochs, batch {BATCH}; early stopping as in the reference (patience 15 on inner-validation accuracy).",
        f"catdog: features once in {features_clock.seconds:.1f} s, then the head on each fold:",
        table(["fold", "epochs run", "seconds", "held-out accuracy"], fold_rows),
        f"catdog total: **{catdog_total:.1f} s**; a head epoch (with its inner-validation and held-out passes) "
        f"takes {sum(fold_seconds) / sum(epochs_run):.2f} s on average.",
        f"End-to-end baseline, fold 1 measured for {BASELINE_EPOCHS} epochs: first epoch {first_epoch:.1f} s (with "
        f"tracing), second epoch {steady_epoch:.1f} s, fold overhead outside the epochs {overhead:.1f} s. Extrapolated "
        f"to the epochs catdog's folds ran ({', '.join(map(str, epochs_run))}): **{baseline_total:.0f} s** "
        "(an estimate, linear in the epochs).",
        f"Speed-up: **{ratio_text(speedup)}**.",
        f"Predictions on the {len(heldout):,} held-out images of fold 1 from the same weights: largest absolute "
        f"difference {difference:.2e} (catdog's trained head, features vs. full model) and {reverse:.2e} (the "
        "end-to-end model's trained head, full model vs. features).",
    ])
    head_epoch = sum(fold_seconds) / sum(epochs_run)
    note = "baseline extrapolated from 2 measured epochs of fold 1"
    if speedup < 20.0:
        note += (
            f". {20.0 / speedup:.1f}x short: after the features ({features_clock.seconds:.0f} s), catdog's time is "
            f"{len(splits)} x up to {EPOCHS} head epochs at {head_epoch:.2f} s each. A head epoch is a dense layer "
            "on a few hundred feature vectors, so its time is Keras' fixed cost per epoch and per batch "
            "(callbacks, evaluation calls, step dispatch), not arithmetic; each baseline epoch reruns ResNet50 "
            f"({steady_epoch:.1f} s)"
        )
    targets = [
        Target("3a. ResNet50 5-fold experiment vs end to end", ">= 20x", ratio_text(speedup), speedup >= 20.0, note),
        Target("3b. same predictions", f"<= {TOLERANCE:g}", f"{worst:.1e}", worst <= TOLERANCE),
    ]
    return Result(
        name="resnet50", title="3. ResNet50 with frozen layers", command="python benchmarks/bench_resnet50.py",
        targets=targets, markdown=markdown,
        raw={"features_s": features_clock.seconds, "fold_s": fold_seconds, "epochs_run": epochs_run,
             "baseline_epochs_s": timer.seconds, "baseline_overhead_s": overhead, "baseline_total_s": baseline_total,
             "catdog_total_s": catdog_total, "head_epoch_s": head_epoch, "max_difference": worst},
    )


if __name__ == "__main__":
    main(run)
