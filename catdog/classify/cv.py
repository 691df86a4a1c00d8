"""The cross-validation loop shared by every model and every (epochs, batch) experiment."""

from __future__ import annotations

import hashlib
import itertools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from catdog.classify import models
from catdog.classify.features import compute_resnet50_features, resnet50_weights_argument
from catdog.classify.folds import inner_split, make_folds
from catdog.classify.report import experiment_label, write_experiment_outputs, write_results
from catdog.classify.settings import check_settings
from catdog.classify.training import FoldResult, FoldSplit, TrainingSettings, train_fold
from catdog.dataset import Dataset, load_dataset
from catdog.errors import CatdogError
from catdog.runs import create_run_dir, read_json, write_json, write_run_record

log = logging.getLogger(__name__)


@dataclass
class ModelInputs:
    """The input array that the folds of one model train on, and a builder of fresh models."""

    x: np.ndarray
    build: Any  # callable returning an uncompiled keras.Model
    resnet50_base: Any = None  # the frozen base, kept to save full ResNet50 models


def duplicate_paths(dataset: Dataset) -> list[list[str]]:
    """Return the paths of each group of byte-identical files, one list per group."""
    groups = dataset.duplicate_groups()
    counts = np.bincount(groups)
    return [[dataset.paths[i] for i in np.flatnonzero(groups == group)] for group in np.flatnonzero(counts > 1)]


def cross_label_duplicates(dataset: Dataset) -> list[list[str]]:
    """Return the paths of each byte-identical picture filed under more than one class."""
    index = {path: number for number, path in enumerate(dataset.paths)}
    return [
        paths for paths in duplicate_paths(dataset)
        if len({int(dataset.labels[index[path]]) for path in paths}) > 1
    ]


def split_folds(dataset: Dataset, n_splits: int, validation_split: float, seed: int) -> list[FoldSplit]:
    """Build the outer folds and the inner validation split of each fold."""
    groups = dataset.duplicate_groups()
    splits = []
    for number, (train, heldout) in enumerate(make_folds(dataset.labels, groups, n_splits, seed), start=1):
        fit, validation = inner_split(train, dataset.labels, groups, validation_split, seed + number)
        splits.append(FoldSplit(number=number, fit=fit, validation=validation, heldout=heldout))
    return splits


def prepare_model_inputs(
    model_name: str, dataset: Dataset, settings: dict, verbose: int, resnet50_base=None
) -> ModelInputs:
    """Scale the images for `model_name`; for ResNet50, compute its frozen features once."""
    x = models.prepare_inputs(model_name, dataset.images)
    size, channels = x.shape[1], x.shape[-1]
    if model_name == "perceptron":
        return ModelInputs(x, lambda: models.build_perceptron(size, channels))
    if model_name == "cnn":
        return ModelInputs(x, lambda: models.build_cnn(size, channels))
    features, base = compute_resnet50_features(x, settings["weights"], verbose=verbose, base=resnet50_base)
    return ModelInputs(features, lambda: models.build_resnet50_head(features.shape[1:]), base)


def dataset_fingerprint(dataset: Dataset) -> str:
    """Hash the relative paths and contents of the loaded images, to detect a changed dataset."""
    digest = hashlib.sha256()
    for path, content_hash in zip(dataset.paths, dataset.hashes):
        digest.update(f"{path}\0{content_hash}\n".encode())
    return digest.hexdigest()


def check_resumable(run_dir: Path, dataset: Dataset) -> None:
    """Reject a resume when the images differ from those the run started with."""
    recorded = read_json(run_dir / "dataset.json").get("fingerprint") if (run_dir / "dataset.json").exists() else None
    if recorded is not None and recorded != dataset_fingerprint(dataset):
        raise CatdogError(
            f"The images in {dataset.root} changed since the run in {run_dir} started, so its finished folds "
            "no longer match new ones. Restore the original images, or start a new run without --resume."
        )


def run_cross_validation(settings: dict, resume_dir: str | Path | None = None, quiet: bool = False) -> Path:
    """Run every (model, epochs, batch) experiment of `settings` and write the results.

    Every check that can fail (settings, dataset, folds, ResNet50 weights) runs before
    a new run directory is created, so a failed start leaves nothing behind.

    Args:
        settings: resolved settings, keyed as in `CV_SCHEMA`.
        resume_dir: an earlier run directory to finish; its recorded settings are
            used and folds that already have a result are not trained again.
        quiet: one line per fold instead of Keras' progress bar.

    Returns:
        The run directory.

    Raises:
        CatdogError: on invalid settings or data, or a resume over changed images.
    """
    if resume_dir is not None:
        settings = load_recorded_settings(Path(resume_dir))
    check_settings(settings)
    dataset = load_dataset(settings["data"], settings["image_size"], settings["color"])
    check_settings(settings, dataset)
    splits = split_folds(dataset, settings["folds"], settings["validation_split"], settings["seed"])
    resnet50_base = None
    if "resnet50" in settings["models"]:
        # Built now so that a failed ImageNet download stops the run before it starts.
        resnet50_base = models.build_resnet50_base(
            settings["image_size"], resnet50_weights_argument(settings["weights"])
        )

    if resume_dir is not None:
        run_dir = Path(resume_dir)
        check_resumable(run_dir, dataset)
    else:
        run_dir = create_run_dir(settings["out"], "cv")
        write_run_record(run_dir, "cv", settings, settings["seed"])
    log.info("Run directory: %s", run_dir)

    summary = dataset.summary()
    summary["fingerprint"] = dataset_fingerprint(dataset)
    summary["duplicate_groups"] = duplicate_paths(dataset)
    summary["cross_label_duplicates"] = cross_label_duplicates(dataset)
    write_json(run_dir / "dataset.json", summary)
    log_dataset(dataset, summary)

    try:
        all_scores = run_experiments(dataset, splits, settings, run_dir, quiet, resnet50_base)
    except KeyboardInterrupt:
        # Start on a new line: Keras' progress bar leaves the cursor mid-line.
        log.error("\nInterrupted. Finished folds are saved; continue with: catdog cv --resume %s", run_dir)
        raise
    table = write_results(run_dir, all_scores, len(splits), summary)
    log.info("\n%s", table)
    log.info("Results written to %s", run_dir / "results.md")
    return run_dir


def run_experiments(
    dataset: Dataset, splits: list[FoldSplit], settings: dict, run_dir: Path, quiet: bool, resnet50_base
) -> list[dict]:
    """Train every fold of every (model, epochs, batch) experiment; return their scores."""
    y = dataset.labels.astype(np.float32)
    verbose = 0 if quiet else 1
    all_scores = []
    for model_name in settings["models"]:
        inputs = prepare_model_inputs(model_name, dataset, settings, verbose, resnet50_base)
        for epochs, batch_size in itertools.product(settings["epochs"], settings["batch"]):
            training = TrainingSettings(
                epochs=epochs,
                batch_size=batch_size,
                learning_rate=settings["learning_rate"],
                lr_factor=settings["lr_factor"],
                lr_patience=settings["lr_patience"],
                early_stopping_patience=settings["early_stopping_patience"],
                verbose=verbose,
            )
            experiment_dir = run_dir / model_name / f"e{epochs}-b{batch_size}"
            results = [
                run_fold(model_name, inputs, y, split, training, settings, experiment_dir, len(splits))
                for split in splits
            ]
            scores = write_experiment_outputs(experiment_dir, model_name, epochs, batch_size, results)
            log.info(
                "%s %s: mean held-out accuracy %.4f ± %.4f over %d folds (%s).",
                model_name, experiment_label(epochs, batch_size), scores["heldout_accuracy_mean"],
                scores["heldout_accuracy_std"], len(splits), experiment_dir / "accuracy.png",
            )
            all_scores.append(scores)
    return all_scores


def run_fold(
    model_name: str,
    inputs: ModelInputs,
    y: np.ndarray,
    split: FoldSplit,
    training: TrainingSettings,
    settings: dict,
    experiment_dir: Path,
    n_folds: int,
) -> FoldResult:
    """Train one fold, or read its result when a resumed run already finished it."""
    fold_dir = experiment_dir / f"fold-{split.number}"
    result_path = fold_dir / "result.json"
    if result_path.exists():
        log.info("fold %d/%d: %s already done, reading %s", split.number, n_folds, model_name, result_path)
        return FoldResult(**read_json(result_path))

    log.info(
        "fold %d/%d: training %s (%d epochs, batch %d) on %d images; %d watched by the callbacks; %d held out",
        split.number, n_folds, model_name, training.epochs, training.batch_size,
        len(split.fit), len(split.validation), len(split.heldout),
    )
    fold_dir.mkdir(parents=True, exist_ok=True)
    save = settings["save_models"]
    # The ResNet50 head alone is not a usable classifier, so its checkpoints stay in
    # memory and the full model (frozen base plus best head) is saved once below.
    checkpoint_path = fold_dir / "best.keras" if save and inputs.resnet50_base is None else None
    result, model = train_fold(inputs.build, inputs.x, y, split, training, settings["seed"], checkpoint_path)
    if save and inputs.resnet50_base is not None:
        models.assemble_resnet50(inputs.resnet50_base, model).save(fold_dir / "best.keras")

    write_json(result_path, result.to_dict())
    log.info(
        "fold %d/%d: %s held-out accuracy %.4f (best epoch %d of %d)",
        split.number, n_folds, model_name, result.heldout_accuracy, result.best_epoch, result.epochs_run,
    )
    return result


def load_recorded_settings(run_dir: Path) -> dict:
    """Read the settings that an earlier `catdog cv` run recorded in its config.json."""
    record_path = run_dir / "config.json"
    if not record_path.is_file():
        raise CatdogError(f"No config.json in {run_dir}: --resume needs the directory of an earlier `catdog cv` run.")
    record = read_json(record_path)
    if record.get("command") != "cv":
        raise CatdogError(f"{run_dir} contains a `catdog {record.get('command')}` run, not a `catdog cv` run. Pass a directory written by `catdog cv`.")
    return record["config"]


def log_dataset(dataset: Dataset, summary: dict) -> None:
    counts = ", ".join(f"{count} {name}" for name, count in summary["images_per_class"].items())
    log.info("Dataset: %s images (%s); %d skipped.", len(dataset), counts, len(dataset.skipped))
    if summary["duplicate_files"]:
        log.info("%d files are byte-identical copies of another file; copies share a fold.", summary["duplicate_files"])
    for paths in summary["cross_label_duplicates"]:
        log.warning("The same picture is filed under two classes: %s", ", ".join(paths))
