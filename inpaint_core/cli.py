"""The ``inpaint`` command line: run, methods, benchmark, leaderboard, train, ensemble, index, zoo."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .errors import InpaintError
from .images import IMAGE_SUFFIXES
from .maskgen import MASK_FAMILIES



def _parse_options(items: list[str]) -> dict[str, object]:
    options: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InpaintError(f"Option '{item}' must look like NAME=VALUE.")
        try:
            options[key.replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            options[key.replace("-", "_")] = value
    return options


def _sample_inputs(tmp: Path) -> tuple[Path, Path]:
    """The bundled sample: scikit-image's astronaut with a free-form stroke mask."""
    import numpy as np

    from .datasets import bundled_images
    from .images import save_image
    from .maskgen import FreeFormStrokes

    image = bundled_images()[0]
    mask = FreeFormStrokes()(image.shape[0], image.shape[1], np.random.default_rng(0))
    tmp.mkdir(parents=True, exist_ok=True)
    save_image(tmp / "astronaut.png", image)
    save_image(tmp / "astronaut_mask.png", (mask * 255).astype(np.uint8))
    return tmp / "astronaut.png", tmp / "astronaut_mask.png"


def comma_list(text: str | None) -> list[str]:
    """The non-empty items of a comma-separated option (method labels), stripped; none when not given."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .images import load_image, save_image
    from .zoo import load_method

    method = load_method(args.method, args.checkpoint)
    options = _parse_options(args.option)
    if args.image == "" or args.mask == "":
        raise InpaintError("--image and --mask need a path; leave both out to run on the bundled sample photo.")
    image, mask, out = Path(args.image) if args.image else None, Path(args.mask) if args.mask else None, Path(args.output)
    if image is None:
        image, mask = _sample_inputs(out.parent if out.suffix else out)
        print(f"no --image given: using the bundled sample {image} with mask {mask}")
    if mask is None:
        raise InpaintError("--mask is required with --image (a PNG where white = hole).")
    if image.is_dir():
        if not mask.is_dir():
            raise InpaintError("In folder mode --mask must be a folder of masks with the same file names.")
        out.mkdir(parents=True, exist_ok=True)
        files = sorted(p for p in image.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        failures = 0
        for file in tqdm(files, desc=args.method):
            candidates = [mask / file.name, mask / (file.stem + ".png")]
            mask_file = next((c for c in candidates if c.exists()), None)
            try:
                if mask_file is None:
                    raise InpaintError(f"no mask named {file.name} or {file.stem}.png in {mask}")
                result = method.inpaint(file, mask_file, seed=args.seed, **options)
                save_image(out / (file.stem + ".png"), result.image)
            except InpaintError as exc:
                failures += 1
                tqdm.write(f"{file.name}: {exc}")
        print(f"{len(files) - failures}/{len(files)} images written to {out}")
        return 1 if failures else 0
    result = method.inpaint(load_image(image), mask, seed=args.seed, **options)
    if result.message:
        print(result.message)
    target = out if out.suffix else out / "inpainted.png"
    save_image(target, result.image)
    region = result.extras.get("region")
    print(f"{args.method}: {result.seconds * 1000:.1f} ms -> {target}" + (f" (processed region {region} at "
          f"{result.extras['resolution']})" if region else ""))
    return 0


def cmd_methods(args: argparse.Namespace) -> int:
    from .methods.registry import list_methods
    from .zoo import load_catalog

    catalog = load_catalog()
    header = f"{'method':22} {'size':>7} {'hole':12} {'stoch':5} {'ckpt':5} checkpoints"
    print(header)
    print("-" * len(header))
    for cls in list_methods():
        caps = cls.capabilities
        entries = [e for e in catalog if e.method == cls.checkpoint_family()]
        ids = ", ".join(f"{e.id} ({e.domain or 'photos'})" for e in entries) or ("-" if not caps.needs_checkpoint else "none")
        # a fixed-size method's size is its checkpoint's (the Matrix Normal has 64 and 1024 px ones)
        sizes = sorted({e.resolution for e in entries}) if caps.native_size and entries else []
        size = "/".join(map(str, sizes)) if sizes else str(caps.native_size) if caps.native_size else "any"
        print(f"{cls.name:22} {size:>7} {caps.hole:12} {'yes' if caps.stochastic else 'no':5} "
              f"{'yes' if caps.needs_checkpoint else 'no':5} {ids}")
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    import pandas as pd

    from .benchmark import BenchmarkSpec, by_bucket, paired_against, parse_metrics, read_fid, run_benchmark, summarize

    ratio = tuple(float(v) for v in args.ratio.split(",")) if args.ratio else None
    spec = BenchmarkSpec(comma_list(args.methods), args.data, args.split, args.size,
                         args.masks, ratio, args.n, args.seed, args.crops, args.samples,  # type: ignore[arg-type]
                         parse_metrics(args.metrics))
    if args.against and args.against not in spec.methods:  # before the run, not after an hour of it
        raise InpaintError(f"--against '{args.against}' is not one of --methods; add it there, spelled the same.")
    engine = None
    if args.engine == "ray":
        from .ray_engine import RayEngine

        engine = RayEngine(args.address, args.workers, args.gpus_per_worker)
    df = run_benchmark(spec, args.out, progress=not args.quiet, engine=engine)
    with pd.option_context("display.width", 200, "display.max_columns", 40, "display.precision", 5):
        summary = summarize(df, read_fid(args.out))
        print(summary.to_string())
        buckets = by_bucket(df)
        if not buckets.empty:
            print("\nper hole-ratio bucket:\n" + buckets.to_string())
        paired = paired_against(df, args.against) if args.against else None
        if paired is not None:
            print(f"\npaired per image, {paired.index.name}:\n" + paired.to_string())
    if args.markdown:
        text = markdown_table(summary)
        if not buckets.empty:
            text += "\n\n" + bucket_markdown(buckets)
        if paired is not None:
            text += "\n\n" + paired_markdown(paired)
        Path(args.markdown).write_text(text + "\n")
        print(f"markdown table written to {args.markdown}")
    print(f"\nper-image results: {args.out}")
    return 0


def paired_markdown(paired) -> str:
    """The image-by-image comparison with a baseline as a Markdown table."""
    lines = [f"| {paired.index.name} | images | lower (%) | 95% interval (%) | wins (%) |", "|---|---:|---:|---:|---:|"]
    for method, r in paired.iterrows():
        lines.append(f"| {method} | {r.images:.0f} | {r.lower_pct:.1f} | {r.ci_low_pct:.1f} to {r.ci_high_pct:.1f} "
                     f"| {r.wins_pct:.1f} |")
    return "\n".join(lines)


def bucket_markdown(buckets) -> str:
    """One Markdown table per metric: methods by hole-ratio bucket, mean ± std (L1 in %), as in the
    semi-parametric paper's Table 1."""
    blocks = []
    methods = list(dict.fromkeys(buckets.index.get_level_values("method")))
    names = list(dict.fromkeys(buckets.index.get_level_values("bucket")))  # by_bucket orders them by hole ratio
    for metric in dict.fromkeys(c[0] for c in buckets.columns):
        scale, unit = (100, " (%)") if metric.startswith("l1_") else (1, "")
        lines = [f"| {metric}{unit} | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        for method in methods:
            cells = []
            for bucket in names:
                row = buckets.loc[(bucket, method)] if (bucket, method) in buckets.index else None
                cells.append("-" if row is None else f"{scale * row[(metric, 'mean')]:.3g} ± {scale * row[(metric, 'std')]:.2g}")
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from .leaderboard import DEFAULT_METHODS, merge_protocol, run_protocol

    if args.merge:
        merge_protocol(args.out_dir, args.merge, record=args.record, drop=comma_list(args.drop))
    else:
        methods = comma_list(args.methods) if args.methods else list(DEFAULT_METHODS)
        run_protocol(args.datasets, args.out_dir, methods, args.n, progress=not args.quiet, record=args.record)
    print((Path(args.out_dir) / "leaderboard.md").read_text())
    return 0


def markdown_table(summary) -> str:
    """Mean of each metric per method as a Markdown table (README)."""
    cols = [c for c in summary.columns if c[0] != "n" and c[1] != "std"]
    lines = ["| method | " + " | ".join(c[0] if c[1] in ("mean", "value") else f"{c[0]} ({c[1]})" for c in cols) + " |",
             "|---|" + "---:|" * len(cols)]
    for method, row in summary.iterrows():
        lines.append(f"| {method} | " + " | ".join("-" if row[c] != row[c] else f"{row[c]:.4g}" for c in cols) + " |")
    return "\n".join(lines)


def cmd_train(args: argparse.Namespace) -> int:
    from .training import Trainer

    overrides = _parse_options(args.set)
    trainer = Trainer(args.method, args.data, args.out, epochs=args.epochs, max_minutes=args.max_minutes,
                      seed=args.seed, overrides=overrides, state_dir=args.state_dir, recipe_file=args.recipe,
                      resume=args.resume)
    if args.evaluate_only:
        trainer.evaluate_only()
    else:
        trainer.run(progress=not args.quiet)
    return 0


def cmd_ensemble(args: argparse.Namespace) -> int:
    from .ensemble import build_ensemble

    build_ensemble(args.method, args.members, args.out, seed=args.seed)
    return 0


def cmd_samples(args: argparse.Namespace) -> int:
    """Unconditional samples of a distribution checkpoint as one grid image."""
    import numpy as np
    import torch

    from .figures import tile_grid
    from .images import save_image, to_uint8
    from .zoo import load_method
    from .mle import Distribution
    from .zoo import find_entry

    entry = find_entry(args.id)
    method = load_method(entry.method, args.id)
    net = getattr(method, "net", None)
    if not isinstance(net, Distribution):
        raise InpaintError(f"Checkpoint '{args.id}' is not a distribution; only mle-* checkpoints can sample.")
    with torch.no_grad():
        images = net.sample(args.n, torch.Generator().manual_seed(args.seed)).clamp(0, 1)
    tiles = [to_uint8(t) for t in images.permute(0, 2, 3, 1).numpy()]
    cols = int(np.ceil(np.sqrt(args.n)))
    grid = tile_grid([tiles[k : k + cols] for k in range(0, len(tiles), cols)])
    save_image(args.output, grid)
    print(f"{args.n} samples of {args.id} -> {args.output}")
    return 0


def cmd_figure(args: argparse.Namespace) -> int:
    """Held-out examples: original, masked, and each method, with the benchmark's masks."""
    from .datasets import load_split
    from .figures import comparison_figure
    from .images import save_image

    labels = comma_list(args.methods)
    grid = comparison_figure(labels, load_split(args.data, args.split, args.size), args.masks, args.n, args.seed,
                             args.scale)
    save_image(args.output, grid)
    print(f"columns: original, masked, {', '.join(labels)} -> {args.output}")
    return 0


def cmd_sample_study(args: argparse.Namespace) -> int:
    """Samples per held-out image: likelihood against error, diversity, time; grids sorted by likelihood."""
    import cv2

    from .datasets import load_split
    from .images import save_image
    from .maskgen import make_mask_generator
    from .benchmark import method_from_label
    from .sample_study import progression_figure, run_study, summarize_study

    images = load_split(args.data, args.split, args.size)
    ratio = tuple(float(v) for v in args.ratio.split(",")) if args.ratio else None
    gen = make_mask_generator(args.masks, ratio)  # type: ignore[arg-type]
    method = method_from_label(args.method)  # loaded once for the study and the progression figure
    df, grid = run_study(args.method, method, images, gen, args.n, args.samples, args.seed, args.grid_rows if args.grid else 0,
                         progress=not args.quiet, **_parse_options(args.option))
    summary = summarize_study(df)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(args.out, index=False)
        Path(args.out).with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    enlarge = lambda g: cv2.resize(g, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_NEAREST)
    if grid is not None:
        save_image(args.grid, enlarge(grid))
        print(f"grid (masked, samples most likely first, original) -> {args.grid}")
    if args.progression:
        save_image(args.progression, enlarge(progression_figure(args.method, method, images, gen, args.grid_rows, args.frames,
                                                                 args.seed)))
        print(f"probability maps while sampling -> {args.progression}")
    print(json.dumps(summary, indent=2))
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from .retrieval import RetrievalIndex, build_index, evaluate_index

    if args.index_command == "evaluate":
        print(json.dumps(evaluate_index(RetrievalIndex.load(args.index), args.data, args.split, args.masks, args.n,
                                        args.seed), indent=2))
        return 0
    index = build_index(args.data, args.model, args.out, args.split, args.size)
    print(f"{index.info['count']} images of {args.data} ({args.split}) described by {args.model} "
          f"({index.info['dimension']} dimensions) -> {index.folder}")
    return 0


def cmd_zoo(args: argparse.Namespace) -> int:
    from . import zoo
    from .checkpoints import write_card

    if args.zoo_command == "list":
        entries = zoo.load_catalog()
        print(f"{'id':28} {'method':22} {'data':12} {'px':>4} {'MB':>6}  {'where':9} metrics")
        for e in entries:
            where, _ = zoo.locate(e)
            size = sum(f["size"] for f in e.files.values()) / 2**20
            metrics = ", ".join(f"{k}={v:.4g}" for k, v in e.metrics.items() if k in ("mse_hole_01", "maem_hole_pct"))
            print(f"{e.id:28} {e.method:22} {e.dataset.split()[0]:12} {e.resolution:>4} {size:6.2f}  {where:9} {metrics}")
        return 0
    if args.zoo_command == "verify":
        problems = zoo.verify_all()
        for p in problems:
            print("FAIL", p)
        entries = zoo.load_catalog()
        if not problems:
            total = sum(f["size"] for e in entries for f in e.files.values())
            print(f"zoo OK: {len(entries)} checkpoints, {total / 2**20:.2f} MB, every sha256 matches the catalog")
        return 1 if problems else 0
    if args.zoo_command == "pull":
        entry = zoo.find_entry(args.id)
        folder = zoo._hub_snapshot(entry, local_only=False, force=args.force)
        zoo.verify_folder(entry, folder)
        print(f"{args.id}: {folder}")
        return 0
    if args.zoo_command == "card":
        entry = zoo.find_entry(args.id)
        write_card(zoo.zoo_dir() / args.id, args.id, entry.repo_id)
        zoo.refresh_hashes(args.id)
        print(f"card regenerated: {zoo.zoo_dir() / args.id / 'README.md'} (catalog hashes refreshed)")
        return 0
    if args.zoo_command == "push":
        from .hub import push

        print(push(args.id, args.repo, overwrite_card=args.overwrite_card))
        return 0
    raise AssertionError(args.zoo_command)


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default="bundled", help="'bundled' or a folder/archive of images")
    parser.add_argument("--split", default="val", choices=("all", "train", "val"))
    parser.add_argument("--size", type=int, help="centre-crop and resize images to SIZE")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inpaint", description="Inpainting methods of the inpaint-zoo papers.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="inpaint one image or a folder")
    run.add_argument("--method", default="telea")
    run.add_argument("--checkpoint", help="zoo id or checkpoint folder (learned methods)")
    run.add_argument("--image", help="image file or folder (default: the bundled sample photo)")
    run.add_argument("--mask", help="mask file or folder (white = hole)")
    run.add_argument("-o", "--output", default="outputs/inpainted.png", help="output file, or folder")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--option", action="append", default=[], metavar="NAME=VALUE", help="method option")
    run.set_defaults(func=cmd_run)

    sub.add_parser("methods", help="table of methods and checkpoints").set_defaults(func=cmd_methods)

    bench = sub.add_parser("benchmark", help="per-image metrics and latency, resumable")
    bench.add_argument("--methods", required=True,
                       help="comma-separated, NAME or NAME@CHECKPOINT, optionally ?OPTION=VALUE&... after it")
    _data_arguments(bench)
    bench.add_argument("--crops", type=int, help="with --size: N random SIZE crops per image at full resolution")
    bench.add_argument("--masks", default="centre", help=" | ".join(MASK_FAMILIES))
    bench.add_argument("--ratio", help="hole-ratio range LOW,HIGH")
    bench.add_argument("--metrics", help="perceptual metrics beside the pixel ones: lpips (ST-LPIPS AlexNet), "
                                         "lpips_vgg, fid (per method, over all images); e.g. lpips,fid")
    bench.add_argument("--n", type=int, help="number of images")
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--samples", type=int, default=1,
                       help="fills per image for stochastic methods: score the most likely, add means over "
                            "samples and their diversity")
    bench.add_argument("--out", default="results/benchmark.csv")
    bench.add_argument("--markdown", help="also write the summary as a Markdown table")
    bench.add_argument("--against", metavar="LABEL",
                       help="also compare each method with this one image by image: how much lower its hole MSE "
                            "is (95%% bootstrap interval) and on what share of images it wins")
    bench.add_argument("--engine", choices=("local", "ray"), default="local",
                       help="local: this process; ray: actors on a Ray cluster (pip install 'inpaint-zoo[ray]')")
    bench.add_argument("--address", help="with --engine ray: the cluster to join (default: start a local one)")
    bench.add_argument("--workers", type=int, help="with --engine ray: worker actors (default: one per CPU of the cluster)")
    bench.add_argument("--gpus-per-worker", type=float, default=0.0, help="with --engine ray: GPUs each actor asks for")
    bench.add_argument("--quiet", action="store_true")
    bench.set_defaults(func=cmd_benchmark)

    board = sub.add_parser("leaderboard", help="the photo leaderboard: BSDS500 val, irregular and object masks, "
                                               "pixel metrics, LPIPS and FID, ranked by LPIPS (resumable)")
    board.add_argument("--datasets", default="../shared/datasets",
                       help="folder holding bsds500/images-jpg.tar.gz and masks/nvidia-irregular-even-6000.tar.gz")
    board.add_argument("--methods", help="comma-separated labels (default: every method that runs on photos)")
    board.add_argument("--n", type=int, help="first N validation photos only (default: all 100)")
    board.add_argument("--out-dir", default="docs/results/photo")
    board.add_argument("--merge", metavar="DIR",
                       help="add the methods of another run of the protocol (its --out-dir) to this leaderboard, "
                            "replacing their rows, without measuring anything")
    board.add_argument("--drop", metavar="LABELS",
                       help="with --merge: comma-separated methods that leave the leaderboard (a retired label)")
    board.add_argument("--record", action="store_true",
                       help="put each zoo checkpoint's figures on its model card and catalog entry")
    board.add_argument("--quiet", action="store_true")
    board.set_defaults(func=cmd_leaderboard)

    train = sub.add_parser("train", help="train a learned method into a zoo folder")
    train.add_argument("method")
    train.add_argument("--data", help="data set path (default: the recipe's)")
    train.add_argument("--out", required=True, help="checkpoint folder, e.g. zoo/l2ce-cifar10-32")
    train.add_argument("--epochs", type=int)
    train.add_argument("--max-minutes", type=float)
    train.add_argument("--resume", action="store_true",
                       help="continue the run in --state-dir with the recipe values it recorded (--set still replaces them)")
    train.add_argument("--state-dir", help="resumable state folder (default OUT/.training, git-ignored in zoo/); "
                                           "a tracked folder such as runs/ID lets another machine continue the run")
    train.add_argument("--evaluate-only", action="store_true", help="re-evaluate the checkpoint in --out, no training")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--recipe", help="a recipe.json (e.g. zoo/ID/recipe.json) whose values replace the defaults")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a recipe value")
    train.add_argument("--quiet", action="store_true")
    train.set_defaults(func=cmd_train)

    ensemble = sub.add_parser("ensemble", help="one checkpoint averaging the networks of trained checkpoints")
    ensemble.add_argument("method")
    ensemble.add_argument("--members", nargs="+", required=True, help="zoo ids or checkpoint folders (two or more)")
    ensemble.add_argument("--out", required=True, help="checkpoint folder, e.g. zoo/glcic-ensemble-cifar10-32")
    ensemble.add_argument("--seed", type=int, default=0, help="seed of the evaluation masks")
    ensemble.set_defaults(func=cmd_ensemble)

    samples = sub.add_parser("samples", help="a grid of samples from a distribution checkpoint")
    samples.add_argument("id")
    samples.add_argument("-n", type=int, default=16)
    samples.add_argument("--seed", type=int, default=0)
    samples.add_argument("-o", "--output", required=True)
    samples.set_defaults(func=cmd_samples)

    figure = sub.add_parser("figure", help="held-out examples side by side: original, masked, each method")
    figure.add_argument("--methods", required=True, help="comma-separated, NAME or NAME@CHECKPOINT")
    _data_arguments(figure)
    figure.add_argument("--masks", default="centre", help="mask family, as for benchmark")
    figure.add_argument("-n", type=int, default=6, help="number of images (rows)")
    figure.add_argument("--seed", type=int, default=0)
    figure.add_argument("--scale", type=int, default=1, help="enlarge tiles (nearest neighbour), e.g. 3 for 32 px")
    figure.add_argument("-o", "--output", required=True)
    figure.set_defaults(func=cmd_figure)

    study = sub.add_parser("sample-study", help="many samples per image: likelihood vs error, diversity, time, grids")
    study.add_argument("--method", required=True, help="NAME@CHECKPOINT of a method that samples with likelihoods")
    _data_arguments(study)
    study.add_argument("--masks", default="blobs", help="mask family, as for benchmark (top:0.75 = bottom visible)")
    study.add_argument("--ratio", help="hole-ratio range LOW,HIGH")
    study.add_argument("-n", type=int, default=50, help="number of images")
    study.add_argument("--samples", type=int, default=8)
    study.add_argument("--seed", type=int, default=0)
    study.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="method option, e.g. temperature=0.8")
    study.add_argument("--out", help="per-sample CSV (the summary goes beside it as .json)")
    study.add_argument("--grid", help="PNG: masked, samples most likely first, original; one row per image")
    study.add_argument("--grid-rows", type=int, default=6)
    study.add_argument("--progression", help="PNG: probability maps while sampling, one row per image")
    study.add_argument("--frames", type=int, default=8)
    study.add_argument("--scale", type=int, default=3, help="enlarge figures (nearest neighbour)")
    study.add_argument("--quiet", action="store_true")
    study.set_defaults(func=cmd_sample_study)

    index = sub.add_parser("index", help="retrieval databases for Sim-k")
    isub = index.add_subparsers(dest="index_command", required=True)
    build = isub.add_parser("build", help="describe a data set's images with a zoo model; write descriptors + references")
    build.add_argument("--data", required=True, help="folder or archive of images (nothing is copied)")
    build.add_argument("--model", required=True, help="zoo id of the descriptor model (a pconv checkpoint)")
    build.add_argument("--split", default="train", choices=("all", "train", "val"))
    build.add_argument("--size", type=int, help="side the images are described at (default: the model's)")
    build.add_argument("--out", help="database folder (default: where Sim-k checkpoints look, under $INPAINT_INDEX_DIR "
                                     "or ~/.cache/inpaint-zoo/index)")
    evaluate = isub.add_parser("evaluate", help="how often the nearest neighbour shares the query's folder (class)")
    evaluate.add_argument("index", help="database folder")
    evaluate.add_argument("--data", required=True, help="query images (e.g. the validation split of the same data)")
    evaluate.add_argument("--split", default="val", choices=("all", "train", "val"))
    evaluate.add_argument("--masks", default="centre", help="holes of the two-step queries, as for benchmark")
    evaluate.add_argument("--n", type=int, help="number of queries")
    evaluate.add_argument("--seed", type=int, default=0)
    index.set_defaults(func=cmd_index)

    zoo = sub.add_parser("zoo", help="the model zoo")
    zsub = zoo.add_subparsers(dest="zoo_command", required=True)
    zsub.add_parser("list")
    zsub.add_parser("verify")
    pull = zsub.add_parser("pull")
    pull.add_argument("id")
    pull.add_argument("--force", action="store_true")
    card = zsub.add_parser("card")
    card.add_argument("id")
    push = zsub.add_parser("push")
    push.add_argument("id")
    push.add_argument("--repo", required=True, help="ORG/NAME on the Hub")
    push.add_argument("--overwrite-card", action="store_true", help="replace a different card on the Hub")
    zoo.set_defaults(func=cmd_zoo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # the library logs its progress
    from .threads import env_threads

    if threads := env_threads():
        import torch

        torch.set_num_threads(threads)
    try:
        return int(args.func(args) or 0)
    except InpaintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished results are saved", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
