"""The benchmark harness behind ``inpaint benchmark``, the trainer's final evaluation and the dashboard.

Per image it records every metric of :mod:`inpaint_core.metrics`, the latency (warm-up excluded)
and the log-likelihood where a method gives one; on request the perceptual metrics too (``lpips``,
``lpips_vgg`` per image, ``fid`` per method from Inception features kept beside the results).
Masks are drawn from ``rng([seed, index])`` so every method sees the same masks and a resumed run
continues exactly. Rows are appended as whole, synced lines (:class:`ResultsFile`), so an
interrupted run loses nothing already measured and a row cut by a kill is measured again.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import time
import zipfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl

import numpy as np
import pandas as pd
from tqdm import tqdm

from .datasets import ImageSet, load_split
from .errors import InpaintError
from .lpips import lpips
from .maskgen import MaskGenerator, image_mask, make_mask_generator
from .masks import BUCKET_LABELS
from .methods.base import Method
from .zoo import load_method
from .metrics import METRIC_COLUMNS, image_metrics, sample_diversity

#: Perceptual per-image columns and the LPIPS network behind each (inpaint_core.lpips).
LPIPS_COLUMNS = {"lpips": "alex", "lpips_vgg": "vgg"}
#: What ``--metrics`` accepts beside the pixel metrics, which are always computed.
EXTRA_METRICS = (*LPIPS_COLUMNS, "fid")
log = logging.getLogger(__name__)

SUMMARY_METRICS = ("l1_hole_01", "mse_hole_01", "l2paper_hole_01", "l2paper_hole_255", "maem_hole_pct",
                   "psnr_full_db", "ssim_full", *LPIPS_COLUMNS, "ms")
#: With several samples per image, these metrics are also averaged over the samples (the plain
#: columns are the most likely sample's), beside the samples' diversity in the hole.
SAMPLE_METRICS = ("l1_hole_01", "mse_hole_01", "maem_hole_pct", "psnr_full_db", "ssim_full")
SAMPLE_COLUMNS = (*(f"{m}_samples_mean" for m in SAMPLE_METRICS), "diversity_hole")


def parse_metrics(text: str | None) -> tuple[str, ...]:
    """``lpips,fid`` -> ("lpips", "fid"); an unknown name is an error listing the valid ones."""
    names = tuple(dict.fromkeys(m.strip() for m in (text or "").split(",") if m.strip()))
    unknown = [m for m in names if m not in EXTRA_METRICS]
    if unknown:
        raise InpaintError(f"Unknown metric {', '.join(unknown)}; --metrics takes {', '.join(EXTRA_METRICS)} "
                           "(the pixel metrics are always computed).")
    return names


class FeatureStore:
    """Inception features of each filled image (per method label and image index) and of the
    originals, kept in ``<results>.features.npz`` so that a resumed benchmark still has every image
    for FID, which is computed once per method at the end."""

    REAL = "__real__"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path  # None: kept in memory only
        self.data: dict[str, dict[int, np.ndarray]] = {}
        if path is not None and path.exists():
            try:
                with np.load(path, allow_pickle=False) as npz:
                    for k, key in enumerate(json.loads(str(npz["keys"]))):
                        self.data[key] = dict(zip(npz[f"idx{k}"].tolist(), npz[f"feat{k}"]))
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                raise InpaintError(f"The FID feature file {path} is damaged ({exc}); delete it and rerun: the "
                                   "images without features are measured again.") from exc

    def indices(self, key: str) -> set[int]:
        return set(self.data.get(key, {}))

    def add(self, key: str, index: int, image: np.ndarray) -> None:
        from .fid import inception_features

        self.data.setdefault(key, {})[index] = inception_features([image])[0].astype(np.float32)

    def save(self) -> None:
        if self.path is None:
            return
        arrays: dict[str, np.ndarray] = {"keys": np.array(json.dumps(list(self.data)))}
        for k, rows in enumerate(self.data.values()):
            arrays[f"idx{k}"] = np.array(list(rows), dtype=np.int64)
            arrays[f"feat{k}"] = np.stack(list(rows.values())) if rows else np.zeros((0, 0), np.float32)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, self.path)


def fid_scores(stores: list[FeatureStore]) -> dict[str, dict[str, float]]:
    """FID of each method against the originals of the same images, pooled over several benchmarks
    (a protocol of several mask families), with the image count."""
    from .fid import frechet_distance

    labels = dict.fromkeys(k for store in stores for k in store.data if k != FeatureStore.REAL)
    out = {}
    for label in labels:
        pairs = [(store.data[FeatureStore.REAL][i], store.data[label][i]) for store in stores
                 for i in sorted(store.indices(label) & store.indices(FeatureStore.REAL))]
        if len(pairs) >= 2:
            real, filled = (np.stack(side).astype(np.float64) for side in zip(*pairs))
            out[label] = {"fid": frechet_distance(real, filled), "images": len(pairs)}
    return out


def evaluate_method(method: Method, images: ImageSet, masks: str | MaskGenerator, n: int | None = None,
                    seed: int = 0, progress: bool = True, label: str | None = None,
                    indices: list[int] | None = None, samples: int = 1, metrics: tuple[str, ...] = (),
                    features: FeatureStore | None = None) -> Iterator[dict[str, Any]]:
    """Yield one row per image (``indices``, or the first ``n``); the first is run once untimed as
    warm-up. A stochastic method with ``samples`` > 1 draws that many fills per image: its row scores
    the most likely one, adds :data:`SAMPLE_COLUMNS`, and ``ms`` is the time of all of them. ``metrics`` adds LPIPS columns;
    with ``features``, the fill's (and the original's) Inception features go there for FID."""
    gen = make_mask_generator(masks) if isinstance(masks, str) else masks
    todo = list(range(len(images) if n is None else min(n, len(images)))) if indices is None else indices
    if todo:
        warm_up(method, images, gen, todo[0], seed)
    for i in tqdm(todo, desc=label or method.name, disable=not progress, leave=False):
        row, fill = evaluate_row(method, images, gen, i, seed, label, samples, metrics)
        if features is not None:
            features.add(label or method.name, i, fill)
            if i not in features.indices(FeatureStore.REAL):
                features.add(FeatureStore.REAL, i, images[i])
        yield row


def warm_up(method: Method, images: ImageSet, gen: MaskGenerator, index: int, seed: int) -> None:
    """One untimed fill, so that lazy loading and first-call costs stay out of the timings."""
    first = images[index]
    method.inpaint(first, image_mask(gen, first.shape[:2], seed, index), seed=seed)


def evaluate_row(method: Method, images: ImageSet, gen: MaskGenerator, i: int, seed: int = 0,
                 label: str | None = None, samples: int = 1,
                 metrics: tuple[str, ...] = ()) -> tuple[dict[str, Any], np.ndarray]:
    """The row of image ``i`` and its fill: a function of (method, i) alone (the mask comes from
    ``rng([seed, i])``, the fill's randomness from ``seed + i``), so any process can compute any row."""
    truth = images[i]
    mask = image_mask(gen, truth.shape[:2], seed, i)
    n = samples if method.capabilities.stochastic else 1
    results = method.sample(truth, mask, n, seed=seed + i) if n > 1 else [method.inpaint(truth, mask, seed=seed + i)]
    result = results[0]
    row = {"method": label or method.name, "index": i, "image": images.names[i],
           **image_metrics(result.image[..., :3], truth, mask), "ms": 1000.0 * result.seconds * len(results),
           "log_likelihood": result.log_likelihood,
           "train_min": getattr(method, "meta", {}).get("training", {}).get("minutes")}  # None: nothing trained
    for column, net in LPIPS_COLUMNS.items():
        if column in metrics:
            row[column] = lpips(result.image[..., :3], truth, net)
    row["peak_rss_mb"] = peak_rss_mb()
    if n > 1:
        scores = [image_metrics(r.image[..., :3], truth, mask) for r in results]
        row.update({f"{m}_samples_mean": float(np.mean([sc[m] for sc in scores])) for m in SAMPLE_METRICS})
        row["diversity_hole"] = sample_diversity([r.image[..., :3] for r in results], mask)
        row["samples"] = n
    return row, result.image[..., :3]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass
class BenchmarkSpec:
    methods: list[str]
    data: str = "bundled"
    split: str = "val"
    size: int | None = None
    masks: str = "centre"
    ratio: tuple[float, float] | None = None
    n: int | None = None
    seed: int = 0
    crops: int | None = None  # with size: that many random size x size crops per image at full resolution
    samples: int = 1  # fills per image for stochastic methods (most likely scored, plus means and diversity)
    metrics: tuple[str, ...] = ()  # perceptual metrics beside the pixel ones: lpips, lpips_vgg, fid


def method_from_label(label: str) -> Method:
    """Load a benchmark label: NAME, or NAME@CHECKPOINT for a learned method, either followed by
    ``?OPTION=VALUE&...`` (``sim-k@sim1-celeba-64?auxiliary=noise``) to fix method options."""
    spec, _, query = label.partition("?")
    name, _, checkpoint = spec.partition("@")
    return load_method(name, checkpoint or None, **dict(parse_qsl(query, strict_parsing=bool(query))))


def write_atomic(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


def write_text_atomic(path: Path, text: str) -> None:
    """A reader (a resume, the dashboard) sees the old file or the new one, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _last_line_cut(path: Path) -> bool:
    """Rows are appended as whole lines: a file that does not end in a newline lost its last row's end."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return False
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) != b"\n"


class ResultsFile:
    """A benchmark's per-image CSV, written incrementally so that writing n rows costs O(n): new rows
    are appended as whole lines and synced; the file is rewritten (atomically, temp file + rename)
    only when rows must go (damaged or stale ones) or a new column appears."""

    def __init__(self, path: Path, rows: pd.DataFrame, rewrite: bool = False) -> None:
        self.path = path
        self.frames = [rows]
        self.columns = list(rows.columns) if path.exists() and len(rows.columns) else None
        self.rewrite = rewrite or self.columns is None
        self.to_append: list[pd.DataFrame] = []

    @property
    def rows(self) -> pd.DataFrame:
        return self.frames[0]

    def keep(self, keep: pd.Series) -> None:
        """Drop the rows read at the start where ``keep`` is False (rewritten at the next flush)."""
        self.frames[0] = self.frames[0][keep].reset_index(drop=True)
        self.rewrite = True

    def add(self, rows: list[dict[str, Any]]) -> None:
        new = pd.DataFrame(rows)
        self.frames.append(new)
        if self.columns is None or not set(new.columns) <= set(self.columns):
            self.rewrite = True
        else:
            self.to_append.append(new)

    def flush(self) -> None:
        frames = [f for f in self.frames if not f.empty]
        if self.rewrite and frames:  # with no rows at all (a run that failed at once) there is nothing to write
            frame = pd.concat(frames, ignore_index=True)
            write_atomic(frame, self.path)
            self.columns, self.rewrite = list(frame.columns), False
        elif self.to_append:
            with open(self.path, "a", newline="") as fh:
                for new in self.to_append:
                    new.reindex(columns=self.columns).to_csv(fh, header=False, index=False)
                fh.flush()
                os.fsync(fh.fileno())
        self.to_append = []


def read_results(path: str | Path) -> pd.DataFrame:
    """Read a results CSV; a damaged file is an error that says so (the dashboard shows it)."""
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InpaintError(f"Results file {path} is damaged ({exc}); delete it or rerun the benchmark.") from exc
    missing = {"method", "index", *METRIC_COLUMNS} - set(df.columns)
    if missing:
        raise InpaintError(f"Results file {path} lacks columns {sorted(missing)}: it is not a benchmark result.")
    return df


def spec_path(out: str | Path) -> Path:
    """Where a benchmark keeps its spec: ``<results>.json``, beside the rows."""
    return Path(str(out) + ".json")


def read_spec(out: str | Path) -> BenchmarkSpec:
    """The spec a results file was produced with, so its images and masks can be drawn again."""
    path = spec_path(out)
    try:
        values = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InpaintError(f"{path} is missing or damaged ({exc}): the images behind these results cannot be "
                           "drawn again; rerun the benchmark.") from exc
    values["ratio"] = tuple(values["ratio"]) if values.get("ratio") else None
    values["metrics"] = tuple(values.get("metrics", ()))
    known = set(BenchmarkSpec.__dataclass_fields__)
    return BenchmarkSpec(**{k: v for k, v in values.items() if k in known})


def fid_path(out: str | Path) -> Path:
    """Where a benchmark with ``fid`` writes each method's FID: ``<results>.fid.json``."""
    return Path(str(out) + ".fid.json")


def read_fid(out: str | Path) -> dict[str, dict[str, float]]:
    """The FID per method of a results file ({} when it was run without ``fid``)."""
    path = fid_path(out)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InpaintError(f"{path} is damaged ({exc}); rerun the same benchmark command to rewrite it.") from exc


class LocalEngine:
    """Rows computed in this process, one method after another (the default engine)."""

    def rows(self, spec: BenchmarkSpec, images: ImageSet, gen: MaskGenerator, todo: dict[str, list[int]],
             features: FeatureStore | None, progress: bool) -> Iterator[dict[str, Any]]:
        for label, indices in todo.items():
            yield from evaluate_method(method_from_label(label), images, gen, seed=spec.seed, progress=progress,
                                       label=label, indices=indices, samples=spec.samples, metrics=spec.metrics,
                                       features=features)


def run_benchmark(spec: BenchmarkSpec, out: str | Path, progress: bool = True,
                  on_row: Callable[[dict[str, Any]], None] | None = None, flush_seconds: float = 2.0,
                  engine: Any = None) -> pd.DataFrame:
    """Run (or resume) a benchmark, writing ``out`` (CSV) and ``out.json`` (the spec) atomically; with
    ``fid`` also ``out.features.npz`` (kept for resuming) and, at the end, ``out.fid.json``. The
    ``engine`` computes the rows (:class:`LocalEngine`, or :class:`inpaint_core.ray_engine.RayEngine`
    across a Ray cluster); this process writes them as they arrive, so a lost worker loses no written row."""
    engine = engine or LocalEngine()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    spec_file = spec_path(out)
    spec = replace(spec, metrics=parse_metrics(",".join(spec.metrics)))
    spec_json = asdict(spec)
    spec_json["ratio"] = list(spec.ratio) if spec.ratio else None
    spec_json["metrics"] = list(spec.metrics)
    previous, damaged = pd.DataFrame(), None
    if out.exists():
        if spec_file.exists():
            try:
                old = json.loads(spec_file.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError):  # cut mid-write by an old version: rewritten below
                log.warning("%s is damaged; it is rewritten from this run's spec", spec_file)
                old = {k: v for k, v in spec_json.items()}
            keys = [k for k in spec_json if k not in ("methods", "n")]
            defaults = asdict(BenchmarkSpec(methods=[]))  # a field added later reads as its default
            defaults["metrics"] = []
            if {k: old.get(k, defaults[k]) for k in keys} != {k: spec_json[k] for k in keys}:
                raise InpaintError(f"{out} holds results of another benchmark ({old}); choose another --out.")
        previous = read_results(out)
        damaged = previous[["ms", "mse_hole_01"]].isna().any(axis=1)  # a row cut short: measured again
        if len(previous) and _last_line_cut(out):
            damaged.iloc[-1] = True
    results = ResultsFile(out, previous)
    if damaged is not None and damaged.any():
        log.warning("%d damaged rows in %s are measured again", int(damaged.sum()), out)
        results.keep(~damaged)
    write_text_atomic(spec_file, json.dumps(spec_json, indent=2))
    images = load_split(spec.data, spec.split, spec.size, crops=spec.crops)
    gen = make_mask_generator(spec.masks, spec.ratio)
    features = FeatureStore(Path(str(out) + ".features.npz")) if "fid" in spec.metrics else None
    count = len(images) if spec.n is None else min(spec.n, len(images))
    todo: dict[str, list[int]] = {}
    for label in spec.methods:  # resuming: what is on disk (with its features, for FID) is not measured again
        previous = results.rows
        done = set(previous.loc[previous["method"] == label, "index"]) if not previous.empty else set()
        if features is not None and done - features.indices(label):  # rows without features: measure again
            done &= features.indices(label)
            results.keep(~((previous["method"] == label) & ~previous["index"].isin(done)))
        todo[label] = [i for i in range(count) if i not in done]
    pending: list[dict[str, Any]] = []
    last = time.perf_counter()

    def flush() -> None:
        nonlocal pending
        if pending:
            results.add(pending)
            pending = []
        if features is not None:  # features first: a row on disk always has its features
            features.save()
        results.flush()

    try:
        for row in engine.rows(spec, images, gen, todo, features, progress):
            pending.append(row)
            if on_row:
                on_row(row)
            if time.perf_counter() - last > flush_seconds:
                flush()
                last = time.perf_counter()
    finally:
        flush()
    if features is not None:
        write_text_atomic(fid_path(out), json.dumps(fid_scores([features]), indent=2))
    return read_results(out)


def summarize(df: pd.DataFrame, fid: dict[str, dict[str, float]] | None = None) -> pd.DataFrame:
    """Mean and std per method of every summary metric (and log-likelihood and training minutes where
    present); with ``fid`` (from :func:`read_fid`) each method's FID and its image count."""
    cols = [c for c in (*SUMMARY_METRICS, "log_likelihood", *SAMPLE_COLUMNS, "train_min")
            if c in df.columns and df[c].notna().any()]
    table = df.groupby("method", sort=False)[cols].agg(["mean", "std"])
    table.insert(0, ("n", "images"), df.groupby("method", sort=False).size())
    if "peak_rss_mb" in df.columns:
        table[("peak_rss_mb", "max")] = df.groupby("method", sort=False)["peak_rss_mb"].max()
    if fid:
        table[("fid", "value")] = [fid.get(m, {}).get("fid", np.nan) for m in table.index]
        table[("fid", "images")] = [fid.get(m, {}).get("images", np.nan) for m in table.index]
    return table


def paired_against(df: pd.DataFrame, baseline: str, metric: str = "mse_hole_01", resamples: int = 2000,
                   seed: int = 0) -> pd.DataFrame:
    """How much lower each method's mean ``metric`` is than the baseline's on the same images, with a
    95% bootstrap interval over images, and the share of images it wins: "by a wide margin" as a
    number with its uncertainty rather than two means side by side."""
    table = df.pivot_table(index="index", columns="method", values=metric, sort=False)
    if baseline not in table.columns:
        raise InpaintError(f"No results for the baseline '{baseline}' in these results; add it to --methods.")
    rng = np.random.default_rng(seed)
    rows = {}
    for method in table.columns.drop(baseline):
        pair = table[[method, baseline]].dropna().to_numpy()
        if not len(pair):
            continue
        draws = rng.integers(0, len(pair), (resamples, len(pair)))
        boot = 1 - pair[draws, 0].mean(1) / pair[draws, 1].mean(1)
        rows[method] = {"images": len(pair), "lower_pct": 100 * (1 - pair[:, 0].mean() / pair[:, 1].mean()),
                        "ci_low_pct": 100 * np.percentile(boot, 2.5), "ci_high_pct": 100 * np.percentile(boot, 97.5),
                        "wins_pct": 100 * float(np.mean(pair[:, 0] < pair[:, 1]))}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(f"{metric} against {baseline}")


BUCKET_METRICS = ("l1_full_01", "l1_hole_01", "mse_hole_01", "psnr_full_db", "ssim_full", *LPIPS_COLUMNS)


def by_bucket(df: pd.DataFrame, metrics: tuple[str, ...] = BUCKET_METRICS) -> pd.DataFrame:
    """Mean and std per method and hole-ratio bucket of the ``metrics`` the results have (the
    semi-parametric paper's Table 1 layout; its L1 is over the whole image, which is why it grows
    with the hole)."""
    sub = df.dropna(subset=["bucket"])
    present = [m for m in metrics if m in sub.columns and sub[m].notna().any()]
    table = sub.groupby(["bucket", "method"], sort=False)[present].agg(["mean", "std"])
    order = {label: i for i, label in enumerate(BUCKET_LABELS)}  # by hole ratio; methods stay in the order they ran
    return table.sort_index(level="bucket", sort_remaining=False, key=lambda idx: idx.map(order))
