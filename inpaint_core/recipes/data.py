"""The data sets and mask families recipes train on, by path under ``../shared/datasets`` (never
copied into the project), as recipe defaults a family's recipe inherits."""

from __future__ import annotations

from pydantic import model_validator

from .base import Recipe

DATA = "../shared/datasets"
QUICKDRAW = f"{DATA}/quickdraw/sketches-ndjson.tar.gz"
NVIDIA_MASKS = f"{DATA}/masks/nvidia-irregular-even-6000.tar.gz"
#: Quick Draw masks of the semi-parametric paper (4 strokes on average, median hole 12%) mixed with
#: denser ones (10 strokes, median 29%): the NVIDIA test masks reach 60%, which 4 strokes rarely cover.
STROKE_MASKS = f"quickdraw:{QUICKDRAW}+quickdraw:{QUICKDRAW}:10"


class OnCifar10(Recipe):
    """CIFAR-10 at 32 px (validation: the last 500 images of each class)."""

    data: str = f"{DATA}/cifar10/train-jpg.tar.gz"
    dataset: str = "CIFAR-10 train split (JPEG re-encoding), 45,000 images"
    dataset_id: str | None = "cifar10"
    size: int = 32


class OnFaces64(Recipe):
    """CelebA's 4,800 aligned faces, centre crop resized to 64 px (validation: the last 10% of each identity)."""

    data: str = f"{DATA}/celeba/faces-4800-jpg.tar.gz"
    dataset: str = "CelebA faces (4,800 aligned; centre crop 178 -> {size} px)"
    dataset_id: str | None = "celeba"
    size: int = 64

    @model_validator(mode="after")
    def _sized(self) -> OnFaces64:
        """The description follows ``--set size=...`` (the 128 px face models share the 64 px recipes)."""
        self.dataset = self.dataset.replace("{size}", str(self.size))
        return self


class OnFaces32(OnFaces64):
    size: int = 32


class OnPhotos(Recipe):
    """Photos at native pixel scale: 256 px crops of BSDS500 train+test and 72 of the 80 Sun-Hays80
    photos, each shrunk by 1-2x (validation: BSDS500 val and the last 8 Sun-Hays80 photos)."""

    data: str = f"{DATA}/bsds500/images-jpg.tar.gz,{DATA}/sun_hays80/sun-hays80-jpg.tar.gz"
    dataset: str = ("BSDS500 train+test (400 photos) and Sun-Hays80 (72 of 80); BSDS500 val and the last 8 "
                    "Sun-Hays80 photos held out; 256 px crops of each photo shrunk by 1-2x, flips")
    dataset_id: str | None = "photos"
    size: int = 256
    crops_per_image: int | None = 16
    crop_min_scale: float = 0.5
