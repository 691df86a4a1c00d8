"""Settings of a GAN run: defaults, the TOML schema and validation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from catdog.config import Setting, integer, one_of, positive_float, positive_int, string
from catdog.errors import CatdogError

LOSSES = ("bce", "mse")


@dataclass
class GanConfig:
    """Every setting of `catdog gan`, with the reference protocol's values as defaults.

    The reference trains a DCGAN for 100 epochs with batches of 64 on 32x32 grayscale
    images, noise vectors of length 100 and Adam at a learning rate of 1e-4, saving a
    sample grid every 5 epochs and a checkpoint every 10.
    """

    data: str = "PetImages"
    loss: str = "bce"
    epochs: int = 100
    batch: int = 64
    image_size: int = 32
    latent_dim: int = 100
    lr: float = 1e-4
    seed: int = 123
    out: str = "runs"
    sample_every: int = 5
    checkpoint_every: int = 10

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> GanConfig:
        """Build a config from a mapping, ignoring keys that are not settings."""
        names = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in names})


def _image_size(value) -> int:
    value = positive_int(value)
    check_image_size(value)
    return value


SCHEMA = {
    "data": Setting(GanConfig.data, string),
    "loss": Setting(GanConfig.loss, one_of(*LOSSES)),
    "epochs": Setting(GanConfig.epochs, positive_int),
    "batch": Setting(GanConfig.batch, positive_int),
    "image_size": Setting(GanConfig.image_size, _image_size),
    "latent_dim": Setting(GanConfig.latent_dim, positive_int),
    "lr": Setting(GanConfig.lr, positive_float),
    "seed": Setting(GanConfig.seed, integer),
    "out": Setting(GanConfig.out, string),
    "sample_every": Setting(GanConfig.sample_every, positive_int),
    "checkpoint_every": Setting(GanConfig.checkpoint_every, positive_int),
}


def check_image_size(image_size: int) -> None:
    """Raise `CatdogError` unless `image_size` is a positive multiple of 4.

    The generator starts from a feature map a quarter of the image side and doubles
    it twice with stride-2 transposed convolutions, so the side must divide by 4.
    """
    if image_size <= 0 or image_size % 4 != 0:
        lower = max(4, image_size // 4 * 4)
        raise CatdogError(
            f"Invalid image size {image_size}: the GAN needs a multiple of 4, because the generator starts "
            f"from a feature map a quarter of the image side. Use --image-size {lower} or {lower + 4}."
        )
