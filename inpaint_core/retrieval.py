"""The retrieval database of Sim-k: descriptors of a data set's images, searched by cosine similarity.

``inpaint index build --data PATH --model ID --out DIR`` writes two files:

- ``descriptors.npy``: float32 N x D, rows L2-normalised, so cosine similarity is an inner product
  (the layout of a flat inner-product index: ``numpy`` here, ``faiss.IndexFlatIP`` reads it as is);
- ``index.json``: what the rows refer to (data path, split, size and the image names in row order),
  the descriptor model (zoo id and weight hash) and the format version.

No image is copied: pixels are read back from the data path. The search is exact (a matrix
product), which at the sizes here (4,320 faces, 45,000 CIFAR images) takes milliseconds.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .datasets import cached_array, load_split
from .errors import InpaintError
from .images import to_float

FORMAT = "inpaint-zoo retrieval index v1"
DESCRIPTORS, INFO = "descriptors.npy", "index.json"


class DatabaseError(InpaintError):
    """A retrieval database is missing or does not match what a checkpoint expects."""


def default_index_dir(model: str, data: str | Path, split: str, size: int) -> Path:
    """Where a Sim-k checkpoint looks for its database unless told otherwise (``INPAINT_INDEX_DIR``)."""
    base = Path(os.environ.get("INPAINT_INDEX_DIR") or Path.home() / ".cache" / "inpaint-zoo" / "index")
    return base / f"{Path(data).name.split('.')[0]}-{split}-{size}-{model}"


def build_command(model: str, data: str | Path, split: str, out: str | Path) -> str:
    split_flag = f" --split {split}" if split != "train" else ""
    return f"inpaint index build --data {data} --model {model}{split_flag} --out {out}"


def load_descriptor_model(model: str) -> Any:
    """The zoo checkpoint whose method can ``describe`` images (a PConv encoder)."""
    from .zoo import load_method
    from .zoo import find_entry

    entry = find_entry(model)
    method = load_method(entry.method, model)
    if not hasattr(method, "describe"):
        raise DatabaseError(f"Checkpoint '{model}' ({entry.method}) computes no descriptors; use a pconv checkpoint.")
    return method


def search(database: np.ndarray, queries: np.ndarray, k: int, exclude: np.ndarray | None = None,
           chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k-nearest neighbours of unit-norm ``queries`` among unit-norm ``database`` rows:
    (indices, similarities), best first. ``exclude[i]`` (a row index, or -1) is never returned for
    query ``i``: during training an image must not retrieve itself."""
    if k > len(database) - (exclude is not None):
        raise DatabaseError(f"Asked for {k} neighbours from a database of {len(database)} images.")
    indices, scores = [], []
    for start in range(0, len(queries), chunk):
        sim = queries[start : start + chunk] @ database.T
        if exclude is not None:
            rows = np.arange(len(sim))
            own = exclude[start : start + chunk]
            sim[rows[own >= 0], own[own >= 0]] = -np.inf
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k] if k < sim.shape[1] else np.tile(np.arange(k), (len(sim), 1))
        order = np.argsort(-np.take_along_axis(sim, top, 1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, 1)
        indices.append(top)
        scores.append(np.take_along_axis(sim, top, 1))
    return np.concatenate(indices), np.concatenate(scores)


@dataclass
class RetrievalIndex:
    folder: Path
    info: dict[str, Any]
    descriptors: np.ndarray

    @classmethod
    def load(cls, folder: str | Path, model: str | None = None, size: int | None = None) -> RetrievalIndex:
        """Open a database; ``model``/``size`` are what the caller's checkpoint was trained with."""
        folder = Path(folder)
        if not (folder / INFO).is_file() or not (folder / DESCRIPTORS).is_file():
            raise DatabaseError(f"No retrieval database at '{folder}' ({INFO} and {DESCRIPTORS} expected).")
        try:
            info = json.loads((folder / INFO).read_text())
            descriptors = np.load(folder / DESCRIPTORS, allow_pickle=False)
        except (json.JSONDecodeError, UnicodeDecodeError, OSError, ValueError) as exc:
            raise DatabaseError(f"The retrieval database at '{folder}' is damaged ({exc}); rebuild it with "
                                "`inpaint index build`.") from exc
        if not isinstance(info, dict) or info.get("format") != FORMAT:
            found = info.get("format") if isinstance(info, dict) else type(info).__name__
            raise DatabaseError(f"'{folder}' is not a {FORMAT} (format: {found!r}); rebuild it.")
        for key, want in (("model", model), ("size", size)):
            if want is not None and info.get(key) != want:
                raise DatabaseError(f"The database at '{folder}' was built with {key}={info.get(key)!r}, but this "
                                    f"checkpoint needs {key}={want!r}: rebuild it with that {key}.")
        if descriptors.shape != (info["count"], info["dimension"]):
            raise DatabaseError(f"{folder / DESCRIPTORS} has shape {descriptors.shape}, {INFO} says "
                                f"({info['count']}, {info['dimension']}): the database is corrupt; rebuild it.")
        return cls(folder, info, descriptors)

    def search(self, queries: np.ndarray, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return search(self.descriptors, queries, k, exclude)

    @cached_property
    def _images(self):
        images = load_split(self.info["data"], self.info["split"], self.info["size"])
        if images.names != self.info["names"]:
            raise DatabaseError(f"The images at '{self.info['data']}' are not the ones the database at '{self.folder}' "
                                "was built from; rebuild it.")
        return images

    def image(self, i: int) -> np.ndarray:
        """Row ``i``'s image (uint8 at the database size), read back from the data path."""
        return self._images[int(i)]

    def name(self, i: int) -> str:
        return self.info["names"][int(i)]


def build_index(data: str | Path, model: str, out: str | Path | None = None, split: str = "train",
                size: int | None = None) -> RetrievalIndex:
    """Describe every image of ``data``'s ``split`` with ``model`` and write the database to ``out``
    (default: where a Sim-k checkpoint trained on that database looks for it)."""
    method = load_descriptor_model(model)
    size = int(size or method.meta["resolution"])
    out = out or default_index_dir(model, data, split, size)
    names = load_split(data, split, size).names
    descriptors = method.describe(to_float(cached_array(data, split, size)))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    from .zoo import find_entry

    weights = find_entry(model).files.get("model.safetensors", {}).get("sha256")
    info = {"format": FORMAT, "metric": "cosine (rows L2-normalised: inner product)", "model": model,
            "model_sha256": weights, "data": str(data), "split": split, "size": size,
            "count": len(descriptors), "dimension": int(descriptors.shape[1]), "names": names}
    np.save(out / DESCRIPTORS, descriptors, allow_pickle=False)
    (out / INFO).write_text(json.dumps(info, indent=1))
    return RetrievalIndex(out, info, descriptors)


def _folder(name: str) -> str:
    return name.rsplit("/", 1)[0] if "/" in name else ""


def evaluate_index(index: RetrievalIndex, data: str | Path, split: str = "val", masks: str = "centre",
                   n: int | None = None, seed: int = 0) -> dict[str, float]:
    """How often a query's nearest database image shares its folder (a CelebA identity, a CIFAR-10
    class): for the whole query image, and through the two-step retrieval from the masked image (the
    descriptor model's coarse fill, as Sim-k does at test time). Chance is the mean share of the
    database in the query's folder."""
    from .maskgen import image_mask, make_mask_generator

    model = load_descriptor_model(index.info["model"])
    images = load_split(data, split, index.info["size"])
    count = len(images) if n is None else min(n, len(images))
    gen = make_mask_generator(masks)
    truth = np.stack([to_float(images[i]) for i in range(count)])
    coarse = []
    for i in range(count):
        hole = image_mask(gen, truth[i].shape[:2], seed, i)
        coarse.append(model.fill(np.where(hole[..., None], 0, truth[i]).astype(np.float32), hole, None))
    folders = np.array([_folder(name) for name in index.info["names"]])
    wanted = np.array([_folder(images.names[i]) for i in range(count)])
    whole = folders[index.search(model.describe(truth), 1)[0][:, 0]]
    two_step = folders[index.search(model.describe(np.stack(coarse)), 1)[0][:, 0]]
    return {"queries": count, "same_folder_top1_whole": float(np.mean(whole == wanted)),
            "same_folder_top1_two_step": float(np.mean(two_step == wanted)),
            "chance": float(np.mean([np.mean(folders == w) for w in wanted]))}
