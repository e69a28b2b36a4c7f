"""WGAN context encoder with the overlap trick (Deep Image Inpainting, paper 001).

The generator is the L2 context encoder's network asked for the 16x16 centre: the 8x8 hole plus a
4-pixel ring it can see. The ring's reconstruction error weighs 20 times more, so the prediction is
pulled to agree with the context at its border and the pasted 8x8 hole shows no seam. A Wasserstein
critic judges the whole image with the 8x8 prediction pasted in; it is kept 1-Lipschitz with a
gradient penalty (WGAN-GP) rather than the paper's clipping, which trains more stably on few steps.
Only the 8x8 hole is pasted into the output.
"""

from __future__ import annotations

import torch

from ..learned import TorchMethod
from ..tensors import to_image, to_tensor
from .base import Capabilities
from .context_encoder import ContextEncoderNet, centre_hole_mask, centre_slice
from .registry import register_method

SIZE, HOLE, OUT = 32, 8, 16  # image, hole and predicted square sides
INNER = centre_slice(OUT, HOLE)  # the hole inside the predicted square


def paste_hole(images: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
    """The completed image: only the 8x8 hole of the prediction replaces pixels."""
    s = centre_slice(SIZE, HOLE)
    out = images.clone()
    out[..., s, s] = pred[..., INNER, INNER]
    return out


@register_method
class WGANContextEncoder(TorchMethod):
    name = "wgan-context-encoder"
    description = "Context encoder + Wasserstein critic, predicting the hole with a 4 px overlap ring (CIFAR-10, 8x8 centre)."
    paper = "Deep Image Inpainting (CIFAR-10 centre-hole study), WGAN with the overlap trick"
    capabilities = Capabilities(native_size=SIZE, centre_hole=HOLE, needs_checkpoint=True)
    network_class = ContextEncoderNet

    @torch.no_grad()
    def fill(self, image, mask, rng):
        x, _ = to_tensor(image, mask)
        return to_image(paste_hole(x, self.net(x, centre_hole_mask(1, SIZE, HOLE))))
