"""Checkpoints of a GAN run: everything needed to continue training exactly.

One file, `checkpoint.npz`, contains the variables of both networks (weights, batch-norm
statistics and dropout seed states), the noise seed state, both optimizers' states
(iteration count and Adam moments), the epoch counter, the loss history, the fixed
noise vector of the sample grids and the settings that fix the architecture. It is
replaced atomically, so an interrupted write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from catdog.errors import CatdogError
from catdog.runs import atomic_path

CHECKPOINT_FILE = "checkpoint.npz"
CHECKPOINT_FORMAT = 1
# Settings that change the networks' shapes or the objective; a resumed run must match them.
ARCHITECTURE_KEYS = ("image_size", "latent_dim", "channels", "loss")


@dataclass
class Checkpoint:
    """The state of a GAN run after a completed epoch.

    Attributes:
        epoch: epochs completed, 0 before the first one.
        history: one dict per completed epoch: epoch, d_loss_real, d_loss_fake, d_loss, g_loss.
        fixed_noise: float32 (16, latent_dim), the noise behind every sample grid.
        architecture: the values of `ARCHITECTURE_KEYS`.
        variables: group name ("generator", "discriminator", "noise_seed",
            "g_optimizer", "d_optimizer") to the list of its variables' values.
    """

    epoch: int
    history: list[dict]
    fixed_noise: np.ndarray
    architecture: dict
    variables: dict[str, list[np.ndarray]] = field(default_factory=dict)


def variable_groups(gan) -> dict[str, list]:
    """Return the variables of `gan` to save, by group, in a fixed order."""
    return {
        "generator": list(gan.generator.variables),
        "discriminator": list(gan.discriminator.variables),
        "noise_seed": [gan.noise_seed.state],
        "g_optimizer": list(gan.g_optimizer.variables),
        "d_optimizer": list(gan.d_optimizer.variables),
    }


def capture(gan, epoch: int, history: list[dict], fixed_noise: np.ndarray, architecture: dict) -> Checkpoint:
    """Copy the current state of `gan` to host memory as a `Checkpoint`."""
    values = {name: [np.array(variable.numpy()) for variable in group] for name, group in variable_groups(gan).items()}
    return Checkpoint(
        epoch=epoch,
        history=[dict(row) for row in history],
        fixed_noise=np.asarray(fixed_noise, dtype=np.float32),
        architecture=dict(architecture),
        variables=values,
    )


def write(checkpoint: Checkpoint, path: str | os.PathLike) -> Path:
    """Write `checkpoint` to `path` atomically and return the path."""
    path = Path(path)
    meta = {
        "format": CHECKPOINT_FORMAT,
        "epoch": checkpoint.epoch,
        "history": checkpoint.history,
        "architecture": checkpoint.architecture,
        "groups": {name: len(values) for name, values in checkpoint.variables.items()},
    }
    arrays = {"meta": np.asarray(json.dumps(meta)), "fixed_noise": checkpoint.fixed_noise}
    for name, values in checkpoint.variables.items():
        for index, value in enumerate(values):
            arrays[f"{name}/{index}"] = value
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
    return path


def read(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by `write`.

    Raises:
        CatdogError: when the file is missing or is not a catdog GAN checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise CatdogError(f"No checkpoint found: {path} does not exist. Pass a run directory written by `catdog gan`.")
    try:
        with np.load(path, allow_pickle=False) as arrays:
            meta = json.loads(str(arrays["meta"]))
            variables = {
                name: [arrays[f"{name}/{index}"] for index in range(count)]
                for name, count in meta["groups"].items()
            }
            fixed_noise = arrays["fixed_noise"]
    except (OSError, ValueError, KeyError) as error:
        raise CatdogError(f"Invalid checkpoint {path}: {error}. Resume from a run directory written by `catdog gan`.") from None
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise CatdogError(f"Checkpoint {path} has format {meta.get('format')}; this catdog reads format {CHECKPOINT_FORMAT}.")
    return Checkpoint(meta["epoch"], meta["history"], fixed_noise, meta["architecture"], variables)


def check_architecture(checkpoint: Checkpoint, architecture: dict, path: str | os.PathLike) -> None:
    """Raise `CatdogError` when the checkpoint was trained with other networks or another loss."""
    for key in ARCHITECTURE_KEYS:
        saved = checkpoint.architecture.get(key)
        if saved != architecture[key]:
            option = "--" + key.replace("_", "-")
            raise CatdogError(
                f"Checkpoint {path} was trained with {key}={saved}, but this run asks for {key}={architecture[key]}. "
                f"Resume with {option} {saved}, or start a new run without --resume."
            )


def restore(gan, checkpoint: Checkpoint, path: str | os.PathLike) -> None:
    """Assign the checkpoint's values to the variables of `gan` (optimizers built first).

    Raises:
        CatdogError: when a group's variable count or a variable's shape differs.
    """
    gan.build_optimizers()
    for name, group in variable_groups(gan).items():
        values = checkpoint.variables.get(name, [])
        if len(values) != len(group):
            raise CatdogError(
                f"Checkpoint {path} contains {len(values)} {name} variables, but the network has {len(group)}. "
                "It comes from a different architecture; start a new run without --resume."
            )
        for variable, value in zip(group, values):
            if tuple(variable.shape) != value.shape:
                raise CatdogError(
                    f"Checkpoint {path} stores {variable.path} with shape {value.shape}, but the network needs "
                    f"{tuple(variable.shape)}. It comes from a different architecture; start a new run without --resume."
                )
            variable.assign(value)
