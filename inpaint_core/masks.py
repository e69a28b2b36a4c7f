"""The one conversion point for masks: everything becomes bool HxW with True = hole.

Accepted sources: a file (white / non-zero = hole), an array, or a painted layer whose alpha
channel marks the brush strokes (transparent = keep).
"""

from __future__ import annotations

import cv2
import numpy as np

from .errors import MaskError
from .images import ImageSource, open_pil

#: Hole-ratio buckets of the semi-parametric paper's Table 1: [0.01,0.1], (0.1,0.2], ..., (0.5,0.6].
BUCKET_EDGES = (0.01, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
BUCKET_LABELS = tuple(
    ("[" if i == 0 else "(") + f"{lo:g},{hi:g}]" for i, (lo, hi) in enumerate(zip(BUCKET_EDGES, BUCKET_EDGES[1:])))


def _array_to_mask(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype == bool:  # Pillow's 1-bit images decode to bools whose true bytes are 255: make them 0/1
        arr = arr.view(np.uint8)
        if arr.ndim == 2:
            return arr != 0
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise MaskError("The mask contains NaN or infinite values: use 0 for kept pixels and 1 (or 255) for the hole.")
    if arr.ndim == 3 and arr.shape[2] == 4:
        alpha = arr[..., 3]
        if alpha.min() != alpha.max():  # a painted layer: opaque strokes on a transparent canvas
            return alpha > 0
        arr = arr[..., :3]
    if arr.ndim == 3:
        return np.any(arr > 0, axis=2)
    if arr.ndim == 2:
        return arr > 0
    raise MaskError(f"A mask must be HxW, HxWx3 or HxWx4, got shape {arr.shape}.")


def load_mask(src: ImageSource, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Decode a mask; when ``shape`` is given the mask must have exactly that height and width."""
    if isinstance(src, np.ndarray):
        mask = _array_to_mask(src)
    else:
        img = open_pil(src)
        if img.mode in ("P", "LA", "PA") or "transparency" in img.info:
            img = img.convert("RGBA")
        elif img.mode not in ("1", "L", "RGB", "RGBA", "I", "I;16", "F"):
            img = img.convert("RGB")
        mask = _array_to_mask(np.asarray(img))
    if shape is not None and tuple(mask.shape) != tuple(shape[:2]):
        raise MaskError(
            f"The mask is {mask.shape[1]}x{mask.shape[0]} (WxH) but the image is {shape[1]}x{shape[0]}: "
            "paint or export the mask at the image's size."
        )
    return mask


def hole_ratio(mask: np.ndarray) -> float:
    return float(np.mean(mask))


def hole_bucket(ratio: float) -> str | None:
    """Label of the Table-1 bucket holding ``ratio``; None outside [0.01, 0.6]."""
    if ratio < BUCKET_EDGES[0] or ratio > BUCKET_EDGES[-1]:
        return None
    for label, hi in zip(BUCKET_LABELS, BUCKET_EDGES[1:]):
        if ratio <= hi:
            return label
    return None  # pragma: no cover - unreachable, ratio <= last edge


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) of the hole, bottom/right exclusive; None when there is no hole."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def hole_depth(mask: np.ndarray) -> np.ndarray:
    """Float32 HxW: each hole pixel's distance (px) to the nearest kept one, 0 outside the hole; 1 on the
    hole's first ring. Where a fill joins the photo, and how far a pixel is from any evidence."""
    return cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
