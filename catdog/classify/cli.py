"""Click commands of catdog.classify: `catdog cv`."""

from __future__ import annotations

import logging

import click

from catdog import config
from catdog.classify.settings import CV_SCHEMA, MODEL_NAMES, check_settings
from catdog.dataset.decode import COLORS
from catdog.dataset.files import list_images
from catdog.options import config_option, data_option, int_list_callback, out_option, seed_option

log = logging.getLogger(__name__)


@click.command("cv")
@data_option
@click.option(
    "--model",
    "models",
    type=click.Choice([*MODEL_NAMES, "all"]),
    multiple=True,
    help="Model to cross-validate; repeat it for several, or pass all. Defaults to all three.",
)
@click.option("--epochs", callback=int_list_callback, help="Epochs per fold: one value or a list such as 30,60. Defaults to 30.")
@click.option("--batch", callback=int_list_callback, help="Batch size: one value or a list such as 32,64. Defaults to 32.")
@click.option("--folds", type=click.IntRange(min=2), default=None, help="Number of cross-validation folds. Defaults to 5.")
@click.option("--image-size", type=click.IntRange(min=8), default=None, help="Side of the square input images in pixels. Defaults to 50.")
@click.option("--color", type=click.Choice(COLORS), default=None, help="Input colour. Defaults to grayscale.")
@click.option(
    "--weights",
    default=None,
    help="ResNet50 weights: imagenet (downloaded once by Keras), none (random), or a weights file. Defaults to imagenet.",
)
@click.option(
    "--validation-split",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=None,
    help="Share of each fold's training images that the callbacks watch. Defaults to 0.1.",
)
@click.option("--no-save-models", is_flag=True, default=False, help="Do not write each fold's best model (.keras).")
@seed_option
@out_option
@config_option
@click.option("--resume", "resume_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Finish an interrupted run directory with its recorded settings; finished folds are kept.")
@click.option("--quiet", is_flag=True, help="One line per fold instead of Keras' progress bar.")
def cv_command(models, epochs, batch, folds, image_size, color, weights, validation_split, no_save_models,
               seed, out, config_path, data, resume_dir, quiet):
    """Cross-validate the perceptron, CNN and ResNet50 classifiers.

    Runs every combination of --epochs and --batch for each --model with stratified
    k-fold cross-validation: a fresh model per fold, callbacks that watch an inner
    validation split, and byte-identical pictures kept in one fold. Each run writes a
    directory under --out with the configuration, per-epoch history, scores, plots,
    the best model of each fold and a results table beside the reference values.

    \b
    Examples:
      catdog cv --model cnn --epochs 60 --batch 64
      catdog cv --model cnn --model perceptron --epochs 30,60 --batch 32,64
      catdog cv --config configs/report.toml
      catdog cv --model resnet50 --weights none --epochs 2
    """
    options = {
        "data": data, "models": list(models) or None, "epochs": epochs, "batch": batch, "folds": folds,
        "image_size": image_size, "color": color, "seed": seed, "out": out, "weights": weights,
        "validation_split": validation_split, "save_models": False if no_save_models else None,
    }
    if resume_dir is not None:
        given = sorted(name for name, value in options.items() if value is not None)
        if given or config_path:
            flags = ", ".join("--" + name.replace("_", "-") for name in given) or "--config"
            raise click.UsageError(f"--resume continues a run with its recorded settings; drop {flags}.")
        settings = {}
    else:
        if options["models"] is not None:
            options["models"] = CV_SCHEMA["models"].convert(options["models"])
        settings = config.resolve(CV_SCHEMA, config_path, options)
        # Catch bad settings and a bad data folder before the seconds-long Keras import.
        check_settings(settings)
        list_images(settings["data"])
    from catdog.classify.cv import run_cross_validation

    try:
        run_cross_validation(settings, resume_dir=resume_dir, quiet=quiet)
    except KeyboardInterrupt:
        # run_cross_validation has logged the --resume command with the run directory.
        raise SystemExit(130) from None


commands = [cv_command]
