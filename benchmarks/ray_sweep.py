"""Wall time of one benchmark sweep on a local Ray cluster of 1 and of 2 workers, and the speed-up,
measured in one run (the local engine beside them as the reference).

Each configuration starts its own cluster (``ray.init(num_cpus=WORKERS)``, not timed), then runs the
same sweep into a fresh results file; the time includes starting each method's actors and loading
the methods, as a user's sweep would. Usage:
``python benchmarks/ray_sweep.py [--data PATH] [--split val] [--n 40] [--methods telea,navier-stokes,biharmonic]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from inpaint_core.benchmark import BenchmarkSpec, run_benchmark
from inpaint_core.ray_engine import RayEngine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="../shared/datasets/bsds500/images-jpg.tar.gz")
    parser.add_argument("--split", default="val")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--masks", default="object")
    parser.add_argument("--methods", default="telea,navier-stokes,biharmonic")
    args = parser.parse_args()
    import ray

    spec = BenchmarkSpec(args.methods.split(","), data=args.data, split=args.split, masks=args.masks, n=args.n)
    rows = len(spec.methods) * args.n
    times = {}
    with tempfile.TemporaryDirectory(prefix="sweep", dir="/tmp") as tmp:
        start = time.perf_counter()
        run_benchmark(spec, Path(tmp) / "local.csv", progress=False)
        times["local engine (1 process)"] = time.perf_counter() - start
        for workers in (1, 2):
            engine = RayEngine(workers=workers, temp_dir=tempfile.mkdtemp(prefix="ray", dir="/tmp"))
            engine.start()  # the cluster's start is not part of the sweep
            start = time.perf_counter()
            run_benchmark(spec, Path(tmp) / f"ray{workers}.csv", progress=False, engine=engine)
            times[f"ray, {workers} worker{'s' if workers > 1 else ''}"] = time.perf_counter() - start
            ray.shutdown()
    print(f"{rows} rows ({args.methods} on {args.n} images)\n\n| engine | seconds | rows/s |\n|---|---:|---:|")
    for name, seconds in times.items():
        print(f"| {name} | {seconds:.1f} | {rows / seconds:.2f} |")
    print(f"\nspeed-up of 2 Ray workers over 1: {times['ray, 1 worker'] / times['ray, 2 workers']:.2f}x")


if __name__ == "__main__":
    main()
