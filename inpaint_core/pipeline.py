"""The size pipeline around every method.

First the region: a method works on the part of the photo its fill depends on (Telea: the hole's
bounding box plus its radius; PatchMatch: the whole photo), at the scale it was made for. A
checkpoint trained on whole objects (faces centre-cropped to 64 px, CIFAR-10 at 32 px) sees the
photo resized so that it is at its training size; a method with a working-pixel bound sees its
region shrunk to that bound, so a 6000x4000 photo costs what its hole needs (IOPaint's crop and
resize strategies). Only the region is converted to float, and only its hole pixels are pasted
back into the uint8 photo, bit-exact elsewhere.

Then the size the method takes: fully convolutional methods run on the region padded to their size
multiple; fixed-size methods get a square window around the hole's bounding box, resized to their
native size, and the result is resized back; centre-hole methods get the window that puts the hole
inside their centre square.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from .errors import MaskError, UnsupportedHoleError
from .images import to_float, to_uint8
from .masks import bounding_box
from .types import Fill

if TYPE_CHECKING:
    from .methods.base import Method


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
    if box is None:
        raise MaskError("The mask has no hole: there is nothing to fill.")
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


def resize_mask(mask: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Conservative resize: a native pixel is a hole if any hole pixel touches it."""
    out_h, out_w = (size, size) if isinstance(size, int) else size
    if mask.shape == (out_h, out_w):
        return mask
    interp = cv2.INTER_AREA if out_h < mask.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(mask.astype(np.float32), (out_w, out_h), interpolation=interp) > 1e-6


def shrink_around_hole(image: np.ndarray, mask: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Resize a photo and its hole for a model that works at another scale, without leaking hole pixels
    and without growing the hole: a working pixel is a hole when most of what it covers is, and its
    colour is the mean of the visible pixels it covers (normalised averaging)."""
    visible = (~mask).astype(np.float32)
    out_h, out_w = size
    interp = cv2.INTER_AREA if out_h < mask.shape[0] else cv2.INTER_LINEAR
    weight = cv2.resize(visible, (out_w, out_h), interpolation=interp)
    summed = cv2.resize(image * visible[..., None], (out_w, out_h), interpolation=interp)
    hole = weight < 0.5
    shrunk = np.where(hole[..., None], 0.0, summed / np.maximum(weight, 1e-6)[..., None]).astype(np.float32)
    return np.clip(shrunk, 0.0, 1.0), hole


@dataclass(frozen=True)
class Region:
    """The box of the photo a method works on (rows top:bottom, columns left:right) and the factor by
    which that box is resized before the method sees it."""

    top: int
    left: int
    bottom: int
    right: int
    scale: float = 1.0

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.bottom), slice(self.left, self.right)

    @property
    def shape(self) -> tuple[int, int]:
        return self.bottom - self.top, self.right - self.left

    @property
    def working_shape(self) -> tuple[int, int]:
        """The region's size as the method sees it."""
        return tuple(max(1, round(side * self.scale)) for side in self.shape)  # type: ignore[return-value]


def plan_region(method: "Method", mask: np.ndarray, options: dict[str, Any]) -> Region:
    """Where and at what scale ``method`` works on a photo with hole ``mask``."""
    height, width = mask.shape
    whole = Region(0, 0, height, width)
    if method.capabilities.native_size is not None:  # fixed-size models cut their own window (plan_window)
        return whole
    if method.object_size:  # the photo is the object: resize it to the size the model learned objects at
        return Region(0, 0, height, width, method.object_size / min(height, width))
    margin = method.context(options)
    region = whole
    if margin is not None:
        box = bounding_box(mask)
        if box is None:
            raise MaskError("The mask has no hole: there is nothing to fill.")
        top, left, bottom, right = box
        region = Region(max(top - margin, 0), max(left - margin, 0), min(bottom + margin, height),
                        min(right + margin, width))
    pixels = region.shape[0] * region.shape[1]
    limit = method.max_working_pixels
    if limit is not None and pixels > limit:
        return Region(region.top, region.left, region.bottom, region.right, math.sqrt(limit / pixels))
    return region


def fill_region(method: "Method", photo: np.ndarray, mask: np.ndarray, rng: np.random.Generator,
                options: dict[str, Any], n: int = 1) -> tuple[list[np.ndarray], list[Fill], dict[str, Any]]:
    """Fill the hole of a uint8 photo ``n`` times; returns the uint8 results (pixels outside the hole
    are the photo's), the Fills, and a description of the processed region for the user."""
    region = plan_region(method, mask, options)
    crop, hole = to_float(photo[region.slices]), mask[region.slices]
    work = region.working_shape
    crop, hole_seen = shrink_around_hole(crop, hole, work) if region.scale != 1.0 else (crop, hole)
    fills, outs, info = run_pipeline(method, crop, hole_seen, rng, options, n)
    results = []
    for filled in fills:
        out = photo.copy()
        view = out[region.slices]
        view[hole] = to_uint8(resize_image(filled, region.shape)[hole])  # only the hole is converted back
        results.append(out)
    top, left, bottom, right = info["region"]  # in working pixels of the region: back to the photo's
    inv = 1 / region.scale
    info = {**info, "region": (region.top + round(top * inv), region.left + round(left * inv),
                               region.top + round(bottom * inv), region.left + round(right * inv)),
            "scale": info["scale"] * region.scale}
    return results, outs, info


def _pad_to_multiple(image: np.ndarray, mask: np.ndarray, multiple: int) -> tuple[np.ndarray, np.ndarray]:
    h, w = mask.shape
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return image, mask
    # one reflection for both, so a reflected hole pixel stays a hole (zeroed, it would read as black)
    pad = lambda a: np.pad(a, [(0, ph), (0, pw)] + [(0, 0)] * (a.ndim - 2), mode="symmetric")  # noqa: E731
    return pad(image), pad(mask)


def _as_fill(out: Fill | np.ndarray) -> Fill:
    """Methods may return a bare float image instead of a :class:`Fill`."""
    return out if isinstance(out, Fill) else Fill(out)


def run_pipeline(
    method: "Method", image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, options: dict[str, Any],
    n: int = 1,
) -> tuple[list[np.ndarray], list[Fill], dict[str, Any]]:
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
