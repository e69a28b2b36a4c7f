"""Sim-1 on the validation faces with a reference photo of the same person (the app's use), against its
two-step retrieval from the whole database and against the PConv fill, on the benchmark's NVIDIA masks.

Run from the repository root: ``python zoo/sim1_reference_study.py`` (needs the faces database:
``zoo/train_semi_parametric.sh faces index``). Writes ``results/sim1-reference-study.json``.
"""

import json
import sys
from pathlib import Path

import numpy as np

from inpaint_core import load_method
from inpaint_core.maskgen import image_mask
from inpaint_core.datasets import load_split
from inpaint_core.maskgen import make_mask_generator
from inpaint_core.metrics import image_metrics

D = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets")
FACES = D / "celeba/faces-4800-jpg.tar.gz"
masks = make_mask_generator(f"files:{D / 'masks/nvidia-irregular-even-6000.tar.gz'}")
val, train = load_split(FACES, "val", 64), load_split(FACES, "train", 64)
sim1, pconv = load_method("sim-k", "sim1-celeba-64"), load_method("pconv", "pconv-celeba-64")
person = [name.rsplit("/", 1)[0] for name in train.names]
descriptors = pconv.describe(np.stack([train[i] for i in range(len(train))]).astype(np.float32) / 255)
scores: dict[str, list[float]] = {}
for i in range(len(val)):
    truth = val[i]
    hole = image_mask(masks, truth.shape[:2], 0, i)
    # the same person's training photo that looks most like this one (what a user would pick)
    own = [j for j, p in enumerate(person) if p == val.names[i].rsplit("/", 1)[0]]
    query = pconv.describe(truth[None].astype(np.float32) / 255)[0]
    reference = train[own[int(np.argmax(descriptors[own] @ query))]]
    fills = {"pconv": pconv.inpaint(truth, hole), "sim1 retrieved": sim1.inpaint(truth, hole, seed=i),
             "sim1 same-person reference": sim1.inpaint(truth, hole, references=[reference])}
    for name, result in fills.items():
        m = image_metrics(result.image, truth, hole)
        for key in ("l1_full_01", "l1_hole_01", "mse_hole_01"):
            scores.setdefault(f"{name}: {key}", []).append(m[key])
summary = {"images": len(val), **{k: float(np.mean(v)) for k, v in scores.items()}}
Path("results/sim1-reference-study.json").write_text(json.dumps(summary, indent=2) + "\n")
print(json.dumps(summary, indent=2))
