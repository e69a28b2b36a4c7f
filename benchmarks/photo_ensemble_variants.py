"""How the photo ensemble's join settles between its two networks, on tuning photos.

The two members of ``lama-ensemble-photo-256`` fill each photo once (the network correcting
PatchMatch's copy with its own band limit and the ensemble's ``deep_scale``; the network refining
Telea's fill), and :meth:`PhotoEnsemble.combine` joins them at each ``--seams`` value. Per hole-ratio
bucket it prints LPIPS against PatchMatch's and hole MSE against Telea's (in %, negative = better: the
photo bar's two halves), and the squared hole error by distance from the hole's edge for each member
and Telea: where one member is closer to the photo than the other.
Photos come from BSDS500 train+test (never the leaderboard's ``val``), so settings chosen here are
measured there unseen.
Usage: ``python benchmarks/photo_ensemble_variants.py --masks object --ratio 0.1,0.4 --n 40 [--start 100]
[--seams 0,3,6]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import torch

from inpaint_core import load_method, to_float, to_uint8
from inpaint_core.datasets import load_split
from inpaint_core.lpips import lpips
from inpaint_core.maskgen import image_mask, make_mask_generator
from inpaint_core.masks import hole_depth
from inpaint_core.methods.lama import LaMa
from inpaint_core.metrics import image_metrics
from inpaint_core.tensors import to_image, to_tensor

PHOTOS = "../shared/datasets/bsds500/images-jpg.tar.gz"
IRREGULAR = "files:../shared/datasets/masks/nvidia-irregular-even-6000.tar.gz"
DEPTHS = (0, 2, 4, 8, 12, 20, 40, np.inf)


def member_fills(ensemble, photo: np.ndarray, hole: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The first member's fill and the mean of the others', each through the ``lama`` method's own
    pipeline (hole region, padding), as floats in [0, 1]."""
    first, *others = (LaMa(network=net).inpaint(photo, hole, seed=seed).image for net in ensemble.net.members)
    return to_float(first), np.mean([to_float(o) for o in others], 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="lama-ensemble-photo-256")
    parser.add_argument("--masks", default=IRREGULAR)
    parser.add_argument("--ratio", default="0.01,0.4")
    parser.add_argument("--start", type=int, default=100)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seams", default="0,3,6")
    args = parser.parse_args()
    ensemble = load_method("lama", args.checkpoint)
    references = {name: load_method(name) for name in ("patchmatch", "telea")}
    photos = load_split(PHOTOS, "train")
    gen = make_mask_generator(args.masks, tuple(float(r) for r in args.ratio.split(",")))
    seams = [float(s) for s in args.seams.split(",")]
    rows = []
    bins = len(DEPTHS) - 1
    squared, counts = {}, np.zeros(bins)
    for i in range(args.start, args.start + args.n):
        photo = photos[i]
        hole = image_mask(gen, photo.shape[:2], 0, i)
        texture, smooth = member_fills(ensemble, photo, hole, seed=i)
        fills = {name: method.inpaint(photo, hole, seed=i).image for name, method in references.items()}
        x, m = to_tensor(to_float(photo), hole)
        first, rest = to_tensor(texture, hole)[0], to_tensor(smooth, hole)[0]
        for seam in seams:
            ensemble.net.seam = seam
            with torch.no_grad():
                fills[f"seam {seam:g}"] = to_uint8(to_image(ensemble.net.combine(x, m, first, rest)))
        for name, fill in fills.items():
            scores = image_metrics(fill, photo, hole)
            rows.append({"fill": name, "bucket": scores["bucket"], "lpips": lpips(fill, photo),
                         "mse": scores["mse_hole_01"]})
        where = np.digitize(hole_depth(hole)[hole], DEPTHS[1:-1])
        counts += np.bincount(where, minlength=bins)
        truth = to_float(photo)[hole]
        for name, fill in {"first member": texture, "other members": smooth, "telea": to_float(fills["telea"])}.items():
            error = ((fill[hole] - truth) ** 2).mean(1)
            squared[name] = squared.get(name, 0) + np.bincount(where, error, minlength=bins)
    table = pd.DataFrame(rows).groupby(["bucket", "fill"])[["lpips", "mse"]].mean().unstack(0)
    relative = pd.concat({"LPIPS vs PatchMatch %": 100 * (table["lpips"] / table["lpips"].loc["patchmatch"] - 1),
                          "hole MSE vs Telea %": 100 * (table["mse"] / table["mse"].loc["telea"] - 1)}, axis=1)
    print(relative.round(1).to_string())
    edges = [f"{a:g}-{b:g} px" for a, b in zip(DEPTHS[:-1], DEPTHS[1:])]
    errors = pd.DataFrame({name: s / np.maximum(counts, 1) for name, s in squared.items()}, index=edges).T
    errors.loc["share of hole pixels"] = counts / counts.sum()
    print(errors.round(4).to_string())


if __name__ == "__main__":
    main()
