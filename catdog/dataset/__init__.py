"""The dataset loader shared by every catdog command: file listing, decoding, cache."""

from catdog.dataset.decode import COLORS, DecodedImage, DecodeError, decode_image, failure_reason
from catdog.dataset.files import SYSTEM_FILES, TRASH_DIR, ImageFile, Listing, check_data_dir, list_images
from catdog.dataset.loader import Dataset, SkippedFile, load_dataset

__all__ = [
    "COLORS", "DecodedImage", "DecodeError", "decode_image", "failure_reason",
    "SYSTEM_FILES", "TRASH_DIR", "ImageFile", "Listing", "check_data_dir", "list_images",
    "Dataset", "SkippedFile", "load_dataset",
]
