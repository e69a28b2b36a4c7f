"""Training steps per second of the trainer on this machine's device: the same command on a CPU and
on a GPU (where ``torch.cuda.is_available()``, with bf16 autocast), to compare the two.

Trains GLCIC's CIFAR-10 recipe (batch 64, 32 px; all three phases when ``--steps`` passes the
recipe's phase lengths, which ``--set`` may shorten) for ``--steps`` steps on CIFAR-10 from
``--data``, or on generated images when that path does not exist, and prints steps per second from
the trainer's own clock (data loading included, the final evaluation not). Usage:
``python benchmarks/train_speed.py [--steps 300] [--data ../shared/datasets/cifar10/train-jpg.tar.gz]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch

from inpaint_core.training import Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--data", default="../shared/datasets/cifar10/train-jpg.tar.gz")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if not Path(data).exists():  # a bare machine: generated 32 px images in two class folders
            import sys

            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
            from tests.helpers import make_images

            data = str(make_images(Path(tmp) / "data", n_per_class=2000, size=32))
        recipe = {"max_steps": args.steps, "completion_steps": args.steps // 2, "discriminator_steps": args.steps // 6,
                  "val_images": 256, "eval_images": 64}
        out = Path(tmp) / "glcic"
        Trainer("glcic", data, out, epochs=1000, seed=0, overrides=recipe).run(progress=False)
        progress = json.loads((out / ".training" / "state.json").read_text())["progress"]
        device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU, {torch.get_num_threads()} threads"
        print(f"| device | steps | seconds | steps/s |\n|---|---:|---:|---:|\n"
              f"| {device} | {progress['step']} | {progress['seconds']:.1f} | {progress['step'] / progress['seconds']:.2f} |")


if __name__ == "__main__":
    main()
