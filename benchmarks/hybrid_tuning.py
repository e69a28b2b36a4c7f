"""Score joins of PatchMatch's, the photo network's and Telea's fills (``lama-patchmatch``'s gate) on photos
the leaderboard never uses, from one set of fills.

The three fills are computed once per (photo, mask) of the tuning set (BSDS500 train+test, every
``--step``-th photo, the leaderboard's two mask families: its protocol on other photos) and cached; then
each gate (the hand-made join the gate starts as, and each trained checkpoint given) is scored by hole
MSE and ST-LPIPS per mask family and hole-ratio bucket, beside the three fills alone. Choosing a recipe
value here keeps the leaderboard (BSDS500 ``val``) for the chosen checkpoint's one measurement.

    python benchmarks/hybrid_tuning.py --step 10 --out results/hybrid-tuning [CHECKPOINT ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from inpaint_core.datasets import load_split
from inpaint_core.leaderboard import DATA, PARTS
from inpaint_core.lpips import lpips_network, prepare
from inpaint_core.maskgen import image_mask, make_mask_generator
from inpaint_core.masks import hole_bucket
from inpaint_core.checkpoints import load_network
from inpaint_core.methods.lama_patchmatch import FusionGate, PhotoFusionNet
from inpaint_core.zoo import load_method


def fills(root: str, indices: list[int] | range, cache: Path, checkpoint: str) -> list[dict]:
    """(truth, mask, family, fills) per case of the photos ``indices`` of BSDS500 train+test, computed once
    and cached in ``cache`` (npz)."""
    images = load_split(DATA.format(root=root), "train")
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        keys = sorted({k.rsplit("/", 1)[0] for k in data.files})
        return [{"case": k, **{f: data[f"{k}/{f}"] for f in ("truth", "mask", "patchmatch", "telea", "lama")}}
                for k in keys]
    methods = {"patchmatch": load_method("patchmatch"), "telea": load_method("telea"),
               "lama": load_method("lama", checkpoint)}
    cases, arrays = [], {}
    for family, (masks, ratio) in PARTS.items():
        gen = make_mask_generator(masks.format(root=root), ratio)
        for i in tqdm(indices, desc=family):
            truth = images[i]
            mask = image_mask(gen, truth.shape[:2], 1, i)
            case = {"case": f"{family}-{i:04d}", "truth": truth, "mask": mask}
            for name, method in methods.items():
                case[name] = method.inpaint(truth, mask, seed=i).image[..., :3]
            cases.append(case)
            arrays.update({f"{case['case']}/{k}": v for k, v in case.items() if k != "case"})
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, **arrays)
    return cases


def joined(case: dict, gate: FusionGate) -> np.ndarray:
    """The gate's join of a case's cached fills (float HxWx3)."""
    t = lambda a: torch.from_numpy(a.astype(np.float32) / 255.0).permute(2, 0, 1)[None]  # noqa: E731
    mask = torch.from_numpy(case["mask"].astype(np.float32))[None, None]
    with torch.no_grad():
        out = gate(t(case["patchmatch"]), t(case["lama"]), t(case["telea"]), mask)
    return out[0].permute(1, 2, 0).numpy()


def scores(case: dict, filled: dict[str, np.ndarray]) -> list[dict]:
    """Hole MSE and ST-LPIPS of each fill of one case; the truth's features are computed once."""
    truth = case["truth"].astype(np.float32) / 255.0
    mask = case["mask"]
    model = lpips_network()
    with torch.inference_mode():
        reference = model.features(prepare(truth).contiguous(memory_format=torch.channels_last))
    rows = []
    for name, fill in filled.items():
        fill = np.where(mask[..., None], fill, truth)
        with torch.inference_mode():
            features = model.features(prepare(fill).contiguous(memory_format=torch.channels_last))
            distance = float(model.distance(features, reference))
        rows.append({"variant": name, "case": case["case"], "mse": float(((fill - truth)[mask] ** 2).mean()),
                     "lpips": distance, "family": case["case"].split("-")[0], "bucket": hole_bucket(float(mask.mean()))})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="../shared/datasets")
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--checkpoint", default="lama-photo-256")
    parser.add_argument("--out", type=Path, default=Path("results/hybrid-tuning"))
    parser.add_argument("checkpoints", nargs="*", type=Path, help="lama-patchmatch checkpoint folders to score")
    args = parser.parse_args()
    cases = fills(args.datasets, range(0, 400, args.step), args.out / "fills.npz", args.checkpoint)
    gates = {"hand-made join": FusionGate().eval()}
    gates.update({str(folder): load_network(PhotoFusionNet, folder).gate for folder in args.checkpoints})
    rows = []
    for case in tqdm(cases, desc="scoring"):
        filled = {k: case[k].astype(np.float32) / 255.0 for k in ("patchmatch", "telea", "lama")}
        filled.update({name: joined(case, gate) for name, gate in gates.items()})
        rows += scores(case, filled)
    df = pd.DataFrame(rows)
    df.to_csv(args.out / "scores.csv", index=False)
    table = df.groupby(["variant", "family", "bucket"])[["lpips", "mse"]].mean().unstack(["family", "bucket"])
    print(table.round(4).to_string())


if __name__ == "__main__":
    main()
