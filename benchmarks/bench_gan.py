"""GAN: an epoch of catdog's `fit` against a plain per-batch loop over the same step.

All three variants train the DCGAN (32x32 grayscale, batch 64, cross-entropy loss) on
the same batches from catdog's input pipeline, each from a freshly built model:

- catdog: `DCGAN.fit` with the callbacks of `catdog gan` (loss history, sample grids,
  in-memory snapshot of every epoch), as `train_gan` runs it;
- plain loop: `DCGAN.train_step` called eagerly batch by batch, with the three losses
  converted to Python floats after every batch;
- compiled loop: the same loop over `tf.function(DCGAN.train_step)`, to show how much of
  the difference is the compiled step and how much is the loop.

The first epoch of each variant includes tracing and start-up and is left out.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import SEED, Result, Target, main, make_epoch_timer, median, ratio_text, sample_dataset, table, work_dir

IMAGES = 384  # 6 batches of 64; a DCGAN training step costs about 0.8 GFLOP per image (estimate)
EPOCHS = 3
BATCH = 64


def gan_config(out: Path):
    from catdog.gan.config import GanConfig

    return GanConfig(data="unused", loss="bce", epochs=EPOCHS, batch=BATCH, image_size=32, seed=SEED, out=str(out))


def catdog_epochs(images, out: Path) -> list[float]:
    from catdog.gan import checkpoint as checkpoints
    from catdog.gan.callbacks import Checkpoints, LossHistory, RunState, SampleGrids
    from catdog.gan.data import steps_per_epoch, training_batches
    from catdog.gan.train import architecture_of, build_gan, fixed_noise

    config = gan_config(out)
    gan = build_gan(config)
    architecture = architecture_of(config)
    noise = fixed_noise(config.seed, config.latent_dim)
    state = RunState(out, config.epochs, noise, architecture)
    state.snapshot = checkpoints.capture(gan, 0, state.history, noise, architecture)
    timer = make_epoch_timer()
    callbacks = [LossHistory(state), SampleGrids(state, config.sample_every),
                 Checkpoints(state, config.checkpoint_every), timer]
    batches = training_batches(images, BATCH, SEED, 1, EPOCHS)
    gan.fit(batches, epochs=EPOCHS, steps_per_epoch=steps_per_epoch(len(images), BATCH), callbacks=callbacks,
            shuffle=False, verbose=0)
    return timer.seconds


def loop_epochs(images, out: Path, compiled: bool) -> list[float]:
    import tensorflow as tf

    from catdog.gan.data import steps_per_epoch, training_batches
    from catdog.gan.model import METRIC_NAMES
    from catdog.gan.train import build_gan

    gan = build_gan(gan_config(out))
    step = tf.function(gan.train_step) if compiled else gan.train_step
    batches = iter(training_batches(images, BATCH, SEED, 1, EPOCHS))
    seconds = []
    for _ in range(EPOCHS):
        start = time.perf_counter()
        for tracker in gan.trackers.values():
            tracker.reset_state()
        for _ in range(steps_per_epoch(len(images), BATCH)):
            logs = step(next(batches))
            losses = [float(logs[name]) for name in METRIC_NAMES]
        seconds.append(time.perf_counter() - start)
    assert len(losses) == 3
    return seconds


def run() -> Result:
    import keras

    images = sample_dataset(IMAGES, image_size=32).images
    runs = {}
    with tempfile.TemporaryDirectory(dir=work_dir()) as out:
        for name in ("plain", "catdog", "compiled"):
            keras.backend.clear_session(free_memory=True)
            run_dir = Path(out) / name
            run_dir.mkdir()
            if name == "catdog":
                runs[name] = catdog_epochs(images, run_dir)
            else:
                runs[name] = loop_epochs(images, run_dir, compiled=name == "compiled")
    steady = {name: median(seconds[1:]) for name, seconds in runs.items()}
    speedup = steady["plain"] / steady["catdog"]
    labels = {"plain": "plain loop, eager step", "compiled": "loop over tf.function step", "catdog": "catdog `fit`"}
    rows = [[labels[name], steady[name], IMAGES / steady[name], ratio_text(steady["plain"] / steady[name]),
             " / ".join(f"{s:.2f}" for s in runs[name])] for name in ("plain", "compiled", "catdog")]
    markdown = "\n\n".join([
        f"{IMAGES} sample images at 32x32 grayscale, batch {BATCH}, {EPOCHS} epochs per variant; steady epoch = "
        "median of epochs 2 and later.",
        table(["variant", "steady epoch (s)", "images/s", "speed-up over plain loop", "every epoch (s)"], rows),
        f"catdog over the plain loop: **{ratio_text(speedup)}**; over the compiled loop: "
        f"{ratio_text(steady['compiled'] / steady['catdog'])}.",
    ])
    compiled_ratio = steady["compiled"] / steady["catdog"]
    note = f"{ratio_text(compiled_ratio)} over the same loop around `tf.function(train_step)`."
    if speedup < 1.5:
        note += (" Each step is dominated by the convolutions' arithmetic on this CPU, so removing the per-batch "
                 "Python dispatch and the loss-to-float synchronisation saves only what the table shows.")
    return Result(
        name="gan", title="4. GAN epoch", command="python benchmarks/bench_gan.py",
        targets=[Target("4. GAN epoch vs plain loop", ">= 1.5x", ratio_text(speedup), speedup >= 1.5, note)],
        markdown=markdown, raw={"runs": runs, "steady": steady},
    )


if __name__ == "__main__":
    main(run)
