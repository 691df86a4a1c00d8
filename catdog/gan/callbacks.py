"""Keras callbacks of a GAN run: loss history, sample grids, checkpoints and loss plots.

They share one `RunState`, so the history that the CSV, the plot and the checkpoint
record is the same list, and Ctrl-C can save the state of the last completed epoch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from catdog.gan import checkpoint as checkpoints
from catdog.gan.model import METRIC_NAMES
from catdog.plotting import plot_losses, save_image_grid, to_uint8
from catdog.runs import write_csv

log = logging.getLogger(__name__)

HISTORY_COLUMNS = ("epoch", "d_loss_real", "d_loss_fake", "d_loss", "g_loss")


@dataclass
class RunState:
    """State shared by the callbacks of one run.

    Attributes:
        run_dir: the run directory.
        total_epochs: the epoch the run stops after.
        fixed_noise: float32 (16, latent_dim), the noise behind every sample grid.
        architecture: settings that fix the networks and the loss, stored in checkpoints.
        history: one row per completed epoch, the columns of `HISTORY_COLUMNS`.
        snapshot: the state after the last completed epoch, kept in memory.
    """

    run_dir: Path
    total_epochs: int
    fixed_noise: np.ndarray
    architecture: dict
    history: list[dict] = field(default_factory=list)
    snapshot: checkpoints.Checkpoint | None = None

    @property
    def epoch(self) -> int:
        """The number of completed epochs."""
        return self.history[-1]["epoch"] if self.history else 0

    def sample_path(self, epoch: int) -> Path:
        return self.run_dir / "samples" / f"epoch_{epoch:04d}.png"


def save_sample_grid(generator, state: RunState, epoch: int) -> Path:
    """Save the grid of images generated from the fixed noise after `epoch`."""
    images = generator(state.fixed_noise, training=False)
    title = f"epoch {epoch}"
    path = save_image_grid(to_uint8(np.asarray(images), (-1.0, 1.0)), title, state.sample_path(epoch), columns=4)
    log.info("Saved the sample grid of epoch %d to %s.", epoch, path)
    return path


def save_loss_plot(state: RunState) -> Path:
    """Plot the three per-epoch mean losses of the history to losses.png."""
    series = {name: [row[name] for row in state.history] for name in METRIC_NAMES}
    epochs = [row["epoch"] for row in state.history]
    title = f"DCGAN losses ({state.architecture['loss']}), epochs 1-{state.epoch}"
    return plot_losses(series, title, state.run_dir / "losses.png", epochs=epochs)


def save_checkpoint(state: RunState) -> Path:
    """Write the in-memory snapshot of the last completed epoch as the run's checkpoint."""
    path = checkpoints.write(state.snapshot, state.run_dir / checkpoints.CHECKPOINT_FILE)
    log.info("Saved the checkpoint of epoch %d to %s.", state.snapshot.epoch, path)
    return path


class LossHistory(keras.callbacks.Callback):
    """Record the epoch means of the three losses, log them and rewrite losses.csv."""

    def __init__(self, state: RunState):
        super().__init__()
        self.state = state

    def on_epoch_end(self, epoch, logs=None):
        # Keras counts epochs from 0; the run directory counts them from 1.
        number = epoch + 1
        row = {"epoch": number}
        for name in METRIC_NAMES:
            row[name] = float(logs[name])
        row["d_loss"] = row["d_loss_real"] + row["d_loss_fake"]
        self.state.history.append(row)
        write_csv(self.state.run_dir / "losses.csv", HISTORY_COLUMNS, self.state.history)
        log.info(
            "epoch %d/%d: d_loss_real %.4f, d_loss_fake %.4f, g_loss %.4f",
            number, self.state.total_epochs, row["d_loss_real"], row["d_loss_fake"], row["g_loss"],
        )


class _PeriodicCallback(keras.callbacks.Callback):
    """A callback that acts on the run state every `every` epochs."""

    def __init__(self, state: RunState, every: int):
        super().__init__()
        self.state = state
        self.every = every


class SampleGrids(_PeriodicCallback):
    """Save a grid from the fixed noise after epoch 1 and every `every` epochs."""

    def on_epoch_end(self, epoch, logs=None):
        number = epoch + 1
        if number == 1 or number % self.every == 0:
            save_sample_grid(self.model.generator, self.state, number)


class Checkpoints(_PeriodicCallback):
    """Keep a snapshot of every completed epoch; write it and the loss plot every `every` epochs."""

    def on_epoch_end(self, epoch, logs=None):
        number = epoch + 1
        self.state.snapshot = checkpoints.capture(
            self.model, number, self.state.history, self.state.fixed_noise, self.state.architecture
        )
        if number % self.every == 0:
            save_checkpoint(self.state)
            save_loss_plot(self.state)
