"""Training a DCGAN on a class-per-folder dataset, from scratch or from a checkpoint."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np

from catdog.errors import CatdogError
from catdog.gan.config import GanConfig, check_image_size

log = logging.getLogger(__name__)

# Images per sample grid, shown 4 x 4.
GRID_SIZE = 16
# Adam's beta_1. Keras' default 0.9 is kept, as in the Keras and TensorFlow DCGAN
# examples that the reference follows; the DCGAN paper (Radford et al., 2015) uses 0.5.
BETA_1 = 0.9
# Grayscale, as in the reference.
CHANNELS = 1


def fixed_noise(seed: int, latent_dim: int, count: int = GRID_SIZE) -> np.ndarray:
    """Return the noise vectors behind every sample grid of a run, a function of `seed`."""
    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype(np.float32)


def architecture_of(config: GanConfig) -> dict:
    """Return the settings that a resumed run must share with its checkpoint."""
    return {"image_size": config.image_size, "latent_dim": config.latent_dim, "channels": CHANNELS, "loss": config.loss}


def build_gan(config: GanConfig):
    """Build and compile the DCGAN of `config`, with its optimizers' variables created."""
    import keras

    from catdog.gan.model import DCGAN
    from catdog.gan.networks import build_discriminator, build_generator

    keras.utils.set_random_seed(config.seed)
    generator = build_generator(config.image_size, config.latent_dim, CHANNELS, seed=config.seed)
    discriminator = build_discriminator(config.image_size, CHANNELS, seed=config.seed)
    gan = DCGAN(generator, discriminator, config.latent_dim, seed=config.seed)
    gan.compile(
        g_optimizer=keras.optimizers.Adam(config.lr, beta_1=BETA_1),
        d_optimizer=keras.optimizers.Adam(config.lr, beta_1=BETA_1),
        loss=config.loss,
    )
    gan.build_optimizers()
    return gan


def resume_checkpoint_path(run_dir: str | Path) -> Path:
    """Return the checkpoint of `run_dir`, or raise `CatdogError` when it has none."""
    from catdog.gan.checkpoint import CHECKPOINT_FILE

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CatdogError(f"Run directory not found: {run_dir}. Pass a directory written by `catdog gan` to --resume.")
    path = run_dir / CHECKPOINT_FILE
    if not path.is_file():
        raise CatdogError(
            f"No checkpoint in {run_dir}: {CHECKPOINT_FILE} is missing. A run writes one every --checkpoint-every "
            "epochs, at the end and on Ctrl-C; start a new run without --resume."
        )
    return path


def train_gan(config: GanConfig, resume: str | Path | None = None) -> Path:
    """Train the DCGAN of `config` and return its run directory.

    A new run writes into `config.out/gan-<loss>-<timestamp>/`. With `resume`, training
    continues in that run directory from its checkpoint, and `config.epochs` is the
    total number of epochs. Ctrl-C saves the checkpoint of the last completed epoch,
    then re-raises `KeyboardInterrupt`.

    Raises:
        CatdogError: on missing data, an image size that is not a multiple of 4, a
            resume directory without checkpoint, or a checkpoint of other networks or loss.
    """
    from catdog.dataset import check_data_dir, load_dataset
    from catdog.gan import checkpoint as checkpoints
    from catdog.runs import create_run_dir, write_run_record

    check_image_size(config.image_size)
    architecture = architecture_of(config)
    saved = None
    if resume is not None:
        checkpoint_path = resume_checkpoint_path(resume)
        saved = checkpoints.read(checkpoint_path)
        checkpoints.check_architecture(saved, architecture, checkpoint_path)
        if saved.epoch >= config.epochs:
            raise CatdogError(
                f"Run {resume} has already completed {saved.epoch} epochs, and --epochs counts the total. "
                f"Pass --epochs greater than {saved.epoch} to train further."
            )

    check_data_dir(config.data)
    dataset = load_dataset(config.data, image_size=config.image_size, color="grayscale")
    if len(dataset) == 0:
        raise CatdogError(f"No decodable images in {config.data}; the GAN needs at least one. Check the folder with `catdog clean-data`.")

    gan = build_gan(config)
    if saved is not None:
        checkpoints.restore(gan, saved, checkpoint_path)
        # The optimizers' states include the learning rate; --lr given on resume wins.
        gan.g_optimizer.learning_rate = config.lr
        gan.d_optimizer.learning_rate = config.lr
        run_dir = Path(resume)
        state_noise, history, first_epoch = saved.fixed_noise, saved.history, saved.epoch
        log.info("Resuming %s after epoch %d of %d.", run_dir, saved.epoch, config.epochs)
    else:
        run_dir = create_run_dir(config.out, f"gan-{config.loss}")
        state_noise, history, first_epoch = fixed_noise(config.seed, config.latent_dim), [], 0

    record = {**config.to_dict(), "resumed_from_epoch": first_epoch if saved is not None else None, "dataset": dataset.summary()}
    # A resume keeps the first run's config.json and records its own settings beside it.
    filename = "config.json" if saved is None else f"config-resume-epoch_{first_epoch:04d}.json"
    write_run_record(run_dir, "gan", record, config.seed, filename=filename)
    return _fit(gan, config, dataset.images, run_dir, architecture, state_noise, history, first_epoch)


def _fit(gan, config: GanConfig, images, run_dir: Path, architecture, noise, history, first_epoch: int) -> Path:
    from catdog.gan import checkpoint as checkpoints
    from catdog.gan.callbacks import Checkpoints, LossHistory, RunState, SampleGrids
    from catdog.gan.data import steps_per_epoch, training_batches

    state = RunState(run_dir, config.epochs, noise, architecture, history=list(history))
    state.snapshot = checkpoints.capture(gan, first_epoch, state.history, noise, architecture)
    steps = steps_per_epoch(len(images), config.batch)
    batches = training_batches(images, config.batch, config.seed, first_epoch + 1, config.epochs)
    log.info(
        "Training a DCGAN (%s loss) on %d images of %dx%d for epochs %d-%d, %d batches of up to %d per epoch; run directory %s.",
        config.loss, len(images), config.image_size, config.image_size, first_epoch + 1, config.epochs, steps, config.batch, run_dir,
    )
    # Checkpoints runs right after LossHistory, so the snapshot that Ctrl-C saves
    # catches up with the history before the slower grid is drawn.
    callbacks = [LossHistory(state), Checkpoints(state, config.checkpoint_every), SampleGrids(state, config.sample_every)]
    # Keras' progress bar on a terminal; one line per epoch in a log file.
    verbose = 1 if sys.stdout.isatty() else 2
    try:
        gan.fit(
            batches, epochs=config.epochs, initial_epoch=first_epoch, steps_per_epoch=steps,
            callbacks=callbacks, shuffle=False, verbose=verbose,
        )
    except KeyboardInterrupt:
        from catdog.gan.callbacks import save_checkpoint

        save_checkpoint(state)
        log.warning(
            "Interrupted: saved the checkpoint of epoch %d (an unfinished epoch is discarded). "
            "Continue with: catdog gan --resume %s --epochs %d",
            state.snapshot.epoch, run_dir, config.epochs,
        )
        raise
    _finish(gan, config, state)
    return run_dir


def _finish(gan, config: GanConfig, state) -> None:
    """Write the end-of-run files: last grid, checkpoint, loss plot, GIF and generator."""
    from catdog.gan.callbacks import save_checkpoint, save_loss_plot, save_sample_grid
    from catdog.plotting import save_gif
    from catdog.runs import atomic_path

    if not state.sample_path(state.epoch).exists():
        save_sample_grid(gan.generator, state, state.epoch)
    if state.epoch % config.checkpoint_every != 0:
        save_checkpoint(state)
        save_loss_plot(state)
    frames = sorted((state.run_dir / "samples").glob("epoch_*.png"))
    save_gif(frames, state.run_dir / "samples.gif")
    generator_path = state.run_dir / "generator.keras"
    with atomic_path(generator_path) as tmp:
        gan.generator.save(tmp)
    last = state.history[-1]
    log.info(
        "Finished %d epochs: d_loss_real %.4f, d_loss_fake %.4f, g_loss %.4f. Generator saved to %s.",
        state.epoch, last["d_loss_real"], last["d_loss_fake"], last["g_loss"], generator_path,
    )
