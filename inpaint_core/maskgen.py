"""Seeded, size-aware mask generators for training and benchmarks.

Every generator is a callable ``(height, width, rng) -> bool HxW`` (True = hole) so that a
benchmark can derive one ``rng`` per image and stay reproducible when resumed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import cv2
import numpy as np

from .archive import iter_archive_files
from .errors import MaskError
from .images import IMAGE_SUFFIXES
from .masks import hole_ratio, load_mask


class MaskGenerator(Protocol):
    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray: ...


def image_mask(gen: MaskGenerator, shape: tuple[int, int], seed: int, index: int) -> np.ndarray:
    """The mask of image ``index`` of a benchmark or figure: a pure function of (seed, index), so a
    resumed run and a figure redraw the same holes."""
    return gen(shape[0], shape[1], np.random.default_rng([seed, index]))


def centre_mask(height: int, width: int, size: int | None = None) -> np.ndarray:
    """Square hole in the centre; by default a quarter of the short side (8x8 in 32x32)."""
    side = size if size is not None else max(1, round(min(height, width) / 4))
    mask = np.zeros((height, width), dtype=bool)
    top, left = (height - side) // 2, (width - side) // 2
    mask[top : top + side, left : left + side] = True
    return mask


@dataclass
class CentreSquare:
    size: int | None = None

    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        return centre_mask(height, width, self.size)


@dataclass
class RandomRectangles:
    """GLCIC protocol: height and width uniform in [5, 12] at 32 px, scaled with the image size."""

    min_side: int = 5
    max_side: int = 12
    reference_size: int = 32
    count: int = 1

    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        scale = min(height, width) / self.reference_size
        lo = max(1, round(self.min_side * scale))
        hi = max(lo, round(self.max_side * scale))
        mask = np.zeros((height, width), dtype=bool)
        for _ in range(self.count):
            h = min(int(rng.integers(lo, hi + 1)), height)
            w = min(int(rng.integers(lo, hi + 1)), width)
            top = int(rng.integers(0, height - h + 1))
            left = int(rng.integers(0, width - w + 1))
            mask[top : top + h, left : left + w] = True
        return mask


@dataclass
class RandomBlobs:
    """Pixel Constrained CNN, Algorithm 1: blobs grown from random seeds by coin flips.

    Neighbours are 4-connected. Iteration counts are given at 32 px and scaled with the short side,
    so a blob covers the same share of a larger image.
    """

    max_num_blobs: int = 4
    iter_min: int = 2
    iter_max: int = 7
    reference_size: int = 32

    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        scale = max(1.0, min(height, width) / self.reference_size)
        mask = np.zeros((height, width), dtype=bool)
        for _ in range(int(rng.integers(1, self.max_num_blobs + 1))):
            iters = round(int(rng.integers(self.iter_min, self.iter_max + 1)) * scale)
            frontier = np.zeros_like(mask)
            frontier[rng.integers(0, height), rng.integers(0, width)] = True
            mask |= frontier
            for _ in range(iters):
                grown = np.zeros_like(mask)
                for axis, step in ((0, 1), (0, -1), (1, 1), (1, -1)):
                    shifted = np.roll(frontier, step, axis=axis)
                    edge = [slice(None), slice(None)]
                    edge[axis] = 0 if step == 1 else -1
                    shifted[tuple(edge)] = False  # no wrap-around
                    grown |= shifted & (rng.random(mask.shape) > 0.5)
                mask |= grown
                frontier = grown
                if not frontier.any():
                    break
        return mask


def _draw_polyline(canvas: np.ndarray, points: np.ndarray, width: int) -> None:
    pts = np.round(points).astype(np.int32).reshape(-1, 1, 2)
    if len(pts) == 1:
        cv2.circle(canvas, tuple(int(v) for v in pts[0, 0]), max(1, width // 2), 255, -1)
    else:
        cv2.polylines(canvas, [pts], isClosed=False, color=255, thickness=max(1, width), lineType=cv2.LINE_AA)


@dataclass
class FreeFormStrokes:
    """Brush strokes like a person's: random walks with a thick round brush (DeepFill v2 style)."""

    max_strokes: int = 4
    max_vertices: int = 10
    min_width: float = 0.03  # brush width as a share of the short side
    max_width: float = 0.10

    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        canvas = np.zeros((height, width), dtype=np.uint8)
        short = min(height, width)
        for _ in range(int(rng.integers(1, self.max_strokes + 1))):
            n = int(rng.integers(2, self.max_vertices + 1))
            brush = max(1, round(rng.uniform(self.min_width, self.max_width) * short))
            point = np.array([rng.uniform(0, width), rng.uniform(0, height)])
            angle = rng.uniform(0, 2 * math.pi)
            points = [point.copy()]
            for _ in range(n):
                angle += rng.uniform(-math.pi / 3, math.pi / 3)
                length = rng.uniform(0.05, 0.25) * short
                point = np.clip(point + length * np.array([math.cos(angle), math.sin(angle)]), 0, [width - 1, height - 1])
                points.append(point.copy())
            _draw_polyline(canvas, np.array(points), brush)
        return canvas > 127


class QuickDrawStrokes:
    """QD-IMD (semi-parametric paper, Algorithm 1) from raw Quick, Draw! ``.ndjson`` drawings.

    Number of strokes ~ N(4, 2) (at least 1; ``mean_strokes`` scales mean and spread together, so
    larger holes can be drawn), each a stroke of a random drawing scaled to a 256 px canvas, line
    width ~ U(5, 15) px at 256, canvas upscaled by U(1, 1.5), centre-cropped to
    256, binarised, then resized to the requested size.
    """

    canvas = 256

    def __init__(self, path: str | Path, max_strokes: int = 200_000, mean_strokes: float = 4.0) -> None:
        self.mean_strokes = mean_strokes
        self.strokes: list[np.ndarray] = []
        for _, data in iter_archive_files(path, suffixes=(".ndjson",)):
            for line in data.decode("utf-8").splitlines():
                if len(self.strokes) >= max_strokes:
                    break
                drawing = json.loads(line).get("drawing") if line.strip() else None
                if drawing:
                    self.strokes.extend(self._normalise(drawing))
        if not self.strokes:
            raise MaskError(f"No Quick, Draw! strokes found in '{path}': expected .ndjson files with a 'drawing' field.")

    @classmethod
    def _normalise(cls, drawing: list) -> list[np.ndarray]:
        pts = [np.asarray(s[:2], dtype=np.float64).T for s in drawing if len(s) >= 2 and len(s[0]) > 0]
        if not pts:
            return []
        allp = np.concatenate(pts)
        lo, span = allp.min(axis=0), max(float(np.ptp(allp, axis=0).max()), 1.0)
        return [(p - lo) / span * (cls.canvas - 1) for p in pts]

    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        canvas = np.zeros((self.canvas, self.canvas), dtype=np.uint8)
        count = max(1, round(rng.normal(self.mean_strokes, self.mean_strokes / 2)))
        for _ in range(count):
            stroke = self.strokes[int(rng.integers(len(self.strokes)))]
            _draw_polyline(canvas, stroke, round(rng.uniform(5, 15)))
        scale = rng.uniform(1.0, 1.5)
        big = round(self.canvas * scale)
        up = cv2.resize(canvas, (big, big), interpolation=cv2.INTER_LINEAR)
        off = (big - self.canvas) // 2
        crop = up[off : off + self.canvas, off : off + self.canvas]
        out = cv2.resize(crop, (width, height), interpolation=cv2.INTER_LINEAR)
        return out > 127


class MaskFiles:
    """Masks read from a folder or archive of images (e.g. the NVIDIA irregular masks), resized."""

    def __init__(self, path: str | Path, invert: bool = False) -> None:
        self.files = sorted(iter_archive_files(path, suffixes=IMAGE_SUFFIXES))
        if not self.files:
            raise MaskError(f"No mask images found in '{path}'.")
        self.invert = invert

    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        _, data = self.files[int(rng.integers(len(self.files)))]
        mask = load_mask(data).astype(np.uint8) * 255
        mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST) > 127
        return ~mask if self.invert else mask


@dataclass
class WithHoleRatio:
    """Rejection-sample another generator until the hole ratio falls in [low, high]."""

    inner: Callable[[int, int, np.random.Generator], np.ndarray]
    low: float = 0.0
    high: float = 1.0
    max_tries: int = 200

    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        for _ in range(self.max_tries):
            mask = self.inner(height, width, rng)
            if self.low <= hole_ratio(mask) <= self.high:
                return mask
        raise MaskError(
            f"No mask with a hole ratio in [{self.low}, {self.high}] after {self.max_tries} tries: widen the range."
        )


@dataclass
class TopBand:
    """The top ``fraction`` of the rows hidden: only the bottom is visible, so whatever a raster-order
    model puts above comes from what it is conditioned on (the Pixel Constrained CNN paper's Figure 6)."""

    fraction: float = 0.75

    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        mask = np.zeros((height, width), dtype=bool)
        mask[: int(round(height * self.fraction))] = True
        return mask


@dataclass
class ObjectBlob:
    """One large free-form blob covering ``low``-``high`` of the image, like the outline a person paints
    around an object to remove: a star-shaped closed curve with a few smooth lobes, its area drawn
    uniformly in the range and met by rescaling the outline (then clipped by the image border)."""

    low: float = 0.10
    high: float = 0.40
    lobes: int = 5

    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        target = rng.uniform(self.low, self.high) * height * width
        theta = np.linspace(0, 2 * math.pi, 180, endpoint=False)
        radius = np.ones_like(theta)
        for k in range(2, 2 + self.lobes):
            radius += rng.uniform(0, 0.35 / k) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
        aspect = rng.uniform(0.6, 1.6)
        shape = np.stack([radius * np.cos(theta) * aspect, radius * np.sin(theta) / aspect], axis=1)
        unit_area = 0.5 * abs(np.dot(shape[:, 0], np.roll(shape[:, 1], 1)) - np.dot(shape[:, 1], np.roll(shape[:, 0], 1)))
        shape *= math.sqrt(target / unit_area)
        half = np.minimum(np.abs(shape).max(axis=0), [width / 2, height / 2])
        centre = np.array([rng.uniform(half[0], width - half[0]), rng.uniform(half[1], height - half[1])])
        for _ in range(3):  # rescale about the centre until pixels, border clipping included, meet the target
            canvas = np.zeros((height, width), dtype=np.uint8)
            cv2.fillPoly(canvas, [np.round(shape + centre).astype(np.int32)], 255)
            area = max(int(np.count_nonzero(canvas)), 1)
            if abs(area - target) <= 0.01 * height * width:
                break
            shape *= math.sqrt(target / area)
        return canvas > 0


MASK_FAMILIES = ("centre", "centre8", "rect", "blobs[:MAX_BLOBS[:ITER_MAX]]", "strokes", "object[:LOW:HIGH]", "top[:FRACTION]",
                 "quickdraw:PATH[:MEAN_STROKES]", "files:PATH", "A+B (mixture)")
#: The families in plain words, for pickers (the dashboard): name -> spec. The ones that read files
#: (:data:`PATH_FAMILIES`) take ``:PATH`` after the spec; any other spec (a mixture) is typed as it is.
MASK_MENU = {"centre square (a quarter of the side)": "centre", "8x8 centre (the CIFAR-10 protocol)": "centre8",
             "rectangles": "rect", "random blobs": "blobs", "free-form strokes": "strokes",
             "object blob (10-40%)": "object", "bottom half hidden": "top", "Quick Draw strokes (path)": "quickdraw",
             "mask folder or archive (path)": "files"}
PATH_FAMILIES = ("quickdraw", "files")


@dataclass
class MaskMixture:
    """Each mask comes from one family picked uniformly: one network trained for several hole shapes."""

    generators: tuple[MaskGenerator, ...]

    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        return self.generators[int(rng.integers(len(self.generators)))](height, width, rng)


def make_mask_generator(spec: str, ratio: tuple[float, float] | None = None) -> MaskGenerator:
    """Parse a CLI/dashboard mask spec such as ``centre8``, ``rect``, ``quickdraw:PATH``."""
    gen: MaskGenerator
    if "+" in spec:
        gen = MaskMixture(tuple(make_mask_generator(part) for part in spec.split("+")))
        return WithHoleRatio(gen, *ratio) if ratio is not None else gen
    kind, _, arg = spec.partition(":")
    if kind in ("centre", "center"):
        gen = CentreSquare(int(arg) if arg else None)
    elif kind.startswith(("centre", "center")) and kind[6:].isdigit():
        gen = CentreSquare(int(kind[6:]))
    elif kind == "rect":
        gen = RandomRectangles()
    elif kind == "blobs":  # blobs[:MAX_BLOBS[:ITER_MAX]]: the paper's 4 and 7 give holes of about 4% at 32 px
        try:
            sizes = [int(v) for v in arg.split(":")] if arg else []
        except ValueError as exc:
            raise MaskError(f"'{spec}': blobs takes whole numbers, e.g. blobs:8:12 (up to 8 blobs, 12 growth steps).") from exc
        gen = RandomBlobs(*sizes[:1], iter_max=sizes[1] if len(sizes) > 1 else 7)
    elif kind == "strokes":
        gen = FreeFormStrokes()
    elif kind == "object":  # object[:LOW:HIGH], hole share of one blob, default 0.10:0.40
        try:
            bounds = [float(v) for v in arg.split(":")] if arg else [0.10, 0.40]
        except ValueError as exc:
            raise MaskError(f"'{spec}': object takes the hole share range, e.g. object:0.1:0.4.") from exc
        if len(bounds) != 2 or not 0 < bounds[0] <= bounds[1] < 1:
            raise MaskError(f"'{spec}': object takes two shares 0 < LOW <= HIGH < 1, e.g. object:0.1:0.4.")
        gen = ObjectBlob(*bounds)
    elif kind == "top":
        try:
            fraction = float(arg) if arg else 0.75
        except ValueError as exc:
            raise MaskError(f"'top:{arg}' needs the hidden fraction of rows as a number, e.g. top:0.75.") from exc
        if not 0 < fraction < 1:
            raise MaskError(f"'top:{arg}': the hidden fraction must lie strictly between 0 and 1.")
        gen = TopBand(fraction)
    elif kind == "quickdraw" and arg:
        path, _, strokes = arg.rpartition(":")
        gen = QuickDrawStrokes(path, mean_strokes=float(strokes)) if path and strokes.isdigit() else QuickDrawStrokes(arg)
    elif kind == "files" and arg:
        gen = MaskFiles(arg)
    else:
        raise MaskError(f"Unknown mask family '{spec}'. Choose one of: {', '.join(MASK_FAMILIES)}.")
    if ratio is not None:
        gen = WithHoleRatio(gen, *ratio)
    return gen
