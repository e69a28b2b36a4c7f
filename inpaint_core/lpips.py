"""Shift-tolerant LPIPS (Ghildyal and Liu, ECCV 2022), defined here, weights from the stlpips wheel.

Pixel errors reward blur: a smeared hole scores well on MSE and looks wrong. LPIPS compares deep
features instead and agrees with people far better. The shift-tolerant variant (stride-1 first
convolution, blur-pooling before every downsampling) does not punish a fill that is plausible but
a pixel off, which is what a good inpainting is. The networks are rebuilt here because the
``stlpips-pytorch`` package itself imports torchvision, which does not load beside the CPU torch
this project pins; its weight files are read through :mod:`inpaint_core.wheel_weights`.

Convention (docs/metrics.md): the whole image, resized by area so its short side is 256 px when it
is larger, [0, 1] mapped to [-1, 1]; AlexNet by default, VGG-16 available.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .errors import InpaintError
from .wheel_weights import wheel_state_dict

NETWORKS = ("alex", "vgg")
SHORT_SIDE = 256
_WEIGHTS = {"alex": "stlpips_pytorch/weights/vST0.0/alex_shift_tolerant.pth",
            "vgg": "stlpips_pytorch/weights/vST0.0/vgg_shift_tolerant.pth"}
_CHANNELS = {"alex": (64, 192, 384, 256, 256), "vgg": (64, 128, 256, 512, 512)}
#: The shortest side each network can see: below it the deepest blur-pool has nothing to reflect.
MIN_SIDE = {"alex": 21, "vgg": 18}


class BlurPool(nn.Module):
    """Anti-aliased downsampling: reflect-pad, [1 2 1] x [1 2 1] blur, stride 2 (Zhang, ICML 2019).

    ``pad_more`` pads by the filter size minus one on each side (the shift-tolerant variant)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        taps = torch.tensor([1.0, 2.0, 1.0])
        filt = taps[:, None] * taps[None, :]
        self.register_buffer("filt", (filt / filt.sum())[None, None].repeat(channels, 1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), self.filt, stride=2, groups=x.shape[1])


def _slices(layers: list[nn.Module], bounds: tuple[int, ...]) -> nn.ModuleList:
    """Group ``layers`` into the five feature slices, keeping the original indices as names so that
    the wheel's state-dict keys (``net.slice2.5.weight``) load unchanged."""
    out = nn.ModuleList()
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        seq = nn.Sequential()
        for i in range(lo, hi):
            seq.add_module(str(i), layers[i])
        out.append(seq)
    return out


def _alexnet() -> nn.ModuleList:
    relu = lambda: nn.ReLU(inplace=True)  # noqa: E731
    layers = [nn.Conv2d(3, 64, 11, stride=1, padding=2), BlurPool(64), relu(),
              nn.MaxPool2d(3, stride=1), BlurPool(64), nn.Conv2d(64, 192, 5, padding=2), relu(),
              nn.MaxPool2d(3, stride=1), BlurPool(192), nn.Conv2d(192, 384, 3, padding=1), relu(),
              nn.Conv2d(384, 256, 3, padding=1), relu(), nn.Conv2d(256, 256, 3, padding=1), relu()]
    return _slices(layers, (0, 3, 7, 11, 13, 15))


def _vgg16() -> nn.ModuleList:
    layers: list[nn.Module] = []
    channels = 3
    for width in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512):
        if width == "M":
            layers += [nn.MaxPool2d(2, stride=1), BlurPool(channels)]
        else:
            layers += [nn.Conv2d(channels, int(width), 3, padding=1), nn.ReLU(inplace=True)]
            channels = int(width)
    return _slices(layers, (0, 4, 10, 18, 26, 34))


class _Trunk(nn.Module):
    def __init__(self, slices: nn.ModuleList) -> None:
        super().__init__()
        for i, part in enumerate(slices, start=1):
            self.add_module(f"slice{i}", part)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for i in range(1, 6):
            x = getattr(self, f"slice{i}")(x)
            feats.append(x)
        return feats


class _Scaling(nn.Module):
    """ImageNet statistics in LPIPS's [-1, 1] input space."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188])[None, :, None, None])
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450])[None, :, None, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.shift) / self.scale


class _Linear(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Identity(), nn.Conv2d(channels, 1, 1, bias=False))  # [0] was dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class LPIPS(nn.Module):
    """LPIPS distance between two batches in [-1, 1]; ``features`` exposes the trunk for losses."""

    def __init__(self, net: str = "alex") -> None:
        super().__init__()
        if net not in NETWORKS:
            raise InpaintError(f"Unknown LPIPS network '{net}'; choose one of {', '.join(NETWORKS)}.")
        self.scaling_layer = _Scaling()
        self.net = _Trunk(_alexnet() if net == "alex" else _vgg16())
        for i, ch in enumerate(_CHANNELS[net]):
            self.add_module(f"lin{i}", _Linear(ch))

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The five unit-normalised feature maps of ``x`` in [-1, 1]."""
        feats = self.net(self.scaling_layer(x))
        return [f / (torch.sqrt(torch.sum(f * f, dim=1, keepdim=True)) + 1e-10) for f in feats]

    def distance(self, a: list[torch.Tensor], b: list[torch.Tensor]) -> torch.Tensor:
        """Per-sample distance between two lists of :meth:`features`."""
        total = 0
        for i, (fa, fb) in enumerate(zip(a, b)):
            total = total + getattr(self, f"lin{i}")((fa - fb) ** 2).mean(dim=(2, 3))
        return total[:, 0]

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.distance(self.features(x), self.features(y))


@lru_cache(maxsize=None)
def lpips_network(net: str = "alex") -> LPIPS:
    """The pretrained network, built once per process, frozen, in eval mode."""
    model = LPIPS(net)
    state = wheel_state_dict("stlpips-pytorch", _WEIGHTS[net])
    model.load_state_dict(state, strict=True)
    model.eval().requires_grad_(False)
    return model.to(memory_format=torch.channels_last)  # 1.7x faster convolutions on CPU


def prepare(image: np.ndarray, short_side: int | None = SHORT_SIDE) -> torch.Tensor:
    """uint8 or [0, 1] float HxWx3 -> 1x3xHxW in [-1, 1], area-resized to ``short_side`` when larger."""
    arr = np.asarray(image)
    arr = arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float32)
    h, w = arr.shape[:2]
    if short_side and min(h, w) > short_side:
        scale = short_side / min(h, w)
        arr = cv2.resize(arr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(np.ascontiguousarray(arr[..., :3].transpose(2, 0, 1)))[None] * 2 - 1


def lpips(pred: np.ndarray, target: np.ndarray, net: str = "alex") -> float:
    """ST-LPIPS between two images by the project's convention (0 = identical, larger = further);
    NaN for images smaller than the network can see (:data:`MIN_SIDE`, e.g. 28 px MNIST digits)."""
    if pred.shape[:2] != target.shape[:2]:
        raise InpaintError(f"LPIPS needs images of one size, got {pred.shape[:2]} and {target.shape[:2]}.")
    model = lpips_network(net)
    if min(pred.shape[:2]) < MIN_SIDE[net]:
        return float("nan")
    with torch.inference_mode():
        feats = model.features(torch.cat([prepare(pred), prepare(target)]).contiguous(memory_format=torch.channels_last))
        return float(model.distance([f[:1] for f in feats], [f[1:] for f in feats]))
