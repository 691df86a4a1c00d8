"""`catdog cv` through the installed command: errors, configs, and a run on real images."""

import json
import shutil

import pytest
from conftest import REPO_ROOT, run_catdog


def assert_user_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in error_lines[0]


def test_missing_data_folder(tmp_path):
    result = run_catdog("cv", "--data", str(tmp_path / "nowhere"))

    assert_user_error(result, "Data folder not found", "--data")


def test_empty_data_folder(tmp_path):
    result = run_catdog("cv", "--data", str(tmp_path))

    assert_user_error(result, "Found 0 class folder", "Cat/ and Dog/")


def test_one_class_folder(synthetic_dataset):
    for path in (synthetic_dataset / "Dog").iterdir():
        path.rename(synthetic_dataset / path.name)
    (synthetic_dataset / "Dog").rmdir()

    result = run_catdog("cv", "--data", str(synthetic_dataset))

    assert_user_error(result, "Found 1 class folder", "(Cat)")


def test_unknown_model(synthetic_dataset):
    result = run_catdog("cv", "--data", str(synthetic_dataset), "--model", "vgg16")

    assert_user_error(result, "'vgg16' is not one of", "perceptron")


@pytest.mark.parametrize("value", ["0", "-3", "30,0", "ten"])
def test_non_positive_epochs(synthetic_dataset, value):
    result = run_catdog("cv", "--data", str(synthetic_dataset), "--epochs", value)

    assert_user_error(result, "--epochs")


def test_resnet50_image_size_below_32(synthetic_dataset):
    result = run_catdog("cv", "--data", str(synthetic_dataset), "--model", "resnet50", "--image-size", "24")

    assert_user_error(result, "--image-size 24", "at least 32")


def test_unknown_config_key(synthetic_dataset, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('epoch = 3\nmodels = ["cnn"]\n')

    result = run_catdog("cv", "--data", str(synthetic_dataset), "--config", str(config))

    assert_user_error(result, "Unknown key 'epoch'", "Allowed keys")


def test_wrong_config_type(synthetic_dataset, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('folds = "five"\n')

    result = run_catdog("cv", "--data", str(synthetic_dataset), "--config", str(config))

    assert_user_error(result, "'folds'", "positive integer")


def test_shipped_configs_are_valid():
    from catdog import config
    from catdog.classify.settings import CV_SCHEMA

    report = config.resolve(CV_SCHEMA, REPO_ROOT / "configs" / "report.toml", {})
    quick = config.resolve(CV_SCHEMA, REPO_ROOT / "configs" / "quick.toml", {"epochs": [2]})

    assert report["models"] == ["perceptron", "cnn", "resnet50"]
    assert report["epochs"] == [30, 60]
    assert report["batch"] == [32, 64]
    assert report["folds"] == 5
    assert report["image_size"] == 50
    assert report["seed"] == 123
    assert quick["epochs"] == [2]


def test_cv_end_to_end_on_real_images(small_real_dataset, tmp_path):
    out = tmp_path / "runs"
    result = run_catdog(
        "cv", "--data", str(small_real_dataset), "--model", "all", "--epochs", "2", "--batch", "64",
        "--folds", "2", "--image-size", "32", "--weights", "none", "--out", str(out), "--quiet",
    )

    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = out.iterdir()
    record = json.loads((run_dir / "config.json").read_text())
    assert record["seed"] == 123
    assert record["config"]["folds"] == 2
    assert "tensorflow" in record["versions"]
    assert "keras" in record["versions"]
    for model in ("perceptron", "cnn", "resnet50"):
        experiment = run_dir / model / "e2-b64"
        scores = json.loads((experiment / "scores.json").read_text())
        assert len(scores["folds"]) == 2
        assert 0 <= scores["heldout_accuracy_mean"] <= 1
        assert scores["zero_one_loss_mean"] == pytest.approx(1 - scores["heldout_accuracy_mean"])
        assert (experiment / "accuracy.png").stat().st_size > 0
        header = (experiment / "history.csv").read_text().splitlines()[0]
        assert header.startswith("fold,epoch,loss,accuracy,val_loss,val_accuracy,heldout_loss,heldout_accuracy")
        for fold in (1, 2):
            assert (experiment / f"fold-{fold}" / "best.keras").stat().st_size > 0
    table = (run_dir / "results.md").read_text()
    assert "| 2E, 64B |" in table
    assert "ResNet50 (reference)" in table
    assert "Results written to" in result.stderr


def test_resume_finishes_missing_folds(synthetic_dataset, tmp_path):
    out = tmp_path / "runs"
    args = ("cv", "--data", str(synthetic_dataset), "--model", "perceptron", "--epochs", "1", "--batch", "16",
            "--folds", "2", "--image-size", "16", "--out", str(out), "--quiet", "--no-save-models")
    first = run_catdog(*args)
    assert first.returncode == 0, first.stderr[-2000:]
    (run_dir,) = out.iterdir()
    experiment = run_dir / "perceptron" / "e1-b16"
    kept = experiment / "fold-1" / "result.json"
    kept_mtime = kept.stat().st_mtime_ns
    (experiment / "fold-2" / "result.json").unlink()
    (run_dir / "results.md").unlink()

    resumed = run_catdog("cv", "--resume", str(run_dir), "--quiet")

    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert kept.stat().st_mtime_ns == kept_mtime
    assert "fold 1/2: perceptron already done" in resumed.stderr
    assert (experiment / "fold-2" / "result.json").exists()
    assert (run_dir / "results.md").exists()


def test_resume_rejects_new_settings(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"command": "cv", "config": {}}))

    result = run_catdog("cv", "--resume", str(tmp_path), "--epochs", "3")

    assert result.returncode == 2
    assert "--resume continues a run with its recorded settings" in result.stderr


def test_resume_rejects_changed_images(synthetic_dataset, tmp_path):
    out = tmp_path / "runs"
    first = run_catdog("cv", "--data", str(synthetic_dataset), "--model", "perceptron", "--epochs", "1",
                       "--batch", "16", "--folds", "2", "--image-size", "16", "--out", str(out), "--quiet",
                       "--no-save-models")
    assert first.returncode == 0, first.stderr[-2000:]
    (run_dir,) = out.iterdir()
    shutil.copy(synthetic_dataset / "Cat" / "0.jpg", synthetic_dataset / "Cat" / "extra.jpg")

    resumed = run_catdog("cv", "--resume", str(run_dir), "--quiet")

    assert_user_error(resumed, "changed since the run", "without --resume")


def test_failed_start_leaves_no_run_directory(synthetic_dataset, tmp_path):
    out = tmp_path / "runs"

    result = run_catdog("cv", "--data", str(synthetic_dataset), "--model", "perceptron", "--folds", "30",
                        "--image-size", "16", "--out", str(out))

    assert_user_error(result, "--folds", "at least 30 distinct images")
    assert not out.exists() or not any(out.iterdir())
