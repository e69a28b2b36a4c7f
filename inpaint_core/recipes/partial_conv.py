"""The semi-parametric paper's (004) recipes: PConv and Sim-k on faces, with Quick Draw stroke masks
and the paper's per-pixel loss (L1 on valid pixels, 6 x L1 on the hole, 0.1 x total variation of the
composite over the 1-pixel dilated hole); with ``feature_model`` also the perceptual and style terms
(:mod:`inpaint_core.losses`) on a frozen zoo PConv encoder. Sim-k's batches carry each image's k
retrieved neighbours, precomputed once on unmasked images (never the image itself)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field

from ..images import to_float
from ..methods.sim_k import open_database, with_default_dir
from ..retrieval import DatabaseError, build_command, load_descriptor_model
from . import register_recipe
from .data import NVIDIA_MASKS, STROKE_MASKS, OnFaces64
from .perceptual_gan import VGG16, PerceptualGANRecipe


def pconv_loss(pred: torch.Tensor, images: torch.Tensor, masks: torch.Tensor,
               hole_weight: float = 6.0, tv_weight: float = 0.1) -> torch.Tensor:
    """L_valid + 6 L_hole + 0.1 L_tv (masks: 1 = hole), each L1 a mean over all pixels as in Liu et al.;
    the total variation is that of the composite between neighbours inside the dilated hole."""
    valid = 1 - masks
    l_valid = (valid * (pred - images)).abs().mean()
    l_hole = (masks * (pred - images)).abs().mean()
    comp = images * valid + pred * masks
    region = F.max_pool2d(masks, 3, 1, 1)
    tv_rows = ((comp[..., 1:, :] - comp[..., :-1, :]).abs() * region[..., 1:, :] * region[..., :-1, :]).mean()
    tv_cols = ((comp[..., :, 1:] - comp[..., :, :-1]).abs() * region[..., :, 1:] * region[..., :, :-1]).mean()
    return l_valid + hole_weight * l_hole + tv_weight * (tv_rows + tv_cols)


@lru_cache(maxsize=4)
def frozen_encoder(model: str, device: str = "cpu") -> torch.nn.Module:
    """A zoo PConv's encoder as the feature network of the perceptual and style terms of the 64 px
    recipes (trained before the ImageNet VGG-16 of :mod:`inpaint_core.losses` was available here), on
    the device of the batches it scores."""
    return load_descriptor_model(model).net.float().eval().requires_grad_(False).to(device)


def encoder_levels(encoder: torch.nn.Module):
    """The first three encoder levels as feature maps (VGG-16's pool1-pool3 in the paper)."""
    return lambda x: encoder.encode(x, torch.zeros_like(x[:, :1]))[1:4]


class UNetOnFaces(OnFaces64, PerceptualGANRecipe):
    """What the PConv and Sim-k recipes share on faces: data, masks, optimiser, the paper's per-pixel
    loss and, when asked for (the 128 px models), the perceptual, style and adversarial terms."""

    masks: str = STROKE_MASKS
    batch_size: int = 16
    lr: float = 2e-4
    ema: float | None = 0.999
    hole_weight: float = 6.0
    tv_weight: float = 0.1
    val_images: int = 400
    eval_images: int = 480
    eval_masks: str = f"files:{NVIDIA_MASKS}"
    feature_model: str | None = Field(None, description=f"what scores the perceptual and style terms: '{VGG16}' (the "
                                                        "ImageNet VGG-16) or a zoo PConv's frozen encoder; none: no such terms")
    feature_scale: int = Field(1, description="the perceptual and style terms see the images shrunk by this factor")
    perceptual_weight: float = 0.05
    style_weight: float = 120.0

    def loss(self, net, images, masks):
        """The per-pixel loss: what the validation curve tracks."""
        pred, truth = self.generate(net, images, masks)
        return self.pixel_loss(pred, truth, masks)[1]

    def pixel_loss(self, pred, images, masks):
        return "pixel", pconv_loss(pred, images, masks, self.hole_weight, self.tv_weight)

    def feature_network(self, device):
        if not self.feature_model:
            return None
        if self.feature_model == VGG16:
            return super().feature_network(device)
        return encoder_levels(frozen_encoder(self.feature_model, device))


@register_recipe
class PConvRecipe(UNetOnFaces):
    method = "pconv"
    network: dict[str, Any] = {"widths": [32, 64, 128, 128], "kernels": [7, 5, 5, 3], "partial": True}
    reductions: str = ("4 encoder levels of 32-128 channels (paper: 8 levels of 64-512) at the data's size (64 px "
                       "faces, 32 px CIFAR-10; paper: 512 px); no batch norm; perceptual and style terms left out "
                       "(they need ImageNet VGG-16 weights)")


def stack_references(images: np.ndarray, pool: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """NxHxWx3 images with their k neighbours (rows of ``pool``) concatenated on channels: the
    trainer's batches then carry each image's references, and a flip mirrors both alike."""
    return np.concatenate([images, *(pool[neighbours[:, j]] for j in range(neighbours.shape[1]))], axis=-1)


@register_recipe
class SimKRecipe(UNetOnFaces):
    method = "sim-k"
    network: dict[str, Any] = {"widths": [32, 64, 128, 128], "kernels": [7, 5, 5, 3], "partial": False, "references": 1}
    database: dict[str, Any] = Field({"model": "pconv-celeba-64", "split": "train"},
                                     description="the retrieval database: descriptor model and split")
    reductions: str = ("the PConv UNet's 4 levels of 32-128 channels with ordinary convolutions (paper: 7 levels at "
                       "256 px) at the data's size (64 px faces, 32 px CIFAR-10); descriptors from the zoo's PConv "
                       "encoder instead of ImageNet VGG-16; perceptual and style terms left out")

    @property
    def references(self) -> int:
        return int(self.network.get("references", 0))

    def database_spec(self) -> dict[str, Any]:
        return with_default_dir({**self.database, "data": self.data, "size": self.size})

    def card_meta(self):
        if not self.references:
            return {}
        spec = self.database_spec()
        return {"database": {k: spec[k] for k in ("model", "data", "split", "size")}}

    def training_arrays(self, train, val):
        k = self.references
        if not k:
            return train, val
        spec = self.database_spec()
        index = open_database(spec, spec["dir"])
        if spec["split"] != "train" or index.info["count"] != len(train) or index.info["data"] != str(self.data):
            raise DatabaseError(f"Training needs the database of this training split ({len(train)} images of "
                                f"{self.data}): build it with `{build_command(spec['model'], self.data, 'train', spec['dir'])}`.")
        own, _ = index.search(index.descriptors, k, exclude=np.arange(len(train)))
        queries = load_descriptor_model(spec["model"]).describe(to_float(np.asarray(val)))
        held, _ = index.search(queries, k)
        train = np.asarray(train)
        return stack_references(train, train, own), stack_references(np.asarray(val), train, held)

    def generate(self, net, images, masks):
        """Channels after the first 3 of a training batch are the references."""
        return net(images[:, :3], masks, images[:, 3:]), images[:, :3]
