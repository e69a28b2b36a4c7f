"""Time to fill one object-like hole in a photo, per method and photo size, and what the library costs
around a classical fill: ``load_method("telea").inpaint`` against the raw ``cv2.inpaint`` call on the
same uint8 photo and mask, as a ratio measured in one run.

The photo is a real one (scikit-image's astronaut, tiled to the requested size) and the hole one blob
of the requested share. The raw call and each method run alternately ``--repeat`` times (after one
warm-up); medians are reported. A ratio below 1 means the library is faster than the raw call: Telea
runs on the hole's region instead of the whole photo.
Usage: ``python benchmarks/fill_time.py [--sizes 512x512,6000x4000] [--hole 0.1] [--repeat 5] [LABEL ...]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import cv2
import numpy as np
from skimage import data

from inpaint_core.benchmark import method_from_label
from inpaint_core.maskgen import make_mask_generator


def photo(width: int, height: int) -> np.ndarray:
    tile = data.astronaut()
    reps = (-(-height // tile.shape[0]), -(-width // tile.shape[1]), 1)
    return np.ascontiguousarray(np.tile(tile, reps)[:height, :width])


def median_seconds(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(width: int, height: int, hole: float, repeat: int, labels: list[str]) -> dict:
    image = photo(width, height)
    mask = make_mask_generator(f"object:{hole * 0.95}:{hole * 1.05}")(height, width, np.random.default_rng(0))
    methods = {label: method_from_label(label) for label in ["telea", *labels]}
    for method in methods.values():  # warm-up: weights, caches
        method.inpaint(image, mask, seed=0)
    raw = median_seconds(lambda: cv2.inpaint(image, mask.astype(np.uint8), 3, cv2.INPAINT_TELEA), repeat)
    row = {"size": f"{width}x{height}", "hole": round(float(mask.mean()), 3), "cv2_telea_ms": round(1000 * raw, 1)}
    for label, method in methods.items():
        row[f"{label}_ms"] = round(1000 * median_seconds(lambda: method.inpaint(image, mask, seed=0), repeat), 1)
    row["telea_over_cv2"] = round(row["telea_ms"] / row["cv2_telea_ms"], 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("labels", nargs="*", help="methods to time beside Telea, e.g. lama@lama-photo-256")
    parser.add_argument("--sizes", default="512x512,6000x4000")
    parser.add_argument("--hole", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for size in args.sizes.split(","):
        width, height = (int(v) for v in size.split("x"))
        print(json.dumps(measure(width, height, args.hole, args.repeat, args.labels)))


if __name__ == "__main__":
    main()
