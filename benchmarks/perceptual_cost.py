"""What the perceptual metrics add to the benchmark's time per image: Telea on 512 px photos.

Runs ``evaluate_method`` (the benchmark's own per-image loop: decode, mask, fill, every metric) over
the bundled photos at 512x512 with no extra metric, with ``lpips``, with ``lpips_vgg``, and with
``fid`` (Inception features of the fill and the original), interleaved round by round so that
machine load hits every setting alike, and prints the median wall time per image and its ratio to
the plain run. Usage: ``python benchmarks/perceptual_cost.py [--rounds 5] [--method telea]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from inpaint_core.benchmark import FeatureStore, evaluate_method, method_from_label
from inpaint_core.datasets import load_split
from inpaint_core.fid import inception
from inpaint_core.lpips import lpips_network
from inpaint_core.maskgen import make_mask_generator

SETTINGS = {"pixel metrics only": (), "+ lpips": ("lpips",), "+ lpips_vgg": ("lpips_vgg",), "+ fid": ("fid",)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--method", default="telea")
    args = parser.parse_args()
    images = load_split("bundled", "val", 512)
    masks = make_mask_generator("strokes", (0.09, 0.11))
    method = method_from_label(args.method)
    lpips_network("alex"), lpips_network("vgg"), inception()  # loaded once, outside the timing
    times: dict[str, list[float]] = {name: [] for name in SETTINGS}
    for _ in range(args.rounds):
        for name, metrics in SETTINGS.items():
            features = FeatureStore() if "fid" in metrics else None
            start = time.perf_counter()
            rows = list(evaluate_method(method, images, masks, progress=False, metrics=metrics, features=features))
            times[name].append((time.perf_counter() - start) / len(rows))
    base = statistics.median(times["pixel metrics only"])
    print(f"{args.method}, {len(images)} bundled photos at 512x512, strokes 9-11%, {args.rounds} interleaved rounds")
    print("| setting | ms per image (median) | ratio |\n|---|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {1000 * statistics.median(values):.0f} | {statistics.median(values) / base:.2f} |")


if __name__ == "__main__":
    main()
