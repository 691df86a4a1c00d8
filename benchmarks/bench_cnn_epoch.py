"""Training: a CNN epoch through catdog's `train_fold` against a bare `model.fit`.

Both train the reference CNN on fold 1 of 5 of a 2,500-image balanced subset of the
sample (50x50 grayscale, batch 32) from in-memory float32 arrays. catdog's epoch is the whole of what `catdog cv` does
per epoch: training on the fit images, the inner-validation pass that the callbacks
watch, the held-out evaluation for the plots, and saving the best model to disk. The
bare baseline only trains on the same fit images. A third run, "Keras, same work",
adds the same two evaluation passes to the bare fit, to separate the cost of the
work from the cost of catdog's code. The target is judged on CPU seconds of the
process, which other jobs on a shared machine disturb far less than wall-clock time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import (
    SEED,
    Result,
    Target,
    cpu_facts,
    main,
    make_epoch_timer,
    median,
    peak_gflops_estimate,
    ratio_text,
    sample_dataset,
    table,
    work_dir,
)

# A subset keeps `make bench` short. Fixed per-epoch costs, such as saving the model,
# weigh more on it than on the full dataset, so the ratio errs on the slow side.
IMAGES = 2500
EPOCHS = 4  # the first epoch includes tracing and is left out of the steady-state time
REPEATS = 2
BATCH = 32
LIMIT = 1.10


def forward_flops(model) -> tuple[int, list[list[object]]]:
    """Count the multiply-add FLOPs of one image's forward pass from the layer shapes.

    A convolution costs 2 x output height x output width x kernel height x kernel
    width x input channels x filters; a dense layer 2 x inputs x units. Bias adds,
    activations, pooling and dropout are left out: they are a fraction of a percent.
    """
    import keras

    total, rows = 0, []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, height, width, filters = layer.output.shape
            kernel_h, kernel_w = layer.kernel_size
            flops = 2 * height * width * kernel_h * kernel_w * layer.input.shape[-1] * filters
        elif isinstance(layer, keras.layers.Dense):
            flops = 2 * layer.input.shape[-1] * layer.units
        else:
            continue
        total += flops
        rows.append([layer.name, str(tuple(layer.output.shape[1:])), flops / 1e6])
    return total, rows


def load_fold():
    import numpy as np

    from catdog.classify.cv import split_folds
    from catdog.classify.models import prepare_inputs

    dataset = sample_dataset(IMAGES)
    x = prepare_inputs("cnn", dataset.images)
    y = dataset.labels.astype(np.float32)
    split = split_folds(dataset, 5, 0.1, SEED)[0]
    return x, y, split


def catdog_epochs(x, y, split, checkpoint_dir: Path):
    from catdog.classify.models import build_cnn
    from catdog.classify.training import TrainingSettings, train_fold

    timer = make_epoch_timer()
    settings = TrainingSettings(epochs=EPOCHS, batch_size=BATCH, verbose=0)
    train_fold(lambda: build_cnn(50, 1), x, y, split, settings, SEED,
               checkpoint_path=checkpoint_dir / "best.keras", extra_callbacks=[timer])
    return timer


def bare_epochs(x, y, split, same_work: bool = False):
    import keras

    from catdog.classify.models import build_cnn, compile_classifier

    keras.backend.clear_session(free_memory=True)
    keras.utils.set_random_seed(SEED + split.number)
    model = compile_classifier(build_cnn(50, 1))
    timer = make_epoch_timer()
    callbacks, validation = [timer], None
    if same_work:
        x_heldout, y_heldout = x[split.heldout], y[split.heldout]

        class Evaluate(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                self.model.evaluate(x_heldout, y_heldout, batch_size=BATCH, verbose=0)

        callbacks = [Evaluate(), timer]
        validation = (x[split.validation], y[split.validation])
    model.fit(x[split.fit], y[split.fit], validation_data=validation, epochs=EPOCHS, batch_size=BATCH,
              shuffle=True, verbose=0, callbacks=callbacks)
    return timer


def part_costs(x, y, split) -> dict[str, float]:
    """Time, in CPU seconds, the extra work of catdog's epoch: the two evaluation passes and one save."""
    import time

    import keras

    from catdog.classify.models import build_cnn, compile_classifier

    keras.backend.clear_session(free_memory=True)
    model = compile_classifier(build_cnn(50, 1))
    model.fit(x[split.fit][:BATCH], y[split.fit][:BATCH], epochs=1, batch_size=BATCH, verbose=0)
    parts = {"held-out evaluation": [], "inner-validation pass": [], "saving the model (.keras)": []}
    with tempfile.TemporaryDirectory(dir=work_dir()) as folder:
        for _ in range(4):
            for name, action in (
                ("held-out evaluation", lambda: model.evaluate(x[split.heldout], y[split.heldout], batch_size=BATCH, verbose=0)),
                ("inner-validation pass", lambda: model.evaluate(x[split.validation], y[split.validation], batch_size=BATCH, verbose=0)),
                ("saving the model (.keras)", lambda: model.save(Path(folder) / "best.keras")),
            ):
                start = time.process_time()
                action()
                parts[name].append(time.process_time() - start)
    # The first round includes tracing the evaluation function.
    return {name: median(values[1:]) for name, values in parts.items()}


def run() -> Result:
    from catdog.classify.models import build_cnn

    x, y, split = load_fold()
    n_fit, n_eval = len(split.fit), len(split.validation) + len(split.heldout)
    runs = {"catdog": [], "bare": [], "same_work": []}
    cpu_runs = {"catdog": [], "bare": [], "same_work": []}

    for repeat in range(REPEATS):
        with tempfile.TemporaryDirectory(dir=work_dir()) as checkpoint_dir:
            # Alternate the order, so a slow spell on the shared machine hurts both sides.
            order = ["catdog", "bare", "same_work"] if repeat % 2 == 0 else ["same_work", "bare", "catdog"]
            for name in order:
                if name == "catdog":
                    timer = catdog_epochs(x, y, split, Path(checkpoint_dir))
                else:
                    timer = bare_epochs(x, y, split, same_work=name == "same_work")
                runs[name].append(timer.seconds)
                cpu_runs[name].append(timer.cpu_seconds)
    # Every steady epoch of every run pooled per variant: with the machine shared, the
    # median of 6 epochs moves less than a ratio of two single runs.
    steady = {name: median(s for seconds in per_run for s in seconds[1:]) for name, per_run in runs.items()}
    ratio, work_ratio = steady["catdog"] / steady["bare"], steady["catdog"] / steady["same_work"]
    # CPU seconds of this process move less than wall-clock seconds when other
    # processes load the shared machine, so they are shown as a cross-check.
    cpu = {name: median(s for seconds in per_run for s in seconds[1:]) for name, per_run in cpu_runs.items()}
    cpu_ratio = cpu["catdog"] / cpu["bare"]

    parts = part_costs(x, y, split)
    flops, flop_rows = forward_flops(build_cnn(50, 1))
    # Training an image costs about three forward passes: the forward pass, then
    # gradients with respect to the activations and to the weights, each about as
    # many multiply-adds as the forward pass. Evaluation is one forward pass.
    train_flops = 3 * flops
    peak, peak_how = peak_gflops_estimate(cpu_facts())
    epoch_flops = {
        "catdog": n_fit * train_flops + n_eval * flops,
        "bare": n_fit * train_flops,
        "same_work": n_fit * train_flops + n_eval * flops,
    }
    labels = {"catdog": "catdog `train_fold`", "bare": "bare `model.fit`", "same_work": "Keras, same work"}
    rows = []
    for name in ("bare", "same_work", "catdog"):
        gflops = epoch_flops[name] / steady[name] / 1e9
        share = f"{100 * gflops / peak:.0f}%" if peak else "n/a"
        rows.append([labels[name], steady[name], cpu[name], n_fit / steady[name], gflops, share,
                     " / ".join(f"{s:.2f}" for run_seconds in runs[name] for s in run_seconds)])

    markdown = "\n\n".join([
        f"Fold 1 of 5 of the sample: {n_fit:,} fit images, {len(split.validation):,} inner-validation images, "
        f"{len(split.heldout):,} held-out images; batch {BATCH}; {EPOCHS} epochs per run, {REPEATS} runs per variant. "
        "The steady epoch is the median of epochs 2 and later (epoch 1 includes tracing).",
        table(["variant", "steady epoch (s)", "CPU s per epoch", "fit images/s", "GFLOP/s", "of peak (est.)", "every epoch (s)"], rows),
        f"catdog / bare in CPU seconds of the process: **{ratio_text(cpu_ratio)}**, the figure the target uses, "
        f"because wall-clock ratios of the same code swing by tens of % with the other jobs on this machine. "
        f"Wall-clock (ratio of the median steady epochs): catdog / bare {ratio_text(ratio)}, catdog / Keras doing "
        f"the same work {ratio_text(work_ratio)}.",
        "CPU seconds of the work catdog adds to each epoch (median of 3 after one warm-up; the save happens "
        "only in epochs where inner-validation accuracy improves):",
        table(["part", "CPU s", "share of a bare epoch"], [[name, value, f"{100 * value / cpu['bare']:.0f}%"]
                                                           for name, value in parts.items()]),
        f"FLOPs per image, counted from the layer shapes (2 x multiply-adds of each convolution and dense layer): "
        f"{flops / 1e6:.1f} MFLOP forward, about {train_flops / 1e6:.0f} MFLOP to train (forward plus two backward "
        "products of the same size).",
        table(["layer", "output", "MFLOP forward"], flop_rows),
        f"Peak estimate: {peak_how} = {peak:.0f} GFLOP/s. It is an estimate from the CPU flags and the clock that "
        "/proc/cpuinfo reports, not a measurement.",
    ])
    extra = sum(parts.values()) / cpu["bare"]
    # The verdict uses CPU seconds: on this shared machine the wall-clock ratio of the
    # same code moved between 0.94x and 1.91x from one run to the next, the CPU ratio
    # between 1.09x and 1.19x.
    gap = cpu_ratio - LIMIT
    note = (
        f"In CPU seconds; wall-clock ratio {ratio_text(ratio)}, which other jobs on the machine move by tens of %. "
        "Runs of the same code on 2026-12-04 gave CPU ratios from 1.08x to 1.22x, so this target sits at its limit: "
        f"the per-epoch inner-validation and held-out passes alone cost {100 * extra:.0f}% of a bare epoch here."
    )
    if cpu_ratio > LIMIT:
        note += (
            f" {100 * gap:.0f} points over. catdog's epoch also runs a forward pass over the {n_eval:,} "
            f"inner-validation and held-out images ({100 * n_eval * flops / (n_fit * train_flops):.0f}% of the "
            f"training FLOPs) and saves the model when accuracy improves. The reference protocol asks for that work every epoch; "
            f"against Keras doing the same work catdog's wall-clock ratio is {ratio_text(work_ratio)}."
        )
    return Result(
        name="cnn_epoch", title="2. Training: CNN epoch", command="python benchmarks/bench_cnn_epoch.py",
        targets=[Target("2. CNN epoch, catdog / bare fit", f"<= {LIMIT:.2f}x", ratio_text(cpu_ratio),
                        cpu_ratio <= LIMIT, note)],
        markdown=markdown,
        raw={"runs": runs, "steady": steady, "cpu_runs": cpu_runs, "cpu_ratio": cpu_ratio, "parts_cpu_s": parts, "forward_flops": flops,
             "peak_gflops": peak},
    )


if __name__ == "__main__":
    main(run)
