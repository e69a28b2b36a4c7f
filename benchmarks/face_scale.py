"""What a face loses when it is shrunk to a model's training size and enlarged back, inside the holes:
the part of the full-size hole error that no 64 px model can remove.

For held-out CelebA faces (every ``--step``-th of the validation split) and the NVIDIA masks of the
face benchmark (seed 0), the mean squared difference in [0, 1] between each full-size face and the
same face area-shrunk so its short side is ``--size`` and enlarged back by bicubic interpolation,
over the hole pixels. Usage: ``python benchmarks/face_scale.py [--size 64] [--step 5]``.
"""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np

from inpaint_core.datasets import load_split
from inpaint_core.maskgen import image_mask, make_mask_generator

DATA = "../shared/datasets"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--step", type=int, default=5)
    parser.add_argument("--n", type=int, default=150)
    args = parser.parse_args()
    faces = load_split(f"{DATA}/celeba/faces-4800-jpg.tar.gz", "val")
    gen = make_mask_generator(f"files:{DATA}/masks/nvidia-irregular-even-6000.tar.gz")
    errors = []
    for i in range(0, min(args.n, len(faces)), args.step):
        face = faces[i].astype(np.float32) / 255
        hole = image_mask(gen, face.shape[:2], 0, i)
        h, w = face.shape[:2]
        scale = args.size / min(h, w)
        small = cv2.resize(face, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        back = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        errors.append(float(((back - face) ** 2)[hole].mean()))
    print(json.dumps({"size": args.size, "faces": len(errors), "hole_mse_of_the_round_trip": round(float(np.mean(errors)), 5)}))


if __name__ == "__main__":
    main()
