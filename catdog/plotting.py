"""Figures shared by every catdog command: accuracy curves, loss curves, image grids.

Figures are built with matplotlib's object API (no pyplot global state, no window),
so they render the same on a headless server, and every file is written atomically.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from catdog.runs import atomic_path


def save_figure(figure: Figure, path: str | os.PathLike, dpi: int = 110) -> Path:
    """Write `figure` to `path` (format from the suffix) atomically and return the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=dpi, bbox_inches="tight")
    return path


def plot_fold_accuracy(
    folds: Sequence[Mapping[str, Sequence[float]]],
    title: str,
    path: str | os.PathLike,
    train_key: str = "accuracy",
    heldout_key: str = "heldout_accuracy",
) -> Path:
    """Plot training and held-out accuracy per epoch, one pair of lines per fold.

    Args:
        folds: one mapping per fold, each holding a list of per-epoch values under
            `train_key` and `heldout_key`.
        title: figure title, such as "cnn, 30 epochs, batch 32".
        path: output file, usually a `.png`.
    """
    figure = Figure(figsize=(7.5, 4.5))
    axes = figure.add_subplot()
    colors = [f"C{index % 10}" for index in range(len(folds))]
    for number, (fold, color) in enumerate(zip(folds, colors), start=1):
        train = list(fold.get(train_key, []))
        heldout = list(fold.get(heldout_key, []))
        axes.plot(range(1, len(train) + 1), train, color=color, linestyle="--", linewidth=1.2, label=f"fold {number} training")
        axes.plot(range(1, len(heldout) + 1), heldout, color=color, linewidth=1.6, label=f"fold {number} held-out")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch")
    axes.set_ylabel("accuracy")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, ncol=2, loc="lower right")
    return save_figure(figure, path)


def plot_losses(
    history: Mapping[str, Sequence[float]],
    title: str,
    path: str | os.PathLike,
    epochs: Sequence[int] | None = None,
) -> Path:
    """Plot one line per named loss series against the epoch number.

    Args:
        history: loss name to per-epoch values, such as {"d_loss_real": [...]}.
        title: figure title.
        path: output file.
        epochs: the epoch number of each value; defaults to 1, 2, 3, ...
    """
    figure = Figure(figsize=(7.5, 4.5))
    axes = figure.add_subplot()
    for name, values in history.items():
        xs = list(epochs) if epochs is not None else list(range(1, len(values) + 1))
        axes.plot(xs, list(values), label=name, linewidth=1.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch")
    axes.set_ylabel("mean loss over the epoch")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    return save_figure(figure, path)


def to_uint8(images: np.ndarray, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Map float images from `value_range` linearly onto 0..255, rounding and clipping."""
    low, high = value_range
    scaled = (np.asarray(images, dtype=np.float32) - low) * (255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def save_image_grid(
    images: np.ndarray,
    title: str,
    path: str | os.PathLike,
    columns: int | None = None,
) -> Path:
    """Save uint8 images of shape (n, height, width, channels) as one titled grid."""
    images = np.asarray(images)
    count = len(images)
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(columns * 1.3, rows * 1.3 + 0.4))
    for index, image in enumerate(images):
        axes = figure.add_subplot(rows, columns, index + 1)
        if image.shape[-1] == 1:
            axes.imshow(image[:, :, 0], cmap="gray", vmin=0, vmax=255)
        else:
            axes.imshow(image)
        axes.axis("off")
    figure.suptitle(title)
    return save_figure(figure, path)


def save_gif(frames: Sequence[str | os.PathLike], path: str | os.PathLike, duration_ms: int = 500) -> Path:
    """Combine image files into an animated GIF that loops forever, written atomically.

    Frames of another size than the first are resized to it, because a GIF has one
    canvas size.

    Args:
        frames: image files in display order; at least one.
        path: output `.gif` file.
        duration_ms: display time of each frame in milliseconds. Defaults to 500.
    """
    from PIL import Image

    if not frames:
        raise ValueError("save_gif needs at least one frame.")
    images = [Image.open(frame).convert("RGB") for frame in frames]
    size = images[0].size
    images = [image if image.size == size else image.resize(size) for image in images]
    path = Path(path)
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return path


def plot_scaling(
    counts: Sequence[int],
    seconds: Mapping[str, Sequence[float]],
    title: str,
    path: str | os.PathLike,
) -> Path:
    """Plot measured seconds against the number of images, with a least-squares straight line.

    Each series gets its own panel, because load and epoch times differ by an order of
    magnitude. The dashed line is the straight-line fit (a fixed cost plus a cost per
    image), so points far from it show growth that is not linear.

    Args:
        counts: number of images of each measurement, ascending.
        seconds: series name to one time per count, such as {"cold load": [...]}.
        title: figure title.
        path: output file.
    """
    figure = Figure(figsize=(4.0 * len(seconds), 3.8))
    for index, (name, values) in enumerate(seconds.items(), start=1):
        axes = figure.add_subplot(1, len(seconds), index)
        axes.plot(counts, values, marker="o", linewidth=1.6, label="measured")
        slope, intercept = np.polyfit(np.asarray(counts, dtype=float), np.asarray(values, dtype=float), 1)
        fit = [intercept + slope * count for count in counts]
        axes.plot(counts, fit, linestyle="--", color="gray", linewidth=1.0,
                  label=f"straight line: {intercept:.1f} s + {1e3 * slope:.2f} ms/image")
        axes.set_xlabel("images")
        axes.set_ylabel("seconds")
        axes.set_title(name)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    figure.suptitle(title)
    return save_figure(figure, path)
