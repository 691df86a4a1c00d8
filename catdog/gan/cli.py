"""Click commands of catdog.gan: `catdog gan` and `catdog generate`."""

from __future__ import annotations

import click

from catdog.config import resolve
from catdog.gan.config import LOSSES, SCHEMA
from catdog.options import config_option, data_option, out_option, seed_option


@click.command("gan")
@data_option
@click.option("--loss", type=click.Choice(LOSSES), default=None, help="bce: cross-entropy on logits; mse: squared error (least-squares GAN). Defaults to bce.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Epochs to train; with --resume, the total including those done. Defaults to 100.")
@click.option("--batch", type=click.IntRange(min=1), default=None, help="Real images per batch. Defaults to 64.")
@click.option("--image-size", type=click.IntRange(min=4), default=None, help="Side of the square images in pixels, a multiple of 4. Defaults to 32.")
@click.option("--latent-dim", type=click.IntRange(min=1), default=None, help="Length of the noise vector. Defaults to 100.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None, help="Adam learning rate of both networks. Defaults to 1e-4.")
@seed_option
@out_option
@click.option("--sample-every", type=click.IntRange(min=1), default=None, help="Save a grid of 16 samples every N epochs (and after epoch 1). Defaults to 5.")
@click.option("--checkpoint-every", type=click.IntRange(min=1), default=None, help="Save a checkpoint and the loss plot every N epochs (and at the end). Defaults to 10.")
@config_option
@click.option(
    "--resume",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Continue the run in this directory from its checkpoint; its saved settings apply unless given here.",
)
def gan_command(config_path, resume, **options):
    """Train a DCGAN that generates grayscale cat and dog images.

    Writes runs/gan-<loss>-<timestamp>/ with config.json, samples/epoch_NNNN.png,
    losses.csv, losses.png, checkpoint.npz, samples.gif and generator.keras.
    Ctrl-C saves a checkpoint first.

    \b
    Examples:
      catdog gan --loss mse --epochs 100
      catdog gan --config configs/gan-quick.toml
      catdog gan --resume runs/gan-mse-20261204-120000 --epochs 150
    """
    from catdog.gan.config import GanConfig
    from catdog.gan.train import train_gan

    if resume is not None:
        options = {**saved_settings(resume), **{key: value for key, value in options.items() if value is not None}}
    settings = resolve(SCHEMA, config_path, options)
    try:
        train_gan(GanConfig.from_dict(settings), resume=resume)
    except KeyboardInterrupt:
        # train_gan has saved a checkpoint and logged the --resume command.
        raise SystemExit(130) from None


def saved_settings(run_dir: str) -> dict:
    """Return the settings of the latest record in `run_dir`, or {} when there is none.

    The first run writes config.json and each resume writes
    config-resume-epoch_NNNN.json; the zero-padded epoch makes the names sort in
    order, so the last one contains the settings in force.
    """
    from pathlib import Path

    from catdog.runs import read_json

    records = sorted(Path(run_dir).glob("config-resume-epoch_*.json"))
    record_path = records[-1] if records else Path(run_dir) / "config.json"
    if not record_path.is_file():
        return {}
    saved = read_json(record_path).get("config", {})
    return {key: value for key, value in saved.items() if key in SCHEMA}


@click.command("generate")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=str))
@click.option("--count", type=click.IntRange(min=1), default=64, show_default=True, help="Number of images to write.")
@click.option("--out", type=click.Path(file_okay=False, path_type=str), default=None, help="Output folder of PNGs. Defaults to RUN_DIR/generated.")
@click.option("--seed", type=int, default=123, show_default=True, help="Seed of the noise vectors.")
def generate_command(run_dir, count, out, seed):
    """Write new images from the generator of a `catdog gan` run as PNG files.

    \b
    Example:
      catdog generate runs/gan-mse-20261204-120000 --count 64 --out generated/
    """
    from pathlib import Path

    from catdog.gan.generate import generate_images

    generate_images(run_dir, count, out if out is not None else Path(run_dir) / "generated", seed=seed)


commands = [gan_command, generate_command]
