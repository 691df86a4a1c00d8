"""Writing new images from a trained generator into a folder of PNGs."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from catdog.errors import CatdogError

log = logging.getLogger(__name__)

GENERATOR_FILE = "generator.keras"
# Noise vectors pushed through the generator at once.
CHUNK = 256


def load_generator(run_dir: str | Path):
    """Load the generator of a run: generator.keras, else the weights in its checkpoint.

    A run stopped with Ctrl-C has no generator.keras yet, but its checkpoint contains the
    generator's weights together with the settings that rebuild it.

    Raises:
        CatdogError: when `run_dir` contains neither file.
    """
    from catdog.gan import checkpoint as checkpoints

    run_dir = Path(run_dir)
    model_path = run_dir / GENERATOR_FILE
    checkpoint_path = run_dir / checkpoints.CHECKPOINT_FILE
    if not model_path.is_file() and not checkpoint_path.is_file():
        raise CatdogError(
            f"No trained generator in {run_dir}: neither {GENERATOR_FILE} nor {checkpoints.CHECKPOINT_FILE} exists. "
            "Pass a run directory written by `catdog gan`."
        )

    import keras

    from catdog.gan.networks import build_generator

    if model_path.is_file():
        return keras.models.load_model(model_path)
    saved = checkpoints.read(checkpoint_path)
    arch = saved.architecture
    generator = build_generator(arch["image_size"], arch["latent_dim"], arch["channels"])
    for variable, value in zip(generator.variables, saved.variables["generator"]):
        variable.assign(value)
    log.info("Loaded the generator of epoch %d from %s.", saved.epoch, checkpoint_path)
    return generator


def generate_images(run_dir: str | Path, count: int, out: str | Path, seed: int = 123) -> list[Path]:
    """Write `count` generated images to `out/generated_0001.png` and onwards; return their paths.

    The generator's tanh output in [-1, 1] is mapped linearly onto 0..255.

    Args:
        run_dir: a run directory written by `catdog gan`.
        count: number of images.
        out: output folder, created when missing; existing files are never overwritten.
        seed: seed of the noise vectors. Defaults to 123.

    Raises:
        CatdogError: when the run has no generator or an output file already exists.
    """
    from PIL import Image

    from catdog.plotting import to_uint8
    from catdog.runs import atomic_path

    out = Path(out)
    paths = [out / f"generated_{index:04d}.png" for index in range(1, count + 1)]
    clashes = [path for path in paths if path.exists()]
    if clashes:
        raise CatdogError(f"{clashes[0]} already exists; pass an empty or new folder to --out.")

    generator = load_generator(run_dir)
    latent_dim = generator.input_shape[-1]
    noise = np.random.default_rng(seed).standard_normal((count, latent_dim)).astype(np.float32)
    out.mkdir(parents=True, exist_ok=True)
    for start in range(0, count, CHUNK):
        images = to_uint8(np.asarray(generator(noise[start : start + CHUNK], training=False)), (-1.0, 1.0))
        for image, path in zip(images, paths[start : start + CHUNK]):
            pixels = image[:, :, 0] if image.shape[-1] == 1 else image
            with atomic_path(path) as tmp:
                Image.fromarray(pixels).save(tmp, format="PNG")
    log.info("Wrote %d generated images to %s.", count, out)
    return paths
