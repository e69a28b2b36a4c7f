"""The photo leaderboard: one documented protocol, rerun by one command, ranked by LPIPS.

BSDS500 ``val`` (100 photos at full resolution, never trained on) with two mask families:
``irregular`` (the NVIDIA irregular masks, hole ratio 1-40%, reported per 10% bucket) and
``object`` (one large free-form blob of 10-40%, like the outline a person paints around an object
to remove). Every row has the pixel metrics and ST-LPIPS; FID is pooled over both families. The
summary (``leaderboard.json``) is what the README, the dashboard's default view and the app's
default method read.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .benchmark import (BenchmarkSpec, FeatureStore, by_bucket, fid_path, fid_scores, read_fid, read_results, read_spec,
                        run_benchmark, spec_path, write_atomic, write_text_atomic)
from .checkpoints import update_meta, write_card
from .errors import InpaintError
from .zoo import find_entry, load_catalog, refresh_hashes, save_catalog, zoo_dir

#: Mask family per protocol part; the NVIDIA archive path is filled in from the data root.
PARTS = {"irregular": ("files:{root}/masks/nvidia-irregular-even-6000.tar.gz", (0.01, 0.40)),
         "object": ("object", None)}
DATA = "{root}/bsds500/images-jpg.tar.gz"
METRICS = ("lpips", "fid")
#: The summary's columns, ranking metric first.
COLUMNS = ("lpips", "mse_hole_01", "l1_hole_01", "psnr_full_db", "ssim_full", "ms")
#: Every method that fills a photo of any size with any hole. Left out: the fixed-size models of 32 px
#: objects and 8x8 centre holes, and the Matrix Normal at 1024 px, which upsamples a BSDS500 photo's
#: hole window to 1024 px and takes 8-30 s a photo here (an hour and a half for the protocol); rank it
#: with ``--methods mle-matrix-normal@mn-sunhays-1024``.
DEFAULT_METHODS = ("patchmatch", "telea", "navier-stokes", "biharmonic", "mean-colour", "lama@lama-photo-256",
                   "lama-patchmatch@lama-photo-256", "lama@lama-pm-photo-256", "lama@lama-ensemble-photo-256",
                   "glcic@glcic-bsds500-64", "glcic@glcic-cifar10-32", "pconv@pconv-celeba-64",
                   "pconv@pconv-cifar10-32", "sim-k@sim0-celeba-64", "sim-k@sim0-cifar10-32")
SUMMARY = "leaderboard.json"


def specs(root: str | Path, methods: list[str], n: int | None = None, seed: int = 0) -> dict[str, BenchmarkSpec]:
    return {part: BenchmarkSpec(list(methods), DATA.format(root=root), "val", None, masks.format(root=root), ratio, n,
                                seed, metrics=METRICS)
            for part, (masks, ratio) in PARTS.items()}


def run_protocol(root: str | Path, out_dir: str | Path, methods: list[str], n: int | None = None,
                 progress: bool = True, record: bool = False) -> dict:
    """Run (or resume) both parts, then write ``leaderboard.json`` and ``leaderboard.md`` in ``out_dir``;
    with ``record``, also put the figures on the zoo checkpoints' cards and catalog entries."""
    out_dir = Path(out_dir)
    frames = []
    for part, spec in specs(root, methods, n).items():
        df = run_benchmark(spec, out_dir / f"{part}.csv", progress=progress)
        frames.append(df[df["method"].isin(methods)].assign(part=part))  # a file may hold other methods too
    stores = [FeatureStore(out_dir / f"{part}.csv.features.npz") for part in PARTS]
    command = protocol_command(root, methods, n, out_dir)
    fid = {label: score for label, score in fid_scores(stores).items() if label in methods}
    summary = summarize_protocol(pd.concat(frames, ignore_index=True), fid, command)
    write_text_atomic(out_dir / SUMMARY, json.dumps(summary, indent=2) + "\n")
    write_text_atomic(out_dir / "leaderboard.md", leaderboard_markdown(summary))
    if record:
        record_in_zoo(summary)
    return summary


def protocol_command(root: str | Path, methods: list[str], n: int | None, out_dir: str | Path) -> str:
    """The command that reruns a leaderboard (the default methods go unnamed)."""
    chosen = "" if set(methods) == set(DEFAULT_METHODS) else " --methods " + shlex.quote(",".join(methods))
    return f"inpaint leaderboard --datasets {root}{chosen}" + (f" --n {n}" if n else "") + f" --out-dir {out_dir}"


def merge_protocol(out_dir: str | Path, other_dir: str | Path, record: bool = False,
                   drop: list[str] | tuple[str, ...] = ()) -> dict:
    """Add the methods of another run of this protocol (``inpaint leaderboard --methods X --out-dir D``)
    to the leaderboard in ``out_dir``, replacing their rows there, and rewrite its summary; the methods
    in ``drop`` (a label that no longer loads, replaced by the one added) leave it.

    The FID features of a leaderboard are not committed (tens of MB), so a rerun of the committed one
    would measure every method again; a new checkpoint is ranked by measuring it alone and merging.
    Each method keeps the FID of the run that measured it."""
    out_dir, other_dir = Path(out_dir), Path(other_dir)
    target, source = read_leaderboard(out_dir / SUMMARY), read_leaderboard(other_dir / SUMMARY)
    if target is None or source is None:
        missing = out_dir if target is None else other_dir
        raise InpaintError(f"{missing} has no {SUMMARY}: run `inpaint leaderboard --out-dir {missing}` first.")
    added = [r["method"] for r in source["methods"]]
    gone = set(added) | set(drop)
    frames = []
    for part in PARTS:
        theirs, ours = read_spec(other_dir / f"{part}.csv"), read_spec(out_dir / f"{part}.csv")
        if replace(theirs, methods=[]) != replace(ours, methods=[]):
            raise InpaintError(f"{other_dir / part}.csv was measured on another protocol than {out_dir}: "
                               "rerun it with the same --datasets and --n.")
        kept = read_results(out_dir / f"{part}.csv")
        rows = pd.concat([kept[~kept["method"].isin(gone)], read_results(other_dir / f"{part}.csv")], ignore_index=True)
        write_atomic(rows, out_dir / f"{part}.csv")
        methods = [m for m in ours.methods if m not in gone] + added
        write_text_atomic(spec_path(out_dir / f"{part}.csv"), json.dumps(
            {**json.loads(spec_path(out_dir / f"{part}.csv").read_text()), "methods": methods}, indent=2))
        fids = {k: v for k, v in read_fid(out_dir / f"{part}.csv").items() if k not in gone}
        write_text_atomic(fid_path(out_dir / f"{part}.csv"), json.dumps(
            {**fids, **read_fid(other_dir / f"{part}.csv")}, indent=2))
        frames.append(rows.assign(part=part))
    fid = {r["method"]: {"fid": r["fid"], "images": r["fid_images"]} for r in (*target["methods"], *source["methods"])}
    methods = [r["method"] for r in target["methods"] if r["method"] not in gone] + added
    root = ours.data[: -len(DATA.format(root=""))]
    summary = summarize_protocol(pd.concat(frames, ignore_index=True), fid,
                                 protocol_command(root, methods, ours.n, out_dir))
    write_text_atomic(out_dir / SUMMARY, json.dumps(summary, indent=2) + "\n")
    write_text_atomic(out_dir / "leaderboard.md", leaderboard_markdown(summary))
    if record:
        record_in_zoo(summary)
    return summary


def _clean(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def summarize_protocol(df: pd.DataFrame, fid: dict[str, dict[str, float]], command: str) -> dict:
    """Means per method over both parts (ranked by LPIPS), FID pooled, and per-part bucket means."""
    rows = []
    for method, group in df.groupby("method", sort=False):
        row = {"method": method, "images": int(len(group))}
        row.update({c: _clean(group[c].mean()) for c in COLUMNS})
        row["fid"] = fid.get(method, {}).get("fid")
        row["fid_images"] = fid.get(method, {}).get("images")
        rows.append(row)
    rows.sort(key=lambda r: (r["lpips"] is None, r["lpips"]))
    buckets = {}
    for part, group in df.groupby("part", sort=False):
        table = by_bucket(group, ("lpips", "mse_hole_01"))
        buckets[part] = [{"bucket": b, "method": m, "images": int((group["bucket"] == b).sum() / group["method"].nunique()),
                          "lpips": _clean(r[("lpips", "mean")]), "mse_hole_01": _clean(r[("mse_hole_01", "mean")])}
                         for (b, m), r in table.iterrows()]
    return {"protocol": "BSDS500 val, full resolution; irregular = NVIDIA masks 1-40% hole, object = one free-form "
                        "blob 10-40%; seed 0; LPIPS = ST-LPIPS AlexNet (lower is better); FID pooled over both parts",
            "command": command, "ranked_by": "lpips", "methods": rows, "buckets": buckets}


def record_in_zoo(summary: dict) -> list[str]:
    """Put each zoo checkpoint's leaderboard figures on its model card (``config.json`` and
    ``README.md``) and into its catalog metrics (``photo_*``); returns the checkpoint ids updated."""
    entries = load_catalog()
    known = {e.id for e in entries}
    updated = []
    for rank, row in enumerate(summary["methods"], start=1):
        name, _, checkpoint = row["method"].partition("@")
        if not checkpoint or "?" in checkpoint or checkpoint not in known:
            continue
        if find_entry(checkpoint, entries).method != name:  # a hybrid running another method's checkpoint
            continue
        figures = {k: row[k] for k in ("lpips", "mse_hole_01", "fid", "fid_images", "ms")}
        update_meta(zoo_dir() / checkpoint, photo_leaderboard={
            "rank": rank, "of": len(summary["methods"]), "protocol": summary["protocol"],
            "command": summary["command"], **figures})
        entry = find_entry(checkpoint, entries)
        write_card(zoo_dir() / checkpoint, checkpoint, entry.repo_id)
        entry.metrics.update({"photo_rank": rank, "photo_lpips": row["lpips"], "photo_fid": row["fid"],
                              "photo_mse_hole_01": row["mse_hole_01"]})
        updated.append(checkpoint)
    save_catalog(entries)
    for checkpoint in updated:
        refresh_hashes(checkpoint)
    return updated


def leaderboard_dir() -> Path:
    """``$INPAINT_LEADERBOARD_DIR`` or the repository's ``docs/results/photo`` (where the committed one is)."""
    default = Path(__file__).resolve().parents[1] / "docs" / "results" / "photo"
    return Path(os.environ.get("INPAINT_LEADERBOARD_DIR", default))


def read_leaderboard(path: str | Path | None = None) -> dict | None:
    """A written summary (default: the one in :func:`leaderboard_dir`), or None when there is none."""
    path = Path(path) if path is not None else leaderboard_dir() / SUMMARY
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InpaintError(f"The leaderboard {path} is damaged ({exc}); restore it or rerun `inpaint leaderboard`.") from exc


def ranked_methods(summary: dict | None = None) -> list[str]:
    """Labels of the leaderboard, best first ([] without a leaderboard)."""
    summary = read_leaderboard() if summary is None else summary
    return [r["method"] for r in summary["methods"]] if summary else []


def leaderboard_markdown(summary: dict) -> str:
    """The ranked table, then LPIPS and hole MSE per hole-ratio bucket for each part."""
    lines = ["| rank | method | LPIPS | hole MSE | hole L1 | PSNR dB | SSIM | ms per image | FID (images) |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    fmt = lambda v, f: "-" if v is None else format(v, f)  # noqa: E731
    for rank, r in enumerate(summary["methods"], start=1):
        fid = "-" if r["fid"] is None else f"{r['fid']:.1f} ({r['fid_images']})"
        lines.append(f"| {rank} | `{r['method']}` | {fmt(r['lpips'], '.4f')} | {fmt(r['mse_hole_01'], '.4f')} | "
                     f"{fmt(r['l1_hole_01'], '.4f')} | {fmt(r['psnr_full_db'], '.2f')} | {fmt(r['ssim_full'], '.4f')} | "
                     f"{fmt(r['ms'], '.0f')} | {fid} |")
    order = [r["method"] for r in summary["methods"]]
    for part, cells in summary["buckets"].items():
        names = list(dict.fromkeys(c["bucket"] for c in cells))
        counts = {c["bucket"]: c["images"] for c in cells}
        for metric, title in (("lpips", "LPIPS"), ("mse_hole_01", "hole MSE")):
            lines += ["", f"{title}, {part} masks, per hole-ratio bucket (images):", "",
                      "| method | " + " | ".join(f"{b} ({counts[b]})" for b in names) + " |",
                      "|---|" + "---:|" * len(names)]
            value = {(c["bucket"], c["method"]): c[metric] for c in cells}
            for method in order:
                lines.append(f"| `{method}` | " + " | ".join(fmt(value.get((b, method)), ".4f") for b in names) + " |")
    return "\n".join(lines) + "\n"
