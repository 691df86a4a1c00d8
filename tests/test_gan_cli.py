"""`catdog gan` and `catdog generate` as a user runs them: files written, resume, Ctrl-C, errors."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, run_catdog, write_synthetic_images
from PIL import Image

from catdog.config import resolve
from catdog.gan import checkpoint as checkpoints
from catdog.gan.config import SCHEMA

SMALL_RUN = ["--image-size", "8", "--batch", "64", "--seed", "5"]


@pytest.fixture(scope="module")
def gan_data(tmp_path_factory) -> Path:
    """130 generated JPEGs (65 per class)."""
    return write_synthetic_images(tmp_path_factory.mktemp("gan-cli") / "PetImages", per_class=65, size=32)


@pytest.fixture(scope="module")
def finished_run(gan_data, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A 2-epoch mse run at 8x8 with a grid and a checkpoint after every epoch."""
    out = tmp_path_factory.mktemp("gan-runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CATDOG_CACHE_DIR", str(out / "cache"))
        result = run_catdog(
            "gan", "--data", str(gan_data), "--out", str(out), "--loss", "mse", "--epochs", "2",
            "--sample-every", "1", "--checkpoint-every", "1", *SMALL_RUN,
        )
    assert result.returncode == 0, result.stderr
    (run_dir,) = out.glob("gan-mse-*")
    return run_dir, result


def read_losses(run_dir: Path) -> list[dict]:
    with open(run_dir / "losses.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def finished_epochs(out: Path) -> list[dict]:
    paths = list(out.glob("gan-bce-*/losses.csv"))
    return read_losses(paths[0].parent) if paths else []


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert fragment in errors[0]


def test_gan_run_writes_every_file(finished_run):
    run_dir, result = finished_run
    names = sorted(path.relative_to(run_dir).as_posix() for path in run_dir.rglob("*") if path.is_file())
    assert names == [
        "checkpoint.npz", "config.json", "generator.keras", "losses.csv", "losses.png",
        "samples.gif", "samples/epoch_0001.png", "samples/epoch_0002.png",
    ]

    record = __import__("json").loads((run_dir / "config.json").read_text())
    assert record["seed"] == 5
    assert record["config"]["loss"] == "mse"
    assert "tensorflow" in record["versions"]

    rows = read_losses(run_dir)
    assert [row["epoch"] for row in rows] == ["1", "2"]
    assert list(rows[0]) == ["epoch", "d_loss_real", "d_loss_fake", "d_loss", "g_loss"]
    with Image.open(run_dir / "samples.gif") as gif:
        assert gif.n_frames == 2
    assert "epoch 2/2: d_loss_real" in result.stderr


def test_generate_command_writes_pngs(finished_run, tmp_path):
    run_dir, _ = finished_run
    out = tmp_path / "new-images"
    result = run_catdog("generate", str(run_dir), "--count", "4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    paths = sorted(out.iterdir())
    assert [path.name for path in paths] == [f"generated_000{index}.png" for index in range(1, 5)]
    with Image.open(paths[0]) as image:
        assert image.size == (8, 8)
        assert image.mode == "L"


def test_resume_continues_to_total_epochs(finished_run, tmp_path):
    run_dir = shutil.copytree(finished_run[0], tmp_path / "run")
    first_record = (run_dir / "config.json").read_text()
    result = run_catdog("gan", "--resume", str(run_dir), "--epochs", "3", "--lr", "0.0002")
    assert result.returncode == 0, result.stderr
    assert (run_dir / "config.json").read_text() == first_record
    resume_record = json.loads((run_dir / "config-resume-epoch_0002.json").read_text())
    assert resume_record["config"]["resumed_from_epoch"] == 2
    assert resume_record["config"]["epochs"] == 3
    assert [row["epoch"] for row in read_losses(run_dir)] == ["1", "2", "3"]
    saved = checkpoints.read(run_dir / checkpoints.CHECKPOINT_FILE)
    assert saved.epoch == 3
    # Adam's variables are (iterations, learning_rate, moments...); --lr given on resume applies.
    assert float(saved.variables["g_optimizer"][1]) == pytest.approx(2e-4)
    assert float(saved.variables["d_optimizer"][1]) == pytest.approx(2e-4)
    assert (run_dir / "samples" / "epoch_0003.png").is_file()


def test_ctrl_c_writes_checkpoint(gan_data, tmp_path):
    command = [shutil.which("catdog", path=str(Path(__import__("sys").executable).parent)) or "catdog"]
    process = subprocess.Popen(
        [*command, "gan", "--data", str(gan_data), "--out", str(tmp_path), "--epochs", "500",
         "--checkpoint-every", "1000", *SMALL_RUN],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        # Wait until two epochs have finished, so the snapshot of epoch 1 surely exists,
        # then press Ctrl-C.
        deadline = time.monotonic() + 300
        while len(finished_epochs(tmp_path)) < 2:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "no epoch finished within 300 s"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 130
    assert "Interrupted: saved the checkpoint of epoch" in stderr
    (run_dir,) = tmp_path.glob("gan-bce-*")
    saved = checkpoints.read(run_dir / checkpoints.CHECKPOINT_FILE)
    assert 1 <= saved.epoch < 500
    assert saved.epoch >= len(finished_epochs(tmp_path)) - 1
    assert [row["epoch"] for row in saved.history] == list(range(1, saved.epoch + 1))


def test_missing_data_rejected(tmp_path):
    result = run_catdog("gan", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path))
    assert_one_line_error(result, "Data folder not found")
    assert list(tmp_path.iterdir()) == []


def test_image_size_not_multiple_of_4_rejected(gan_data, tmp_path):
    result = run_catdog("gan", "--data", str(gan_data), "--out", str(tmp_path), "--image-size", "30")
    assert_one_line_error(result, "multiple of 4")
    assert "--image-size 28 or 32" in result.stderr


def test_resume_without_checkpoint_rejected(tmp_path):
    result = run_catdog("gan", "--resume", str(tmp_path), "--epochs", "3")
    assert_one_line_error(result, "No checkpoint in")


@pytest.mark.parametrize(
    ("option", "fragment"),
    [(["--loss", "bce"], "loss=mse"), (["--image-size", "32"], "image_size=8"), (["--latent-dim", "8"], "latent_dim=100")],
)
def test_resume_with_other_architecture_rejected(finished_run, option, fragment):
    run_dir, _ = finished_run
    result = run_catdog("gan", "--resume", str(run_dir), "--epochs", "4", *option)
    assert_one_line_error(result, fragment)


def test_resume_past_total_epochs_rejected(finished_run):
    result = run_catdog("gan", "--resume", str(finished_run[0]), "--epochs", "2")
    assert_one_line_error(result, "already completed 2 epochs")


def test_generate_without_generator_rejected(tmp_path):
    result = run_catdog("generate", str(tmp_path), "--count", "2")
    assert_one_line_error(result, "No trained generator")


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "configs").glob("gan-*.toml")), ids=lambda path: path.name)
def test_gan_configs_resolve(path):
    settings = resolve(SCHEMA, path, {})
    assert settings["loss"] in ("bce", "mse")
    assert settings["image_size"] % 4 == 0
    assert path.read_text().startswith("#")
