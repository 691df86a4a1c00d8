"""Shared fixtures: the real sample, small datasets built on disk, and the CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
# The real PetImages sample: $CATDOG_SAMPLE_DIR, else ../shared/data beside the repo.
SAMPLE_ROOT = Path(os.environ.get("CATDOG_SAMPLE_DIR", REPO_ROOT.parent / "shared" / "data"))
SAMPLE_PETIMAGES = SAMPLE_ROOT / "PetImages"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Keep every test's decoded-image cache out of the user's home folder."""
    monkeypatch.setenv("CATDOG_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The real PetImages sample, read-only; skips the test when it is absent."""
    if not (SAMPLE_PETIMAGES / "Cat").is_dir():
        pytest.skip(f"real PetImages sample not found at {SAMPLE_PETIMAGES}; set CATDOG_SAMPLE_DIR to the folder holding PetImages/")
    return SAMPLE_PETIMAGES


def copy_sample_subset(sample: Path, dest: Path, per_class: int, start: int = 0) -> Path:
    """Copy `per_class` decodable files of each class (by sorted number) into dest/Cat, dest/Dog."""
    for label in ("Cat", "Dog"):
        target = dest / label
        target.mkdir(parents=True, exist_ok=True)
        names = sorted(
            (p for p in (sample / label).glob("*.jpg") if p.stat().st_size > 0),
            key=lambda p: int(p.stem),
        )[start : start + per_class]
        for path in names:
            shutil.copy2(path, target / path.name)
    return dest


@pytest.fixture
def small_real_dataset(sample_dir, tmp_path) -> Path:
    """40 real cats and 40 real dogs copied from the sample into a writable folder."""
    return copy_sample_subset(sample_dir, tmp_path / "PetImages", per_class=40)


def write_synthetic_images(root: Path, per_class: int = 24, size: int = 64, seed: int = 0) -> Path:
    """Write JPEGs that a small model can tell apart: bright discs for Cat, dark bars for Dog."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    for label in ("Cat", "Dog"):
        folder = root / label
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            noise = rng.normal(0, 12, (size, size, 3))
            if label == "Cat":
                cy, cx = rng.integers(size // 4, 3 * size // 4, 2)
                mask = (yy - cy) ** 2 + (xx - cx) ** 2 < (size // 5) ** 2
                base = np.where(mask[..., None], 220.0, 60.0)
            else:
                base = np.where(((xx // (size // 8)) % 2 == 0)[..., None], 30.0, 140.0)
            pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
            Image.fromarray(pixels, "RGB").save(folder / f"{index}.jpg", quality=90)
    return root


@pytest.fixture
def synthetic_dataset(tmp_path) -> Path:
    """A tiny two-class dataset of generated JPEGs; always available."""
    return write_synthetic_images(tmp_path / "PetImages")


def run_catdog(*args: str, cwd: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run the installed `catdog` command in a subprocess and capture its output."""
    executable = shutil.which("catdog", path=str(Path(sys.executable).parent)) or shutil.which("catdog")
    command = [executable] if executable else [sys.executable, "-m", "catdog"]
    return subprocess.run(
        [*command, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ}
    )
