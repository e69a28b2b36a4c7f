"""Base class for methods backed by trained PyTorch networks, with the hooks the trainer calls.

A learned method sets ``network_class`` (a ``PyTorchModelHubMixin`` module saved in
``model.safetensors``), a default ``recipe``, and ``loss``; GAN-style methods override
``build_networks``/``train_step``. The generic trainer in :mod:`inpaint_core.training` does the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch
from torch import nn

from .checkpoints import META_KEY, load_network, read_config
from .errors import CheckpointError
from .methods.base import Method

if TYPE_CHECKING:  # training only: inference does not need Accelerate installed
    from accelerate import Accelerator

CIFAR10_TRAIN = {  # the data part of every CIFAR-10 recipe (validation: the last 500 images of each class)
    "data": "../shared/datasets/cifar10/train-jpg.tar.gz", "dataset_id": "cifar10",
    "dataset": "CIFAR-10 train split (JPEG re-encoding), 45,000 images", "size": 32,
}


def celeba_faces(size: int) -> dict[str, Any]:
    """The data part of a CelebA recipe at ``size`` px (validation: the last 10% of each identity)."""
    return {"data": "../shared/datasets/celeba/faces-4800-jpg.tar.gz", "dataset_id": "celeba",
            "dataset": f"CelebA faces (4,800 aligned; centre crop 178 -> {size} px)", "size": size}


def to_tensor(image: np.ndarray, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """float32 HxWx3 and bool HxW -> 1x3xHxW float and 1x1xHxW float (1 = hole)."""
    x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]
    m = torch.from_numpy(mask.astype(np.float32))[None, None]
    return x, m


def to_image(x: torch.Tensor) -> np.ndarray:
    return x[0].detach().clamp(0, 1).permute(1, 2, 0).cpu().numpy().astype(np.float32)


class TorchMethod(Method):
    network_class: ClassVar[type[nn.Module]]
    #: A module built as ``ensemble_class(members=[network config, ...])`` with the networks in ``.members``,
    #: called like one network; a method that sets it can serve ensembles (``inpaint ensemble``).
    ensemble_class: ClassVar[type[nn.Module] | None] = None
    recipe: ClassVar[dict[str, Any]] = {}
    inference_network: ClassVar[str] = "net"

    def __init__(self, checkpoint: Path | None = None, network: nn.Module | None = None, **defaults: Any) -> None:
        super().__init__(checkpoint, **defaults)
        config = read_config(checkpoint) if checkpoint else {}
        if network is None:
            if checkpoint is None:
                raise CheckpointError(f"'{self.name}' is a learned method: give it a checkpoint (a zoo id or a folder) "
                                      "or a network.")
            network = load_network(self.network_class_for(config), checkpoint)
        self.net = network.eval()
        self.meta = config.get(META_KEY, {})
        if self.meta.get("training_scale") == "object" and self.capabilities.native_size is None:
            self.object_size = int(self.meta["resolution"])

    @classmethod
    def network_class_for(cls, config: dict[str, Any]) -> type[nn.Module]:
        """The class a checkpoint's ``config.json`` describes: an ensemble lists its ``members``."""
        return cls.ensemble_class if cls.ensemble_class is not None and "members" in config else cls.network_class

    # -- training hooks -----------------------------------------------------------------------------
    @classmethod
    def build_networks(cls, recipe: dict[str, Any]) -> dict[str, nn.Module]:
        return {cls.inference_network: cls.network_class(**recipe.get("network", {}))}

    @classmethod
    def build_optimizers(cls, nets: dict[str, nn.Module], recipe: dict[str, Any]) -> dict[str, torch.optim.Optimizer]:
        """One Adam per network; ``lr_NAME`` in the recipe overrides ``lr`` for network NAME (a critic)."""
        betas = tuple(recipe.get("betas", (0.9, 0.999)))
        return {name: torch.optim.Adam(net.parameters(), lr=recipe.get(f"lr_{name}", recipe["lr"]), betas=betas)
                for name, net in nets.items()}

    @classmethod
    def training_arrays(cls, recipe: dict[str, Any], train: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The uint8 NxHxWxC arrays batches are drawn from; a method whose inputs go beyond the image
        (Sim-k's retrieved neighbours) stacks them on channels here, once before training."""
        return train, val

    @classmethod
    def card_meta(cls, recipe: dict[str, Any]) -> dict[str, Any]:
        """What a checkpoint needs at inference beyond its weights (e.g. Sim-k's database), for config.json."""
        return {}

    @classmethod
    def loss(cls, net: nn.Module, images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Training loss on a batch: images Bx3xHxW in [0,1], masks Bx1xHxW (1 = hole)."""
        raise NotImplementedError

    @classmethod
    def training_loss(cls, net: nn.Module, images: torch.Tensor, masks: torch.Tensor, recipe: dict[str, Any]) -> torch.Tensor:
        """The loss a training step minimises; a recipe-weighted objective overrides this, not :meth:`loss`."""
        return cls.loss(net, images, masks)

    @classmethod
    def train_step(cls, nets: dict[str, nn.Module], opts: dict[str, torch.optim.Optimizer], images: torch.Tensor,
                   masks: torch.Tensor, step: int, recipe: dict[str, Any], accelerator: Accelerator) -> dict[str, torch.Tensor]:
        """One optimisation step on this process's share of a batch. Gradients go through
        ``accelerator.backward`` (mixed precision, DDP); a GAN step that needs a network's output without
        its gradients calls ``accelerator.unwrap_model(net)``, so DDP never waits for gradients that do not come.
        The logs are detached tensors ("loss" at least): the trainer reads them once per step, not once each."""
        net, opt = nets[cls.inference_network], opts[cls.inference_network]
        loss = cls.training_loss(net, images, masks, recipe)
        opt.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        opt.step()
        return {"loss": loss.detach()}

    def validation_report(self, images: np.ndarray) -> dict[str, float]:
        """Extra held-out numbers for the model card (e.g. bits/dim of a density); none by default."""
        return {}

    @classmethod
    @torch.no_grad()
    def validation_loss(cls, net: nn.Module, images: torch.Tensor, masks: torch.Tensor) -> float:
        return float(cls.loss(net, images, masks))
