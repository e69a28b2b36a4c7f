"""Data set readers: image folders and archives (class sub-folders allowed), CIFAR-10, MNIST,
face crops, deterministic splits, and a bundled evaluation set that needs no download.

Readers return uint8 HxWx3 arrays, the same currency as :mod:`inpaint_core.images`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import cv2
import numpy as np

from .archive import iter_archive_files
from .errors import DatasetError
from .images import IMAGE_SUFFIXES, load_image


#: Images that scikit-image ships: the default evaluation set, no download needed.
BUNDLED = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field", "retina", "cat")


@dataclass
class ImageSet:
    """An indexable set of uint8 RGB images with names and optional integer class labels."""

    names: list[str]
    labels: list[int]
    classes: list[str]
    _images: Sequence  # bytes to decode, or decoded arrays
    holdout: tuple[int, ...] | None = None  # a fixed validation split (MNIST), instead of per-class tails

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int) -> np.ndarray:
        item = self._images[index]
        return item if isinstance(item, np.ndarray) else load_image(item).rgb

    def __iter__(self) -> Iterator[np.ndarray]:
        return (self[i] for i in range(len(self)))

    def subset(self, indices: Sequence[int]) -> "ImageSet":
        return ImageSet([self.names[i] for i in indices], [self.labels[i] for i in indices], self.classes,
                        [self._images[i] for i in indices])

    def to_array(self) -> np.ndarray:
        """Decode everything into one uint8 NxHxWx3 array (all images must share a size)."""
        if len(self) == 0:
            raise DatasetError("The image set is empty.")
        return np.stack([self[i] for i in range(len(self))])


def open_images(path: str | Path) -> ImageSet:
    """Read a folder or a .tar/.tar.gz/.zip of images; the parent folder name is the class."""
    path = Path(path)
    if "idx3-ubyte" in path.name:
        return open_mnist(path)
    files = sorted(iter_archive_files(path, IMAGE_SUFFIXES))
    if not files:
        raise DatasetError(f"No images found in '{path}'. Expected a folder or archive of PNG/JPEG files.")
    parents = [name.rsplit("/", 1)[0] if "/" in name else "" for name, _ in files]
    classes = sorted(set(parents))
    index = {c: i for i, c in enumerate(classes)}
    return ImageSet([n for n, _ in files], [index[p] for p in parents], classes, [d for _, d in files])


def read_idx(path: str | Path) -> np.ndarray:
    """Read an MNIST idx file (optionally gzipped) into a numpy array of its declared shape."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DatasetError(f"'{path}' is not an idx file (bad magic number).")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise DatasetError(f"'{path}' has an unknown idx data type 0x{raw[2]:02x}.")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=dtypes[raw[2]], offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DatasetError(f"'{path}' is truncated: header says {shape}, found {data.size} values.")
    return data.reshape(shape)


MNIST_VAL_FRACTION = 0.2  # the 10,000 digits here: train on the first 8,000, validate on the last 2,000


def open_mnist(path: Path) -> ImageSet:
    """MNIST digits from an idx file, gray as RGB; the labels file beside it (if any) gives classes.
    The last 20% of the file is the fixed validation split."""
    digits = read_idx(path)
    if digits.ndim != 3:
        raise DatasetError(f"'{path}' holds arrays of shape {digits.shape[1:]}, not 2-D images.")
    labels_path = path.with_name(path.name.replace("images-idx3", "labels-idx1"))
    has_labels = labels_path != path and labels_path.exists()
    labels = read_idx(labels_path).astype(int).tolist() if has_labels else [0] * len(digits)
    cut = len(digits) - int(round(len(digits) * MNIST_VAL_FRACTION))
    return ImageSet([f"{i:05d}" for i in range(len(digits))], labels, [str(c) for c in range(max(labels) + 1)],
                    list(np.repeat(digits[..., None], 3, axis=-1)), holdout=tuple(range(cut, len(digits))))


def centre_crop_resize(image: np.ndarray, size: int) -> np.ndarray:
    """Square centre crop, then area-resize to ``size`` (face crops, bundled photos)."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = image[top : top + side, left : left + side]
    if side == size:
        return np.ascontiguousarray(crop)
    interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    return cv2.resize(crop, (size, size), interpolation=interp)


def random_crop(image: np.ndarray, size: int, rng: np.random.Generator, min_scale: float = 1.0) -> np.ndarray:
    """A ``size`` crop at a random position, of the image first shrunk by a random factor in
    [``min_scale``, 1] (area averaging), so a model sees textures at several pixel scales."""
    if min_scale < 1.0:
        scale = float(rng.uniform(min_scale, 1.0))
        h, w = image.shape[:2]
        if min(h, w) * scale >= size:
            image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    h, w = image.shape[:2]
    if h < size or w < size:
        image = centre_crop_resize(image, max(size, min(h, w)))
        h, w = image.shape[:2]
    top, left = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    return np.ascontiguousarray(image[top : top + size, left : left + size])


def train_val_split(names: Sequence[str], labels: Sequence[int], val_fraction: float = 0.1) -> tuple[list[int], list[int]]:
    """Deterministic split: in each class, the last ``val_fraction`` of the names in sorted order
    is validation (for CIFAR-10's 5,000 per class: the last 500)."""
    by_class: dict[int, list[int]] = {}
    for i in sorted(range(len(names)), key=lambda i: names[i]):
        by_class.setdefault(labels[i], []).append(i)
    train, val = [], []
    for members in by_class.values():
        n_val = int(round(len(members) * val_fraction))
        cut = len(members) - n_val
        train += members[:cut]
        val += members[cut:]
    return sorted(train), sorted(val)


def bundled_images(size: int | None = None) -> ImageSet:
    """scikit-image's sample photos (RGB ones, gray ones as RGB), centre-cropped to ``size``."""
    from skimage import data as skdata

    names, images = [], []
    for name in BUNDLED:
        img = load_image(np.asarray(getattr(skdata, name)())).rgb
        images.append(img if size is None else centre_crop_resize(img, size))
        names.append(name)
    return ImageSet(names, [0] * len(names), [""], images)


def _own_val_class(images: ImageSet) -> int | None:
    """Index of a class folder named ``val`` (``images/val`` in BSDS500), if there is one."""
    names = [c.rsplit("/", 1)[-1] for c in images.classes]
    return names.index("val") if "val" in names else None


def split_indices(images: ImageSet, val_fraction: float = 0.1) -> tuple[list[int], list[int]]:
    """A data set that ships its own ``val`` folder (BSDS500) keeps it; others hold out the last
    ``val_fraction`` of each class."""
    if images.holdout is not None:
        held = set(images.holdout)
        return [i for i in range(len(images)) if i not in held], sorted(held)
    v = _own_val_class(images)
    if v is not None:
        return ([i for i, label in enumerate(images.labels) if label != v],
                [i for i, label in enumerate(images.labels) if label == v])
    return train_val_split(images.names, images.labels, val_fraction)


def describe_split(images: ImageSet) -> str:
    """How the validation split of a data set is chosen, for model cards."""
    if images.holdout is not None:
        return f"a fixed hold-out: the last {len(images.holdout)} of {len(images)} images"
    if _own_val_class(images) is not None:
        return "the data set's own val folder"
    return "last 10% of each class in sorted order"


def concatenate(sets: Sequence[ImageSet]) -> ImageSet:
    """One set of several; class labels are renumbered so that each keeps its own classes."""
    names, labels, classes, items = [], [], [], []
    for part in sets:
        names += part.names
        labels += [label + len(classes) for label in part.labels]
        classes += part.classes
        items += [part._images[i] for i in range(len(part))]
    return ImageSet(names, labels, classes, items)


def load_split(spec: str | Path, split: str = "val", size: int | None = None, val_fraction: float = 0.1,
               crops: int | None = None, min_scale: float = 1.0) -> ImageSet:
    """Resolve a data spec (``bundled``, a path, or comma-separated paths whose splits are joined) and a
    split (``all``, ``train``, ``val``).

    ``size`` centre-crops and resizes each image; with ``crops`` it instead takes that many random
    ``size`` x ``size`` crops per image (seeded by image) at full resolution, or shrunk by a random
    factor down to ``min_scale``, so photo models train on real pixel scales.
    """
    if str(spec) == "bundled":
        return bundled_images(size)
    if "," in str(spec):
        parts = [load_split(part, split, size, val_fraction, crops, min_scale) for part in str(spec).split(",")]
        return concatenate(parts)
    images = open_images(spec)
    if split != "all":
        train, val = split_indices(images, val_fraction)
        images = images.subset(val if split == "val" else train)
    if size is not None and crops:
        names = [f"{name}#{k}" for name in images.names for k in range(crops)]
        labels = [label for label in images.labels for _ in range(crops)]
        return ImageSet(names, labels, images.classes, _Crops(images, size, crops, min_scale))
    if size is not None:
        images = ImageSet(images.names, images.labels, images.classes, _Resized(images, size))
    return images


class _Resized(Sequence):
    def __init__(self, base: ImageSet, size: int) -> None:
        self.base, self.size = base, size

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i):  # type: ignore[override]
        return centre_crop_resize(self.base[i], self.size)


class _Crops(Sequence):
    def __init__(self, base: ImageSet, size: int, crops: int, min_scale: float = 1.0) -> None:
        self.base, self.size, self.crops, self.min_scale = base, size, crops, min_scale
        self._last: tuple[int, np.ndarray] | None = None  # crops of one image are read in a row: decode once

    def __len__(self) -> int:
        return len(self.base) * self.crops

    def __getitem__(self, i):  # type: ignore[override]
        image, k = divmod(i, self.crops)
        if self._last is None or self._last[0] != image:
            self._last = (image, self.base[image])
        return random_crop(self._last[1], self.size, np.random.default_rng([image, k]), self.min_scale)


def cached_array(spec: str | Path, split: str, size: int | None, cache_dir: str | Path | None = None,
                 crops: int | None = None, min_scale: float = 1.0, mmap: bool = False) -> np.ndarray:
    """Decode a split once into uint8 NxHxWx3 and keep it in a git-ignored cache (training speed);
    ``mmap`` maps the cached file instead of reading it, so a split larger than memory streams."""
    paths = [Path(part) for part in str(spec).split(",")]
    path = paths[0]
    source = "bundled" if str(spec) == "bundled" else "+".join(
        f"{p.resolve()}|{p.stat().st_size}|{p.stat().st_mtime_ns}" for p in paths)
    stamp = f"{source}|{split}|{size}"
    if crops:
        stamp += f"|crops{crops}" + (f"|scale{min_scale}" if min_scale < 1.0 else "")
    key = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    cache = Path(cache_dir or os.environ.get("INPAINT_CACHE_DIR") or Path.home() / ".cache" / "inpaint-zoo" / "arrays")
    file = cache / f"{path.name.split('.')[0]}-{split}-{size}-{key}.npy"
    if not file.exists():
        array = load_split(spec, split, size, crops=crops, min_scale=min_scale).to_array()
        cache.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp.npy")  # processes filling the cache at once do not collide
        np.save(tmp, array, allow_pickle=False)
        tmp.replace(file)
        if not mmap:
            return array
    return np.load(file, mmap_mode="r" if mmap else None, allow_pickle=False)
