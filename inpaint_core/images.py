"""The one conversion point for images.

Everything outside the package speaks uint8 HxWx3 (plus an optional uint8 alpha that is put back on
output); everything inside speaks float32 HxWx3 in [0, 1]. Decoding quirks (EXIF rotation, 16-bit,
palettes, grayscale, transparency) are handled here once so that no method has to care.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageReadError, ImageTooLargeError, ImageWriteError
from .limits import check_image_size, limit

#: File suffixes read as images (data set folders and archives, mask folders, the CLI's folder input).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif")

ImageSource = Union[str, os.PathLike, bytes, Image.Image, np.ndarray]

@dataclass
class RGBImage:
    """A decoded image: ``rgb`` uint8 HxWx3 and ``alpha`` uint8 HxW or None."""

    rgb: np.ndarray
    alpha: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.rgb.shape[:2]

    def with_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """Re-attach the original alpha to new RGB content (HxWx4 when there was an alpha)."""
        if self.alpha is None:
            return rgb
        return np.dstack([rgb, self.alpha])


def _describe(src: ImageSource) -> str:
    if isinstance(src, (str, os.PathLike)):
        return f"'{os.fspath(src)}'"
    return f"the {type(src).__name__} input"


def open_pil(src: ImageSource, max_pixels: int | None = None) -> Image.Image:
    """Open and fully decode with Pillow, EXIF orientation applied; clear errors for bad files."""
    what = _describe(src)
    if isinstance(src, Image.Image):
        img = src
    else:
        try:
            if isinstance(src, (bytes, bytearray)):
                img = Image.open(io.BytesIO(src))
            else:
                path = Path(src)
                if not path.is_file():
                    raise ImageReadError(f"No image file at {what}: check the path.")
                img = Image.open(path)
        except Image.DecompressionBombError as exc:  # Pillow's own guard fires above 2x its limit
            raise ImageTooLargeError(
                f"Image {what} declares more pixels than Pillow will decode ({exc}); the limit here is "
                f"{limit('pixels', max_pixels):,.0f} pixels (INPAINT_MAX_PIXELS). Downscale it first."
            ) from exc
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise ImageReadError(
                f"Cannot read {what} as an image ({exc}). Use a PNG, JPEG, WebP, BMP or TIFF file."
            ) from exc
    check_image_size(img.width, img.height, f"Image {what}", max_pixels)
    try:
        img.load()
        img = ImageOps.exif_transpose(img)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageReadError(
            f"Cannot decode {what}: the file is damaged or truncated ({exc}). Re-export or re-download it."
        ) from exc
    return img


def _sixteen_bit_to_uint8(arr: np.ndarray) -> np.ndarray:
    return np.clip(np.round(arr.astype(np.float64) / 257.0), 0, 255).astype(np.uint8)


def _pil_to_rgb(img: Image.Image) -> RGBImage:
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(img)
        gray = _sixteen_bit_to_uint8(arr) if arr.max(initial=0) > 255 or img.mode != "I" else arr.astype(np.uint8)
        return RGBImage(np.repeat(gray[..., None], 3, axis=2))
    if img.mode == "F":
        values = np.asarray(img)
        if not np.isfinite(values).all():
            raise ImageReadError("The float image contains NaN or infinite values: export it as 8 or 16 bit.")
        gray = np.clip(values, 0, 255).astype(np.uint8)
        return RGBImage(np.repeat(gray[..., None], 3, axis=2))
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        rgba = np.asarray(img.convert("RGBA"))
        return RGBImage(np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3]))
    return RGBImage(np.asarray(img.convert("RGB")).copy())


def array_to_rgb(arr: np.ndarray) -> RGBImage:
    """Normalise an in-memory array (gray, RGB, RGBA; uint8, uint16 or float in [0,1]) to uint8 RGB."""
    arr = np.asarray(arr)
    if arr.dtype == bool or arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise ImageReadError(
            f"An image array must be HxW, HxWx3 or HxWx4 of uint8/uint16/float, got {arr.shape} {arr.dtype}."
        )
    if arr.dtype == np.uint16:
        arr = _sixteen_bit_to_uint8(arr)
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise ImageReadError("The image array contains NaN or infinite values.")
        if arr.min() < 0 or arr.max() > 1:
            raise ImageReadError("A float image array must lie in [0, 1]; scale it or pass uint8 instead.")
        arr = to_uint8(arr)
    elif arr.dtype != np.uint8:
        if arr.min() < 0 or arr.max() > 255:
            raise ImageReadError(f"Integer image values must lie in [0, 255], got {arr.min()}..{arr.max()}.")
        arr = arr.astype(np.uint8)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape[2] == 1:
        return RGBImage(np.repeat(arr, 3, axis=2))
    if arr.shape[2] == 4:
        return RGBImage(np.ascontiguousarray(arr[..., :3]), np.ascontiguousarray(arr[..., 3]))
    return RGBImage(np.ascontiguousarray(arr))


def load_image(src: ImageSource | RGBImage, max_pixels: int | None = None) -> RGBImage:
    """Decode any supported source into :class:`RGBImage` (uint8), enforcing the pixel limit."""
    if isinstance(src, RGBImage):
        rgb = src
    elif isinstance(src, np.ndarray):
        rgb = array_to_rgb(src)
    else:
        rgb = _pil_to_rgb(open_pil(src, max_pixels))
    h, w = rgb.shape
    if h == 0 or w == 0:
        raise ImageReadError("The image is empty (zero width or height).")
    check_image_size(w, h, "The image", max_pixels)
    return rgb


def to_float(rgb: np.ndarray) -> np.ndarray:
    """uint8 -> float32 in [0, 1]."""
    return rgb.astype(np.float32) / np.float32(255.0)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float in [0, 1] -> uint8, rounded and clipped (in place on one float copy: a large photo's
    conversion is part of every fill's cost)."""
    scaled = np.multiply(image, np.float32(255.0), dtype=np.float32)
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0, 255, out=scaled)
    return scaled.astype(np.uint8)


def save_image(path: str | os.PathLike, image: np.ndarray, fast: bool = False) -> None:
    """Write uint8 HxWx3 / HxWx4; PNG (lossless) unless the suffix asks otherwise. An unknown suffix
    or a place that cannot be written is an error that names the path. ``fast`` compresses a PNG less
    (level 1: about 3x faster on a 24-megapixel photo, a third larger), for a download made on a click."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        extra = {"compress_level": 1} if fast and path.suffix.lower() == ".png" else {}
        Image.fromarray(np.asarray(image, dtype=np.uint8)).save(path, **extra)
    except ValueError as exc:  # Pillow: unknown extension
        raise ImageWriteError(f"Cannot write '{path}': {exc}. End the name in .png (lossless), .jpg or .webp.") from exc
    except OSError as exc:
        raise ImageWriteError(f"Cannot write '{path}' ({exc.strerror or exc}): choose a folder you can write to "
                              "and a shorter name.") from exc
