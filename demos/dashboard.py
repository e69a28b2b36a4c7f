"""Streamlit dashboard: the photo leaderboard, and benchmarks comparing methods on perceptual metrics
(LPIPS, FID), pixel metrics (L1, MSE, PSNR, SSIM, MAEM) and time.

Pages: Leaderboard (the default: the photo protocol ranked by LPIPS, from ``docs/results/photo``
or ``$INPAINT_LEADERBOARD_DIR``), Run (a resumable benchmark with a live count), Compare (tables and
Plotly charts, ranked by the metric you pick), Examples (the images behind the numbers), Zoo (the
checkpoints' cards). Results are CSV files in
``$INPAINT_RESULTS_DIR`` (default ``results/``), so a reload or a second visitor sees them without
recomputing, and a stopped run resumes where it stopped.

Run: ``streamlit run demos/dashboard.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st
from huggingface_hub import ModelCard

from inpaint_core.benchmark import (SAMPLE_COLUMNS, SAMPLE_METRICS, SUMMARY_METRICS, BenchmarkSpec, by_bucket,
                                    method_from_label, read_fid, read_results, read_spec, run_benchmark, summarize)
from inpaint_core.checkpoints import META_KEY, read_config
from inpaint_core.datasets import load_split
from inpaint_core.errors import InpaintError
from inpaint_core.leaderboard import PARTS, SUMMARY, leaderboard_dir, read_leaderboard
from inpaint_core.maskgen import MASK_FAMILIES, MASK_MENU, PATH_FAMILIES, image_mask, make_mask_generator
from inpaint_core.masks import BUCKET_LABELS
from inpaint_core.choices import method_choices
from inpaint_core.zoo import load_catalog, locate, zoo_dir

PAGES = ("Leaderboard", "Run", "Compare", "Examples", "Zoo")
CUSTOM_MASKS = "any mask spec (typed below)"
LABELS = {"l1_hole_01": "L1 in hole [0,1]", "mse_hole_01": "MSE in hole [0,1]", "l2paper_hole_01": "L2 (paper) [0,1]",
          "l2paper_hole_255": "L2 (paper) [0,255]", "maem_hole_pct": "MAEM %", "psnr_full_db": "PSNR dB",
          "ssim_full": "SSIM", "ms": "ms per image", "log_likelihood": "log-likelihood",
          "diversity_hole": "sample diversity (RMS in hole)", "lpips": "LPIPS (ST, AlexNet)",
          "lpips_vgg": "LPIPS (ST, VGG-16)", "fid": "FID", "fid_images": "FID images"}
#: Metrics where higher is better; every other one ranks ascending.
HIGHER_IS_BETTER = ("psnr_full_db", "ssim_full", "maem_hole_pct", "log_likelihood")
LABELS.update({f"{m}_samples_mean": f"{LABELS[m]}, mean of samples" for m in SAMPLE_METRICS})


def results_dir() -> Path:
    path = Path(os.environ.get("INPAINT_RESULTS_DIR", "results"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_roots() -> list[Path]:
    """Folders the Run page may read data and masks from (``INPAINT_DATA_ROOTS``, separated by ``:``;
    default: the data sets next to the repository), so a visitor cannot make the server read any folder."""
    raw = os.environ.get("INPAINT_DATA_ROOTS")
    roots = raw.split(os.pathsep) if raw else [str(Path(__file__).resolve().parents[2] / "shared" / "datasets")]
    return [Path(r).resolve() for r in roots if r]


def allowed_path(text: str) -> str:
    """``text`` if it names a path under one of :func:`data_roots`, else an error naming the roots."""
    path = Path(text).expanduser().resolve()
    if any(path == root or root in path.parents for root in data_roots()):
        return str(path)
    raise InpaintError(f"'{text}' is outside the folders this dashboard may read ({', '.join(map(str, data_roots()))}); "
                       "set INPAINT_DATA_ROOTS to allow another.")


def method_labels() -> list[str]:
    """The app's picker as benchmark labels (NAME or NAME@CHECKPOINT): photo tools first."""
    return [c.key for c in method_choices()]


@st.cache_resource(show_spinner=False)
def cached_method(label: str):
    return method_from_label(label)


def result_files() -> list[Path]:
    return sorted(results_dir().glob("*.csv"), key=lambda p: p.stat().st_mtime, reverse=True)


def choose_results(key: str) -> tuple[Path, pd.DataFrame] | None:
    """A results file picked by the visitor, read; None (with a message on the page) if there is none."""
    files = result_files()
    if not files:
        st.info("No results yet: run a benchmark on the Run page (or with `inpaint benchmark --out results/NAME.csv`).")
        return None
    path = st.selectbox("Results", files, format_func=lambda p: p.name, key=key)
    try:
        return path, read_results(path)
    except InpaintError as exc:
        st.error(str(exc))
        return None


def page_run() -> None:
    st.header("Run a benchmark")
    labels = method_labels()
    with st.form("run"):
        data = st.text_input("Data: 'bundled' (scikit-image's photos) or a folder/archive path", "bundled")
        split = st.selectbox("Split", ["val", "all", "train"])
        size = st.number_input("Resize images to (px, 0 = keep)", 0, 2048, 64, step=16)
        mask_name = st.selectbox("Mask family", [*MASK_MENU, CUSTOM_MASKS])
        mask_path = st.text_input("Path for Quick Draw strokes or a mask folder; or the spec for "
                                  f"'{CUSTOM_MASKS}': {' | '.join(MASK_FAMILIES)}", "")
        ratio = st.slider("Hole-ratio range", 0.0, 1.0, (0.0, 1.0), 0.01)
        methods = st.multiselect("Methods", labels, default=[m for m in ("telea", "biharmonic") if m in labels])
        n = st.number_input("Images", 1, 100000, 8)
        seed = st.number_input("Seed", 0, 2**31 - 1, 0)
        samples = st.number_input("Samples per image (stochastic methods: the most likely is scored, plus the "
                                  "mean over samples and their diversity)", 1, 64, 1)
        perceptual = st.multiselect("Perceptual metrics (LPIPS per image, FID per method at the end)",
                                    ["lpips", "lpips_vgg", "fid"], default=["lpips"], format_func=LABELS.get)
        name = st.text_input("Results name", "benchmark")
        submitted = st.form_submit_button("Run")
    if not submitted:
        return
    if not methods:
        st.warning("Choose at least one method.")
        return
    family = MASK_MENU.get(mask_name, mask_path.strip())
    try:
        if data != "bundled":
            data = allowed_path(data)
        if family in PATH_FAMILIES:
            if not mask_path:
                st.warning("This mask family needs a path.")
                return
            family = f"{family}:{allowed_path(mask_path)}"
        else:
            make_mask_generator(family)  # a typed spec is checked before the run starts
    except InpaintError as exc:
        st.error(str(exc))
        return
    spec = BenchmarkSpec(methods, data, split, int(size) or None, family,
                         None if ratio == (0.0, 1.0) else (float(ratio[0]), float(ratio[1])), int(n), int(seed),
                         samples=int(samples), metrics=tuple(perceptual))
    out = results_dir() / f"{Path(name).name}.csv"
    total = len(methods) * int(n)
    bar = st.progress(0.0, text="starting")
    done = {"count": 0}

    def on_row(row: dict) -> None:
        done["count"] += 1
        bar.progress(min(done["count"] / total, 1.0), text=f"{done['count']} new results ({row['method']}, image {row['index']})")

    try:
        df = run_benchmark(spec, out, progress=False, on_row=on_row)
    except InpaintError as exc:
        st.error(str(exc))
        return
    bar.progress(1.0, text=f"done: {len(df)} results in {out.name}")
    st.success(f"Saved {len(df)} rows to {out}. Open Compare to see them.")
    show_summary(df, read_fid(out))


def present_metrics(df: pd.DataFrame) -> list[str]:
    """The summary metrics these results have, perceptual ones first (they rank photos best)."""
    order = ("lpips", "lpips_vgg", *[m for m in SUMMARY_METRICS if not m.startswith("lpips")])
    return [m for m in order if m in df.columns and df[m].notna().any()]


def summary_table(df: pd.DataFrame, fid: dict | None = None, rank_by: str | None = None) -> pd.DataFrame:
    """One row per method: 'mean ± std' for every metric (numeric means kept for sorting), FID where the
    run computed it, sorted best first by ``rank_by``."""
    table = summarize(df, fid)
    out = pd.DataFrame(index=table.index)
    out["images"] = table[("n", "images")]
    if ("fid", "value") in table.columns:
        out[LABELS["fid"]] = table[("fid", "value")]
        out[LABELS["fid_images"]] = table[("fid", "images")]
    for metric in [c for c in (*present_metrics(df), "log_likelihood", *SAMPLE_COLUMNS) if (c, "mean") in table.columns]:
        out[LABELS[metric]] = table[(metric, "mean")]
        out[LABELS[metric] + " ±"] = table[(metric, "std")]
    if ("peak_rss_mb", "max") in table.columns:
        out["peak memory MB"] = table[("peak_rss_mb", "max")]
    if rank_by is not None and LABELS[rank_by] in out.columns:
        out = out.sort_values(LABELS[rank_by], ascending=rank_by not in HIGHER_IS_BETTER)
    return out


def show_summary(df: pd.DataFrame, fid: dict | None = None, rank_by: str | None = None) -> None:
    st.dataframe(summary_table(df, fid, rank_by), width="stretch")


def page_leaderboard() -> None:
    """The photo leaderboard (the default view): what to use on a photo, ranked by LPIPS."""
    st.header("Photo leaderboard")
    folder = leaderboard_dir()
    try:
        summary = read_leaderboard(folder / SUMMARY)
    except InpaintError as exc:
        st.error(str(exc))
        return
    if summary is None:
        st.info(f"No leaderboard in {folder}: create it with `inpaint leaderboard --datasets PATH --out-dir {folder}`.")
        return
    st.caption(f"{summary['protocol']}. Command: `{summary['command']}`")
    table = pd.DataFrame(summary["methods"]).set_index("method")
    metrics = [m for m in ("lpips", "fid", "mse_hole_01", "l1_hole_01", "psnr_full_db", "ssim_full", "ms") if m in table]
    rank_by = st.selectbox("Rank by", metrics, format_func=LABELS.get, key="leaderboard_rank")
    table = table.sort_values(rank_by, ascending=rank_by not in HIGHER_IS_BETTER, na_position="last")
    table.insert(0, "rank", range(1, len(table) + 1))
    st.dataframe(table.rename(columns=LABELS), width="stretch")
    st.plotly_chart(px.bar(table.reset_index(), x="method", y=rank_by, title=f"{LABELS[rank_by]} per method",
                           labels={rank_by: LABELS[rank_by]}), key="leaderboard_bar")
    part = st.radio("Masks", list(PARTS), horizontal=True, key="leaderboard_part")
    cells = pd.DataFrame(summary["buckets"].get(part, []))
    bucket_metric = rank_by if rank_by in ("lpips", "mse_hole_01") else "lpips"
    if not cells.empty:
        st.plotly_chart(px.bar(cells, x="bucket", y=bucket_metric, color="method", barmode="group",
                               category_orders={"bucket": list(BUCKET_LABELS), "method": list(table.index)},
                               title=f"{LABELS[bucket_metric]} per hole-ratio bucket, {part} masks",
                               labels={bucket_metric: LABELS[bucket_metric]}), key="leaderboard_buckets")


def page_compare() -> None:
    st.header("Compare methods")
    chosen = choose_results("compare_file")
    if chosen is None:
        return
    path, df = chosen
    metrics = present_metrics(df)
    metric = st.selectbox("Metric (ranks the table and draws the charts)", metrics, format_func=LABELS.get)
    try:
        fid = read_fid(path)
    except InpaintError as exc:
        st.warning(str(exc))
        fid = {}
    show_summary(df, fid, metric)
    st.download_button("Download CSV", df.to_csv(index=False), file_name=path.name, mime="text/csv")
    means = df.groupby("method", sort=False)[metrics].agg(["mean", "std"])
    flat = pd.DataFrame({"method": means.index, "mean": means[(metric, "mean")].values, "std": means[(metric, "std")].values})
    st.plotly_chart(px.bar(flat, x="method", y="mean", error_y="std", title=f"{LABELS[metric]} per method",
                           labels={"mean": LABELS[metric]}), key="per_method")
    buckets = df.dropna(subset=["bucket"])
    if not buckets.empty:
        grouped = buckets.groupby(["bucket", "method"])[metric].mean().reset_index()
        st.plotly_chart(px.bar(grouped, x="bucket", y=metric, color="method", barmode="group",
                               category_orders={"bucket": list(BUCKET_LABELS)},
                               title=f"{LABELS[metric]} per hole-ratio bucket", labels={metric: LABELS[metric]}),
                        key="per_bucket")
    quality = df.groupby("method")[[metric, "ms"]].mean().reset_index()
    st.plotly_chart(px.scatter(quality, x="ms", y=metric, text="method", log_x=True,
                               title=f"{LABELS[metric]} against latency", labels={"ms": "ms per image", metric: LABELS[metric]}),
                    key="quality_latency")
    st.plotly_chart(px.box(df, x="method", y=metric, points="all", title=f"Per-image {LABELS[metric]}",
                           labels={metric: LABELS[metric]}), key="distribution")
    if not buckets.empty:
        st.subheader("Per hole-ratio bucket (mean, std)")
        st.dataframe(by_bucket(df), width="stretch")


def page_examples() -> None:
    st.header("Examples")
    chosen = choose_results("examples_file")
    if chosen is None:
        return
    path, df = chosen
    try:
        spec = read_spec(path)
        images = load_split(spec.data, spec.split, spec.size, crops=spec.crops)
        gen = make_mask_generator(spec.masks, spec.ratio)
    except InpaintError as exc:
        st.error(str(exc))
        return
    indices = sorted(int(i) for i in df["index"].unique())
    chosen = st.multiselect("Images (by name)", indices, default=indices[:1], format_func=lambda i: images.names[i])
    all_methods = list(df["method"].unique())
    methods = st.multiselect("Methods", all_methods, default=all_methods[:4])
    per_row = st.slider("Images per row (fewer = larger)", 1, 4, 3)
    for index in chosen:
        truth = images[int(index)]
        mask = image_mask(gen, truth.shape[:2], spec.seed, int(index))
        masked = truth.copy()
        masked[mask] = 255
        st.subheader(f"{images.names[int(index)]} (hole {mask.mean():.1%})")
        cells = [c for _ in range(-(-(2 + len(methods)) // per_row)) for c in st.columns(per_row)]
        cells[0].image(truth, caption="original")
        cells[1].image(masked, caption="masked")
        for col, label in zip(cells[2:], methods):
            row = df[(df["method"] == label) & (df["index"] == index)]
            try:
                result = cached_method(label).inpaint(truth, mask, seed=spec.seed + int(index))
            except InpaintError as exc:
                col.warning(f"{label}: {exc}")
                continue
            caption = label
            if not row.empty:
                r = row.iloc[0]
                caption += f"\nL1 {r['l1_hole_01']:.4f} · PSNR {r['psnr_full_db']:.2f} · SSIM {r['ssim_full']:.3f}"
                if "lpips" in r and r["lpips"] == r["lpips"]:
                    caption += f" · LPIPS {r['lpips']:.4f}"
            col.image(result.image, caption=caption)


def page_zoo() -> None:
    st.header("Model zoo")
    entries = load_catalog()
    if not entries:
        st.info("The zoo catalog is empty.")
        return
    rows = []
    for e in entries:
        folder = zoo_dir() / e.id
        meta = read_config(folder).get(META_KEY, {}) if (folder / "config.json").exists() else {}
        rows.append({"id": e.id, "method": e.method, "data": e.dataset, "resolution": e.resolution,
                     "MB": round(sum(f["size"] for f in e.files.values()) / 2**20, 2),
                     "training minutes": meta.get("training", {}).get("minutes"), "where": locate(e)[0],
                     **{LABELS.get(k, k): v for k, v in e.metrics.items()}})
    st.dataframe(pd.DataFrame(rows), width="stretch")
    for e in entries:
        card = zoo_dir() / e.id / "README.md"
        with st.expander(f"{e.id}: model card"):
            st.markdown(ModelCard.load(card).text if card.exists() else "(card not available locally)")


def main() -> None:
    st.set_page_config(page_title="inpaint-zoo dashboard", layout="wide")
    st.title("inpaint-zoo: compare inpainting methods")
    page = st.sidebar.radio("Page", PAGES, key="page")
    {"Leaderboard": page_leaderboard, "Run": page_run, "Compare": page_compare, "Examples": page_examples,
     "Zoo": page_zoo}[page]()


main()
