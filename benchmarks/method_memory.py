"""Peak working memory of each method, measured in a fresh process per (method, size, hole).

The app and the library refuse a job whose working memory would pass ``INPAINT_MAX_MEMORY_MB``
before allocating it; the per-pixel figures they use (``Method.memory_per_pixel``,
``Method.memory_per_hole_pixel``) come from this script. Each case loads the method, warms it up on
a small image (so imports and weights are not counted), then fills one ``SIDE`` x ``SIDE`` photo
with one object-like blob covering the given share and reports the growth of the peak resident set.
Usage: ``python benchmarks/method_memory.py [--sides 512,1024] [--holes 0.1,0.3] [LABEL ...]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, numpy as np
from inpaint_core.benchmark import method_from_label
from inpaint_core.maskgen import make_mask_generator
label, side, hole = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(0)
image = (rng.random((side, side, 3)) * 255).astype(np.uint8)
method = method_from_label(label)
small = make_mask_generator("strokes", (0.05, 0.15))(64, 64, rng)
method.inpaint(image[:64, :64], small, seed=0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
mask = make_mask_generator(f"object:{hole * 0.95}:{hole * 1.05}")(side, side, rng)
method.inpaint(image, mask, seed=0)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"label": label, "side": side, "hole": float(mask.mean()), "mb": (after - before) / 1024}))
"""

DEFAULT = ("telea", "navier-stokes", "biharmonic", "mean-colour", "patchmatch", "glcic@glcic-bsds500-64",
           "pconv@pconv-celeba-64", "sim-k@sim0-celeba-64", "mle-normal@normal-cifar10-32",
           "mle-matrix-normal@mn-sunhays-1024", "pixel-constrained-cnn@pccnn-celeba-32")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("labels", nargs="*", default=DEFAULT)
    parser.add_argument("--sides", default="512,1024")
    parser.add_argument("--holes", default="0.1,0.3")
    args = parser.parse_args()
    print("| method | side | hole | peak growth MB | bytes per pixel | bytes per hole pixel |\n|---|---:|---:|---:|---:|---:|")
    for label in args.labels:
        for side in (int(s) for s in args.sides.split(",")):
            for hole in (float(h) for h in args.holes.split(",")):
                run = subprocess.run([sys.executable, "-c", CHILD, label, str(side), str(hole)], capture_output=True,
                                     text=True, timeout=1800)
                if run.returncode:
                    print(f"| {label} | {side} | {hole} | failed: {run.stderr.strip().splitlines()[-1]} | | |")
                    continue
                r = json.loads(run.stdout.strip().splitlines()[-1])
                pixels, holes = side * side, side * side * r["hole"]
                print(f"| {label} | {side} | {r['hole']:.2f} | {r['mb']:.0f} | {r['mb'] * 2**20 / pixels:.0f} | "
                      f"{r['mb'] * 2**20 / holes:.0f} |", flush=True)


if __name__ == "__main__":
    main()
