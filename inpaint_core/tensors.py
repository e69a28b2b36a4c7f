"""The one conversion point between the library's numpy images (float32 HxWx3 in [0, 1] inside, uint8
arrays of data sets, bool masks with True = hole) and the tensors networks take (NxCxHxW float, masks
Nx1xHxW with 1 = hole)."""

from __future__ import annotations

import numpy as np
import torch


def to_tensor(image: np.ndarray, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """float32 HxWx3 and bool HxW -> 1x3xHxW float and 1x1xHxW float (1 = hole)."""
    x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]
    m = torch.from_numpy(mask.astype(np.float32))[None, None]
    return x, m


def to_image(x: torch.Tensor) -> np.ndarray:
    """1xCxHxW -> float32 HxWxC in [0, 1], on the CPU."""
    return x[0].detach().clamp(0, 1).permute(1, 2, 0).cpu().numpy().astype(np.float32)


def batch_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 NxHxWxC (a data set's array, or a memory map of it) -> float NxCxHxW in [0, 1]."""
    return torch.from_numpy(np.array(images)).permute(0, 3, 1, 2).float().div_(255.0)  # a copy: a memory map is read-only
