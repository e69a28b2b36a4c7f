"""The UNet of the semi-parametric paper (004) and of its PConv baseline, with true partial convolutions.

One network class serves both methods: ``partial=True`` is Liu et al.'s partial-convolution UNet
(convolutions see only valid pixels, renormalised, and the mask shrinks layer by layer);
``partial=False`` is Sim-k's UNet of ordinary convolutions whose input stacks the masked image, the
mask and ``references`` auxiliary images (3 + 1 + 3k channels).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn


class PartialConv2d(nn.Conv2d):
    """Partial convolution: ``W^T (X * M) * sum(1) / sum(M) + b`` where the window holds a valid
    input, 0 elsewhere, and the new mask is 1 wherever the window held one.

    ``mask`` (1 = valid) has one channel per input channel, so a concatenation of features whose
    masks differ (a UNet skip) is renormalised correctly.
    """

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        with torch.no_grad():
            ones = torch.ones(1, x.shape[1], *self.kernel_size, dtype=x.dtype, device=x.device)
            count = F.conv2d(mask, ones, None, self.stride, self.padding, self.dilation)
            valid = (count > 0).to(x.dtype)
            ratio = ones.numel() / count.clamp_min(1.0) * valid
        out = F.conv2d(x * mask, self.weight, None, self.stride, self.padding, self.dilation) * ratio
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1) * valid
        return out, valid


class _Layer(nn.Module):
    """A convolution and an activation; a partial one also maps the validity mask (None otherwise)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, partial: bool, act: nn.Module | None) -> None:
        super().__init__()
        self.conv = (PartialConv2d if partial else nn.Conv2d)(cin, cout, kernel, stride, kernel // 2)
        self.act = act or nn.Identity()

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        if mask is None:
            return self.act(self.conv(x)), None
        x, valid = self.conv(x, mask)
        return self.act(x), valid.expand_as(x)


class InpaintUNet(nn.Module, PyTorchModelHubMixin):
    """Encoder of stride-2 convolutions (kernels 7, 5, 5, 3, ... as in PConv), decoder of nearest
    upsampling + skip concatenation + 3x3 convolution with leaky ReLU, and a last layer that also sees
    the input, as in Liu et al. Sides must be multiples of ``2 ** len(widths)``."""

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 128), kernels: tuple[int, ...] = (7, 5, 5, 3),
                 partial: bool = True, references: int = 0) -> None:
        super().__init__()
        if len(kernels) != len(widths):
            raise ValueError("one kernel size per encoder level")
        if partial and references:
            raise ValueError("the partial-convolution UNet takes no reference images (that is Sim-k's)")
        self.partial, self.references = partial, references
        self.in_channels = 3 if partial else 3 + 1 + 3 * references
        chans = [self.in_channels, *widths]
        self.down = nn.ModuleList(_Layer(chans[i], chans[i + 1], k, 2, partial, nn.ReLU())
                                  for i, k in enumerate(kernels))
        self.up = nn.ModuleList(
            _Layer(chans[i + 1] + chans[i], chans[i] if i else 3, 3, 1, partial, nn.LeakyReLU(0.2) if i else None)
            for i in reversed(range(len(widths))))

    @property
    def multiple(self) -> int:
        return 2 ** len(self.down)

    def _input(self, image: torch.Tensor, mask: torch.Tensor, refs: torch.Tensor | None) -> torch.Tensor:
        x = image * (1 - mask)  # pixel values under the hole never reach the network
        if self.partial:
            return x
        if self.references and (refs is None or refs.shape[1] != 3 * self.references):
            raise ValueError(f"this Sim-{self.references} network needs {self.references} reference image(s)")
        return torch.cat([x, mask, *([refs] if self.references else [])], dim=1)

    def encode(self, image: torch.Tensor, mask: torch.Tensor, refs: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Features of every encoder level (deepest last), the descriptor of a retrieval database."""
        return self._encode(image, mask, refs)[0]

    def _encode(self, image, mask, refs):
        x = self._input(image, mask, refs)
        valid = (1 - mask).expand_as(x) if self.partial else None
        feats, masks = [x], [valid]
        for layer in self.down:
            x, valid = layer(x, valid)
            feats.append(x)
            masks.append(valid)
        return feats, masks

    def forward(self, image: torch.Tensor, mask: torch.Tensor, refs: torch.Tensor | None = None) -> torch.Tensor:
        """A full image (Bx3xHxW) from the image, its hole (Bx1xHxW, 1 = hole) and, for Sim-k, the
        references stacked on channels; only the hole is meant to be kept."""
        feats, masks = self._encode(image, mask, refs)
        x, valid = feats.pop(), masks.pop()
        for layer in self.up:
            skip, skip_valid = feats.pop(), masks.pop()
            x = torch.cat([F.interpolate(x, scale_factor=2.0, mode="nearest"), skip], dim=1)
            if valid is not None:
                valid = torch.cat([F.interpolate(valid, scale_factor=2.0, mode="nearest"), skip_valid], dim=1)
            x, valid = layer(x, valid)
        return torch.sigmoid(x)
