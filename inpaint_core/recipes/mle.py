"""Recipes of the MLE meta-algorithm's distributions: the Gaussian models fitted in closed form or by
EM on the whole training split, PixelCNN++ trained on the likelihood."""

from __future__ import annotations

from typing import Any

import torch

from ..methods.mle_pixelcnnpp import bits_per_subpixel
from . import register_recipe
from .base import FittedRecipe, SGDRecipe
from .data import DATA, OnCifar10


@register_recipe
class NormalRecipe(OnCifar10, FittedRecipe):
    method = "mle-normal"
    network: dict[str, Any] = {"size": 32, "rank": 1024, "ridge": 1e-4}
    eval_images: int = 5000
    eval_masks: str = "centre8"
    reductions: str = ("covariance stored as its top-1024 eigenpairs + the mean residual eigenvalue (exact PPCA "
                       "likelihood) to fit the 20 MB file budget")


@register_recipe
class GaussianMixtureRecipe(OnCifar10, FittedRecipe):
    method = "mle-gmm"
    network: dict[str, Any] = {"size": 32, "components": 3, "rank": 1024, "iterations": 5, "ridge": 1e-4}
    eval_images: int = 1000
    eval_masks: str = "centre8"
    reductions: str = ("3 components, each covariance stored as its top-1024 eigenpairs + residual (exact PPCA "
                       "likelihood; rank 256 doubled the hole error); 5 EM iterations")


@register_recipe
class MatrixNormalRecipe(FittedRecipe):
    method = "mle-matrix-normal"
    data: str = f"{DATA}/celeba/faces-4800-jpg.tar.gz"
    dataset: str = "CelebA faces (4,800 aligned, centre-cropped and resized)"
    dataset_id: str | None = "celeba"
    size: int = 64
    network: dict[str, Any] = {"size": 64, "iterations": 10, "ridge": 1e-3}
    eval_images: int = 500
    eval_masks: str = "centre"
    reductions: str = "none: one mean, one row and one column covariance per channel"


@register_recipe
class PixelCNNPPRecipe(OnCifar10, SGDRecipe):
    method = "mle-pixelcnnpp"
    masks: str = "centre8"
    batch_size: int = 32
    lr: float = 1e-3
    epochs: int | None = 3
    ema: float | None = 0.999
    network: dict[str, Any] = {"size": 32, "filters": 32, "blocks": 3, "mixtures": 5}
    val_images: int = 500
    eval_images: int = 100
    eval_masks: str = "centre8"
    reductions: str = ("single resolution (no down/up-sampling), 3 gated blocks per stream, 32 filters, 5 logistics "
                       "(the paper: 6 blocks x 3 resolutions, 160 filters, 10 logistics)")

    def loss(self, net, images, masks):
        """Negative log-likelihood in bits per sub-pixel."""
        return bits_per_subpixel(net, images)

    @torch.no_grad()
    def validation_loss(self, net, images, masks):
        return float(torch.cat([bits_per_subpixel(net, x, reduce=False) for x in images.split(100)]).mean())
