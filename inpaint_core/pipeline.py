"""The size pipeline around every method.

Fully convolutional methods run on the whole image, padded to their size multiple. Fixed-size
methods get a square window around the hole's bounding box, resized to their native size, and
the result is resized back; centre-hole methods get the window that puts the hole inside their
centre square. Only hole pixels are ever pasted back (in :meth:`Method.inpaint`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from .errors import UnsupportedHoleError
from .masks import bounding_box

if TYPE_CHECKING:
    from .methods.base import Fill, Method


@dataclass(frozen=True)
class Window:
    """A square region of the image (may reach past its borders; padded by reflection)."""

    top: int
    left: int
    side: int


def plan_window(mask: np.ndarray, native: int, centre_hole: int | None = None, margin: float = 0.5) -> Window:
    """Choose the square crop that a fixed-size model sees, in image coordinates."""
    height, width = mask.shape
    box = bounding_box(mask)
    assert box is not None, "plan_window needs a mask with a hole"
    top, left, bottom, right = box
    extent = max(bottom - top, right - left)
    cy, cx = (top + bottom) / 2, (left + right) / 2
    if centre_hole:
        side = max(native, math.ceil(extent * native / centre_hole))
        if side > min(height, width) and extent > centre_hole:
            raise UnsupportedHoleError(
                f"The hole is {bottom - top}x{right - left} px, too large for this centre-hole method: it fills "
                f"a hole of at most {centre_hole / native:.0%} of its window, so this image allows at most "
                f"{min(height, width) * centre_hole // native} px. Paint a smaller hole or pick a method for any mask."
            )
        # keep the hole centred: the window may reach past the border (reflection padding)
        return Window(round(cy - side / 2), round(cx - side / 2), side)
    side = max(native, math.ceil(extent * (1 + 2 * margin)))
    side = min(side, max(height, width))
    wtop = min(max(round(cy - side / 2), 0), max(height - side, 0)) if side <= height else round(cy - side / 2)
    wleft = min(max(round(cx - side / 2), 0), max(width - side, 0)) if side <= width else round(cx - side / 2)
    return Window(wtop, wleft, side)


def crop_padded(image: np.ndarray, window: Window) -> np.ndarray:
    """Crop ``window``; parts outside the image are filled by symmetric reflection."""
    h, w = image.shape[:2]
    pad_top, pad_left = max(0, -window.top), max(0, -window.left)
    pad_bottom = max(0, window.top + window.side - h)
    pad_right = max(0, window.left + window.side - w)
    pads = [(pad_top, pad_bottom), (pad_left, pad_right)] + [(0, 0)] * (image.ndim - 2)
    padded = np.pad(image, pads, mode="symmetric") if any(p for pair in pads for p in pair) else image
    top, left = window.top + pad_top, window.left + pad_left
    return padded[top : top + window.side, left : left + window.side]


def resize_image(image: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize a float image; area averaging when shrinking, bicubic when enlarging."""
    out_h, out_w = (size, size) if isinstance(size, int) else size
    if image.shape[:2] == (out_h, out_w):
        return image
    interp = cv2.INTER_AREA if out_h < image.shape[0] else cv2.INTER_CUBIC
    return np.clip(cv2.resize(image, (out_w, out_h), interpolation=interp), 0.0, 1.0)


def resize_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """Conservative resize: a native pixel is a hole if any hole pixel touches it."""
    if mask.shape == (size, size):
        return mask
    interp = cv2.INTER_AREA if size < mask.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(mask.astype(np.float32), (size, size), interpolation=interp) > 1e-6


def _pad_to_multiple(image: np.ndarray, mask: np.ndarray, multiple: int) -> tuple[np.ndarray, np.ndarray]:
    h, w = mask.shape
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return image, mask
    return (np.pad(image, ((0, ph), (0, pw), (0, 0)), mode="symmetric"), np.pad(mask, ((0, ph), (0, pw))))


def _as_fill(out: "Fill | np.ndarray") -> "Fill":
    """Methods may return a bare float image instead of a :class:`Fill`."""
    from .methods.base import Fill

    return out if isinstance(out, Fill) else Fill(out)


def run_pipeline(
    method: "Method", image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, options: dict[str, Any],
    n: int = 1,
) -> tuple[list[np.ndarray], list["Fill"], dict[str, Any]]:
    """Run the method at the size it needs and draw ``n`` fills of one hole (``method.fill_batch``, so
    a model can sample them together); returns the full-size fills, the Fills, and a description of
    the processed region for the user."""
    caps = method.capabilities
    image = np.where(mask[..., None], np.float32(0), image)  # methods never see hole pixels
    height, width = mask.shape
    refs = [resize_image(r, (height, width)) for r in options.get("references") or []]  # scaled to the photo
    if caps.native_size is None:
        padded, pmask = _pad_to_multiple(image, mask, caps.size_multiple)
        if refs:  # reference photos follow the image's geometry, so what is aligned stays aligned
            options = {**options, "references": [_pad_to_multiple(r, mask, caps.size_multiple)[0] for r in refs]}
        outs = [_as_fill(o) for o in method.fill_batch(padded, pmask, rng, n, **options)]
        region = {"region": (0, 0, height, width), "resolution": (height, width), "scale": 1.0}
        return [o.image[:height, :width] for o in outs], outs, region
    native = caps.native_size
    window = plan_window(mask, native, caps.centre_hole)
    crop = resize_image(crop_padded(image, window), native)
    cmask = resize_mask(crop_padded(mask, window), native)
    if refs:
        options = {**options, "references": [resize_image(crop_padded(r, window), native) for r in refs]}
    outs = [_as_fill(o) for o in method.fill_batch(crop.astype(np.float32), cmask, rng, n, **options)]
    top, left = max(window.top, 0), max(window.left, 0)
    bottom, right = min(window.top + window.side, height), min(window.left + window.side, width)
    fulls = []
    for out in outs:
        back = resize_image(out.image.astype(np.float32), window.side)
        full = np.zeros_like(image)
        full[top:bottom, left:right] = back[top - window.top : bottom - window.top, left - window.left : right - window.left]
        fulls.append(full)
    region = {"region": (window.top, window.left, window.top + window.side, window.left + window.side),
              "resolution": (native, native), "scale": native / window.side}
    return fulls, outs, region
