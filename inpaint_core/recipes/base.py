"""What the trainer asks of a method's recipe: the schema of its values and the hooks that turn them
into networks, losses and steps.

A method module holds the network and its fill; everything about training a checkpoint family (data,
masks, losses, schedule) is its recipe, a pydantic model whose defaults are the family's recipe and
whose fields are the only keys ``--set`` and a ``recipe.json`` may hold. The trainer
(:mod:`inpaint_core.training`) calls only what is declared here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import nn

from ..methods.registry import get_method_class

if TYPE_CHECKING:  # training only: the recipe modules import Accelerate lazily through the trainer
    from accelerate import Accelerator

    from ..learned import TorchMethod


@contextmanager
def frozen(net: nn.Module, accelerator: Accelerator) -> Iterator[nn.Module]:
    """``net`` without DDP and without gradients of its own, for a critic scoring a generator's output:
    the generator's gradients flow through it, and DDP never waits for critic gradients that do not come."""
    plain = accelerator.unwrap_model(net).requires_grad_(False)
    try:
        yield plain
    finally:
        plain.requires_grad_(True)


class Recipe(BaseModel):
    """Values every recipe has: the data, the held-out evaluation, the network's arguments."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    #: The registered method whose network this recipe trains.
    method: ClassVar[str]

    data: str = Field(description="data set path; comma-separated paths are joined")
    dataset: str = Field(description="what the data is, for the model card")
    dataset_id: str | None = Field(None, description="the data's short name, which decides the checkpoint's domain")
    size: int = Field(description="training image size (px)")
    crops_per_image: int | None = Field(None, description="random size x size crops of each photo at native scale")
    crop_min_scale: float = Field(1.0, description="smallest shrink of a photo before cropping")
    seed: int = 0
    epochs: int | None = None
    max_minutes: float | None = None
    eval_images: int = Field(1000, description="held-out images of the final evaluation")
    eval_masks: str = Field(description="mask family of the final evaluation")
    fp16: bool = Field(True, description="store the weights as float16")
    network: dict[str, Any] = Field(default_factory=dict, description="arguments of the method's network class")
    reductions: str = Field("", description="how this recipe is smaller than the paper's, for the model card")
    command: str | None = Field(None, description="the command that retrains the checkpoint (written by the trainer)")

    @model_validator(mode="after")
    def _in_range(self) -> Recipe:
        """Ranges checked here rather than on the fields: a family's recipe redeclares a field to give it
        its own default, and that would drop constraints declared with the field."""
        positive = ("size", "crops_per_image", "epochs", "max_minutes", "eval_images", "batch_size", "lr",
                    "val_images", "max_steps", "feature_scale")
        bad = [f"{k}={getattr(self, k)} (must be > 0)" for k in positive
               if getattr(self, k, None) is not None and getattr(self, k) <= 0]
        if not 0 < self.crop_min_scale <= 1:
            bad.append(f"crop_min_scale={self.crop_min_scale} (must be in (0, 1])")
        ema = getattr(self, "ema", None)
        if ema is not None and not 0 <= ema < 1:
            bad.append(f"ema={ema} (must be in [0, 1); 0 or none: no running average)")
        if getattr(self, "workers", 0) < 0:
            bad.append(f"workers={self.workers} (must be >= 0)")
        if bad:
            raise ValueError("; ".join(bad))
        return self

    @property
    def method_class(self) -> type[TorchMethod]:
        return get_method_class(self.method)  # type: ignore[return-value]

    def build_networks(self) -> dict[str, nn.Module]:
        return {"net": self.method_class.network_class(**self.network)}

    def card_meta(self) -> dict[str, Any]:
        """What a checkpoint needs at inference beyond its weights (e.g. Sim-k's database), for config.json."""
        return {}


class FittedRecipe(Recipe):
    """A statistical model fitted in closed form or by EM on the whole training split, no SGD loop."""

    def fit(self, train: np.ndarray) -> nn.Module:
        return self.method_class.network_class.fit(torch.from_numpy(train), **self.network)


class SGDRecipe(Recipe):
    """A network trained by gradient steps on batches of (image, mask)."""

    #: The network that is saved and evaluated (the others, such as a critic, only train it).
    inference_network: ClassVar[str] = "net"

    masks: str = Field(description="mask family of training and validation batches")
    batch_size: int = Field(description="the global batch, split over processes")
    lr: float
    betas: tuple[float, float] = (0.9, 0.999)
    lr_schedule: dict[str, list[tuple[int, float]]] = Field(
        default_factory=dict, description="{network: [[from_step, lr], ...]}")
    ema: float | None = Field(None, description="decay of the running average of the weights")
    flip: bool = Field(False, description="mirror a random half of the examples")
    early_stopping: bool = Field(True, description="keep the weights of the best validation loss")
    init_from: str | None = Field(None, description="a checkpoint of the same network (zoo id or folder) whose "
                                                     "weights start the run: fine-tuning instead of a blank start")
    init_sha256: str | None = Field(None, description="the sha256 of init_from's weights, recorded when the run "
                                                       "starts: a zoo id is republished, a retrain must not "
                                                       "start from its newer weights unnoticed")
    val_images: int = 1000
    max_steps: int | None = Field(None, description="stop after this many steps")
    workers: int = Field(0, description="data loader worker processes (masks are drawn there)")
    mixed_precision: Literal["no", "fp16", "bf16"] = Field("bf16", description="autocast on a GPU")

    def network_lr(self, name: str) -> float:
        """``lr_NAME`` (declared by recipes with more networks, such as ``lr_discriminator``) or ``lr``."""
        return float(getattr(self, f"lr_{name}", None) or self.lr)

    def build_optimizers(self, nets: dict[str, nn.Module]) -> dict[str, torch.optim.Optimizer]:
        return {name: torch.optim.Adam(net.parameters(), lr=self.network_lr(name), betas=self.betas)
                for name, net in nets.items()}

    def initialized(self, net: nn.Module) -> None:
        """Called once ``init_from``'s weights are in ``net``: a recipe may adapt them to its run."""

    def training_arrays(self, train: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The uint8 NxHxWxC arrays batches are drawn from; a method whose inputs go beyond the image
        (Sim-k's retrieved neighbours) stacks them on channels here, once before training."""
        return train, val

    def loss(self, net: nn.Module, images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """The loss on a batch (images Bx3xHxW in [0,1], masks Bx1xHxW, 1 = hole) the validation curve tracks."""
        raise NotImplementedError

    def training_loss(self, net: nn.Module, images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """The loss a training step minimises; a weighted objective overrides this, not :meth:`loss`."""
        return self.loss(net, images, masks)

    def train_step(self, nets: dict[str, nn.Module], opts: dict[str, torch.optim.Optimizer], images: torch.Tensor,
                   masks: torch.Tensor, step: int, accelerator: Accelerator) -> dict[str, torch.Tensor]:
        """One optimisation step on this process's share of a batch. Gradients go through
        ``accelerator.backward`` (mixed precision, DDP); a GAN step scores with its critic through
        :func:`frozen`. The logs are detached tensors ("loss" at least): the trainer reads them once a step."""
        net, opt = nets[self.inference_network], opts[self.inference_network]
        loss = self.training_loss(net, images, masks)
        opt.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        opt.step()
        return {"loss": loss.detach()}

    @torch.no_grad()
    def validation_loss(self, net: nn.Module, images: torch.Tensor, masks: torch.Tensor) -> float:
        return float(self.loss(net, images, masks))
