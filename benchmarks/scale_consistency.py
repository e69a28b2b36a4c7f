"""Does a face model do on a full-size face what it does at its training size, on the same hole?

The benchmark's 128 px and full-size runs draw each mask file at the image's own size, so the two
holes of one face cover different parts of it (the 128 px face is the centre square of the full one).
Here each full-size hole is kept to that centre square, and the 128 px hole is the same hole cropped
and shrunk with the face: the two hole MSEs of a method measure the same fill at two scales. The
"resolution oracle" row is the truth shrunk to the working scale of a 128 px model and enlarged back,
the part of the full-size error no 128 px model can avoid.
Usage: ``python benchmarks/scale_consistency.py [--methods ...] [--n 150] [--size 128]``.
"""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np

from inpaint_core.benchmark import method_from_label
from inpaint_core.datasets import centre_crop_resize, load_split
from inpaint_core.maskgen import image_mask, make_mask_generator
from inpaint_core.metrics import image_metrics
from inpaint_core.pipeline import resize_image

FACES = "../shared/datasets/celeba/faces-4800-jpg.tar.gz"
MASKS = "files:../shared/datasets/masks/nvidia-irregular-even-6000.tar.gz"


def same_hole(mask: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The full-size hole kept to the centre square, and that hole at ``size`` (a pixel of the small
    face is a hole when any of the full-size pixels it covers is)."""
    h, w = mask.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    full = np.zeros_like(mask)
    full[top : top + side, left : left + side] = mask[top : top + side, left : left + side]
    small = cv2.resize(full[top : top + side, left : left + side].astype(np.float32), (size, size),
                       interpolation=cv2.INTER_AREA) > 0
    return full, small


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default="telea,biharmonic,patchmatch,pconv@pconv-celeba-128,"
                                            "sim-k@sim0-celeba-128,sim-k@sim1-celeba-128")
    parser.add_argument("--n", type=int, default=150)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    faces = load_split(FACES, "val", None)
    gen = make_mask_generator(MASKS)
    cases = []
    for i in range(min(args.n, len(faces))):
        full, small = same_hole(image_mask(gen, faces[i].shape[:2], 0, i), args.size)
        if small.any():
            cases.append((i, full, small))
    rows = {}
    for label in args.methods.split(","):
        method = method_from_label(label)
        errors = {"full": [], "small": []}
        for i, full, small in cases:
            truth = faces[i]
            errors["full"].append(image_metrics(method.inpaint(truth, full, seed=i).image, truth, full)["mse_hole_01"])
            face = centre_crop_resize(truth, args.size)
            errors["small"].append(image_metrics(method.inpaint(face, small, seed=i).image, face, small)["mse_hole_01"])
        rows[label] = {k: float(np.mean(v)) for k, v in errors.items()}
    oracle = []
    for i, full, small in cases:
        truth = faces[i].astype(np.float32) / 255
        side = min(truth.shape[:2])
        scale = args.size / side
        h, w = truth.shape[:2]
        back = resize_image(cv2.resize(truth, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA), (h, w))
        oracle.append(float(((back - truth)[full] ** 2).mean()))
    rows["resolution oracle"] = {"full": float(np.mean(oracle)), "small": 0.0}
    for label, r in rows.items():
        ratio = r["full"] / r["small"] if r["small"] else None
        print(json.dumps({"method": label, "faces": len(cases), f"hole_mse_{args.size}": round(r["small"], 5),
                          "hole_mse_full": round(r["full"], 5), "full_over_small": ratio and round(ratio, 3)}))


if __name__ == "__main__":
    main()
