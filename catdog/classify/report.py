"""Per-experiment scores, history CSV, accuracy plots and the results table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from catdog import plotting
from catdog.classify.reference import DISPLAY_NAMES, REFERENCE_ACCURACY
from catdog.classify.training import FoldResult
from catdog.runs import write_csv, write_json, write_text

HISTORY_COLUMNS = (
    "fold", "epoch", "loss", "accuracy", "val_loss", "val_accuracy",
    "heldout_loss", "heldout_accuracy", "learning_rate",
)


def experiment_label(epochs: int, batch_size: int) -> str:
    """Row label of the results table, as in the reference: "30E, 32B"."""
    return f"{epochs}E, {batch_size}B"


def summarize_folds(results: Sequence[FoldResult]) -> dict:
    """Return per-fold scores and their mean and standard deviation (ddof=1)."""
    accuracies = np.array([result.heldout_accuracy for result in results])
    spread = float(accuracies.std(ddof=1)) if len(accuracies) > 1 else 0.0
    return {
        "folds": [{key: value for key, value in result.to_dict().items() if key != "history"} for result in results],
        "heldout_accuracy_mean": float(accuracies.mean()),
        "heldout_accuracy_std": spread,
        "zero_one_loss_mean": float(1.0 - accuracies.mean()),
        "zero_one_loss_std": spread,
    }


def write_experiment_outputs(
    experiment_dir: Path, model_name: str, epochs: int, batch_size: int, results: Sequence[FoldResult]
) -> dict:
    """Write history.csv, scores.json and accuracy.png for one experiment; return the scores."""
    rows = []
    for result in results:
        for epoch in range(result.epochs_run):
            row = {"fold": result.fold, "epoch": epoch + 1}
            for column in HISTORY_COLUMNS[2:]:
                values = result.history.get(column, [])
                row[column] = values[epoch] if epoch < len(values) else ""
            rows.append(row)
    write_csv(experiment_dir / "history.csv", HISTORY_COLUMNS, rows)

    scores = summarize_folds(results)
    scores.update({"model": model_name, "epochs": epochs, "batch_size": batch_size})
    reference = REFERENCE_ACCURACY.get(model_name, {}).get((epochs, batch_size))
    scores["reference_accuracy"] = reference
    write_json(experiment_dir / "scores.json", scores)

    title = (
        f"{DISPLAY_NAMES.get(model_name, model_name)}, {epochs} epochs, batch {batch_size}: "
        f"held-out accuracy {scores['heldout_accuracy_mean']:.3f} ± {scores['heldout_accuracy_std']:.3f}"
    )
    plotting.plot_fold_accuracy([result.history for result in results], title, experiment_dir / "accuracy.png")
    return scores


def results_table(scores: Sequence[dict], n_folds: int) -> str:
    """Render the Markdown results table: one row per (epochs, batch), one column per model."""
    models = list(dict.fromkeys(entry["model"] for entry in scores))
    grid = list(dict.fromkeys((entry["epochs"], entry["batch_size"]) for entry in scores))
    by_key = {(entry["model"], entry["epochs"], entry["batch_size"]): entry for entry in scores}

    header = ["epochs, batch"]
    for model in models:
        header += [DISPLAY_NAMES.get(model, model), f"{DISPLAY_NAMES.get(model, model)} (reference)"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    for epochs, batch_size in grid:
        cells = [experiment_label(epochs, batch_size)]
        for model in models:
            entry = by_key.get((model, epochs, batch_size))
            cells.append(
                f"{entry['heldout_accuracy_mean']:.4f} ± {entry['heldout_accuracy_std']:.4f}" if entry else "not run"
            )
            reference = REFERENCE_ACCURACY.get(model, {}).get((epochs, batch_size))
            cells.append(f"{reference:.4f}" if reference is not None else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_results(run_dir: Path, scores: Sequence[dict], n_folds: int, dataset_summary: dict) -> str:
    """Write results.json and results.md for the whole run; return the table."""
    table = results_table(scores, n_folds)
    write_json(run_dir / "results.json", {"experiments": list(scores), "n_folds": n_folds})
    counts = ", ".join(f"{count} {name}" for name, count in dataset_summary["images_per_class"].items())
    text = (
        "# Cross-validation results\n\n"
        f"Mean held-out accuracy over {n_folds} folds ± its standard deviation across folds, on {counts} images "
        f"from {dataset_summary['root']}. The zero-one loss is one minus the accuracy. Reference values are the "
        "published scores of the original protocol, which reused one model across folds and let the callbacks "
        "watch the held-out fold.\n\n" + table
    )
    write_text(run_dir / "results.md", text)
    return table
