"""The `inpaint` command end to end: run (file, folder, bundled sample), methods, benchmark (resume)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from inpaint_core import benchmark
from inpaint_core.cli import main
from inpaint_core.images import load_image, save_image

from .helpers import make_images


def _mask_file(path, shape, box=(10, 20, 30, 40)):
    m = np.zeros(shape, np.uint8)
    m[box[0] : box[1], box[2] : box[3]] = 255
    Image.fromarray(m).save(path)
    return m > 0


def test_run_single_image(tmp_path, photo, capsys):
    save_image(tmp_path / "in.jpg", photo)
    mask = _mask_file(tmp_path / "m.png", photo.shape[:2])
    assert main(["run", "--method", "telea", "--image", str(tmp_path / "in.jpg"), "--mask", str(tmp_path / "m.png"),
                 "-o", str(tmp_path / "out.png"), "--option", "radius=5"]) == 0
    out = load_image(tmp_path / "out.png").rgb
    original = load_image(tmp_path / "in.jpg").rgb
    np.testing.assert_array_equal(out[~mask], original[~mask])
    assert not np.array_equal(out[mask], original[mask])
    assert "telea:" in capsys.readouterr().out


def test_run_bundled_sample_via_console_script(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "inpaint_core.cli", "run", "-o", str(tmp_path / "sample" / "out.png")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "bundled sample" in proc.stdout and (tmp_path / "sample" / "out.png").exists()


def test_run_folder_batch_reports_missing_masks(tmp_path, capsys):
    images = make_images(tmp_path / "imgs", n_per_class=2, size=64, classes=("x",)) / "x"
    masks = tmp_path / "masks"
    masks.mkdir()
    _mask_file(masks / "0000.png", (64, 64))
    code = main(["run", "--method", "navier-stokes", "--image", str(images), "--mask", str(masks), "-o", str(tmp_path / "o")])
    assert code == 1 and (tmp_path / "o" / "0000.png").exists() and not (tmp_path / "o" / "0001.png").exists()
    assert "no mask named 0001.png" in capsys.readouterr().out


def test_bad_input_is_a_message_not_a_traceback(tmp_path, photo, capsys):
    save_image(tmp_path / "in.png", photo)
    _mask_file(tmp_path / "m.png", (10, 10))
    code = main(["run", "--image", str(tmp_path / "in.png"), "--mask", str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: The mask is 10x10") and "Traceback" not in err


def test_methods_table(capsys):
    assert main(["methods"]) == 0
    out = capsys.readouterr().out
    assert "telea" in out and "biharmonic" in out and "centre 8x8" in out
    matrix_normal = next(line for line in out.splitlines() if line.startswith("mle-matrix-normal"))
    assert " 64/1024 " in matrix_normal and "mn-sunhays-1024 (photos)" in matrix_normal  # per checkpoint


def test_benchmark_end_to_end_and_resume(tmp_path, capsys, monkeypatch):
    data = make_images(tmp_path / "d", n_per_class=3, size=32)
    out = tmp_path / "r.csv"
    args = ["benchmark", "--methods", "telea,biharmonic", "--data", str(data), "--split", "all", "--masks", "rect",
            "--seed", "5", "--out", str(out), "--quiet", "--markdown", str(tmp_path / "t.md")]
    assert main(args + ["--n", "2"]) == 0
    first = pd.read_csv(out)
    assert len(first) == 4 and set(first["method"]) == {"telea", "biharmonic"}
    calls = []
    real = benchmark.evaluate_method

    def counting(*args, **options):
        rows = list(real(*args, **options))
        calls.append(len(rows))
        return iter(rows)

    monkeypatch.setattr(benchmark, "evaluate_method", counting)
    assert main(args + ["--n", "5", "--against", "navier-stokes"]) == 2 and calls == []  # refused before running
    assert "--against 'navier-stokes' is not one of --methods" in capsys.readouterr().err
    assert main(args + ["--n", "5", "--against", "telea"]) == 0
    assert calls == [3, 3]  # only the images not measured before
    second = pd.read_csv(out)
    assert len(second) == 10
    pd.testing.assert_frame_equal(second.iloc[:4].reset_index(drop=True), first, check_dtype=False)
    # same seed, same masks: the hole ratio of image i is the same for both methods
    pivot = second.pivot(index="index", columns="method", values="hole_ratio")
    np.testing.assert_array_equal(pivot["telea"], pivot["biharmonic"])
    printed = capsys.readouterr().out
    assert "mse_hole_01" in printed and "per hole-ratio bucket" in printed
    table = (tmp_path / "t.md").read_text()
    assert table.startswith("| method |") and "| mse_hole_01 against telea | images |" in table
    assert "paired per image, mse_hole_01 against telea" in printed and "| biharmonic | 5 |" in table
    other = [a if a != "5" else "6" for a in args]  # another seed into the same results file
    assert main(other) == 2


def test_benchmark_on_full_resolution_crops_and_older_result_files(tmp_path):
    import json

    data = make_images(tmp_path / "d", n_per_class=2, size=32)
    out = tmp_path / "c.csv"
    args = ["benchmark", "--methods", "telea", "--data", str(data), "--split", "all", "--size", "8", "--crops", "3",
            "--masks", "centre", "--out", str(out), "--quiet"]
    assert main(args) == 0
    rows = pd.read_csv(out)
    assert len(rows) == 12 and rows["image"].iloc[4] == "a/0001.png#1"
    assert json.loads(out.with_name("c.csv.json").read_text())["crops"] == 3
    # a results file written before --crops existed (no "crops" in its spec) resumes as a run without crops
    old, no_crops = tmp_path / "old.csv", [a for a in args if a not in ("--crops", "3")]
    no_crops[no_crops.index(str(out))] = str(old)
    assert main(no_crops) == 0
    spec = json.loads(old.with_name("old.csv.json").read_text())
    del spec["crops"]
    old.with_name("old.csv.json").write_text(json.dumps(spec))
    assert main(no_crops) == 0 and len(pd.read_csv(old)) == 4


def test_interrupted_benchmark_keeps_finished_rows(tmp_path, monkeypatch):
    data = make_images(tmp_path / "d", n_per_class=3, size=32)
    spec = benchmark.BenchmarkSpec(["telea"], str(data), "all", None, "centre", None, 6, 0)
    real = benchmark.image_metrics
    count = {"n": 0}

    def flaky(*a, **k):
        count["n"] += 1
        if count["n"] == 4:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(benchmark, "image_metrics", flaky)
    with pytest.raises(KeyboardInterrupt):
        benchmark.run_benchmark(spec, tmp_path / "r.csv", progress=False, flush_seconds=1e9)
    assert len(pd.read_csv(tmp_path / "r.csv")) == 3 and not (tmp_path / "r.csv.tmp").exists()


def test_corrupt_results_file_is_reported(tmp_path):
    (tmp_path / "r.csv").write_bytes(b"\x00\xff garbage")
    with pytest.raises(Exception, match="damaged|lacks columns"):
        benchmark.read_results(tmp_path / "r.csv")


def test_samples_grid_from_a_distribution_checkpoint(tmp_path, monkeypatch, capsys):
    import torch

    from inpaint_core import zoo
    from inpaint_core.checkpoints import save_network, write_card
    from inpaint_core.methods.mle_normal import NormalImage

    monkeypatch.setenv("INPAINT_ZOO_DIR", str(tmp_path / "zoo"))
    rng = np.random.default_rng(0)
    imgs = torch.from_numpy(rng.integers(0, 256, (50, 8, 8, 3), dtype=np.uint8))
    folder = save_network(NormalImage.fit(imgs, size=8, rank=16), tmp_path / "zoo" / "n8", {"method": "mle-normal"})
    write_card(folder, "n8")
    zoo.register(folder, "mle-normal", "noise", 8, {})
    assert main(["samples", "n8", "-n", "5", "-o", str(tmp_path / "grid.png")]) == 0
    grid = load_image(tmp_path / "grid.png").rgb
    assert grid.shape == (2 * (8 + 2) + 2, 3 * (8 + 2) + 2, 3)  # 5 tiles of 8 px: 2 rows x 3 columns, 2 px gaps
    assert main(["samples", "nope", "-o", str(tmp_path / "x.png")]) == 2


def test_figure_shows_original_masked_and_each_method(tmp_path):
    from inpaint_core import load_method
    from inpaint_core.maskgen import centre_mask

    data = make_images(tmp_path / "d", n_per_class=20, size=16)
    out = tmp_path / "fig.png"
    assert main(["figure", "--methods", "telea,biharmonic", "--data", str(data), "--masks", "centre",
                 "-n", "2", "--scale", "2", "-o", str(out)]) == 0
    grid = load_image(out).rgb
    assert grid.shape == (2 * (32 + 2) + 2, 4 * (32 + 2) + 2, 3)  # 2 rows; original, masked, 2 methods

    def tile(row, col):
        top, left = 2 + row * 34, 2 + col * 34
        return grid[top : top + 32 : 2, left : left + 32 : 2]

    truth = load_image(data / "a" / "0018.png").rgb  # first validation image (last 10% of class a)
    mask = centre_mask(16, 16)
    assert np.array_equal(tile(0, 0), truth)
    assert (tile(0, 1)[mask] == 255).all() and np.array_equal(tile(0, 1)[~mask], truth[~mask])
    assert np.array_equal(tile(0, 2), load_method("telea").inpaint(truth, mask, seed=0).image)


def test_benchmark_of_a_checkpoint_reports_its_training_minutes(tmp_path):
    from inpaint_core.checkpoints import save_network
    from inpaint_core.methods.context_encoder import ContextEncoderNet

    save_network(ContextEncoderNet(width=8, bottleneck=16), tmp_path / "ce", {"method": "l2-context-encoder",
                                                                            "training": {"minutes": 12.5}})
    data = make_images(tmp_path / "d", n_per_class=2, size=32)
    md = tmp_path / "t.md"
    assert main(["benchmark", "--methods", f"telea,l2-context-encoder@{tmp_path / 'ce'}", "--data", str(data),
                 "--split", "all", "--masks", "centre", "--out", str(tmp_path / "r.csv"), "--quiet",
                 "--markdown", str(md)]) == 0
    rows = pd.read_csv(tmp_path / "r.csv")
    assert rows.loc[rows["method"] == "telea", "train_min"].isna().all()
    assert (rows.loc[rows["method"] != "telea", "train_min"] == 12.5).all()
    summary, *per_bucket = md.read_text().strip().split("\n\n")
    header, _, *lines = (line.split(" | ") for line in summary.splitlines())
    column = header.index("train_min")
    assert {line[0]: line[column] for line in lines} == {"| telea": "-", f"| l2-context-encoder@{tmp_path / 'ce'}": "12.5"}
    # then the paper's Table 1 layout: one table per metric, a column per hole-ratio bucket
    l1 = next(t for t in per_bucket if t.startswith("| l1_full_01 (%) |")).splitlines()
    telea = rows[rows["method"] == "telea"]
    bucket = l1[0].split(" | ")[1].rstrip(" |")
    assert l1[2].startswith(f"| telea | {100 * telea['l1_full_01'].mean():.3g} ± ") and bucket == telea["bucket"].iloc[0]


def test_benchmark_with_samples_scores_the_most_likely_and_reports_diversity(tmp_path):
    from inpaint_core.checkpoints import save_network
    from inpaint_core.methods.pixel_constrained_cnn import PixelConstrainedNet

    torch.manual_seed(0)
    net = PixelConstrainedNet(size=16, levels=4, hidden=6, layers=2, cond_width=4, dilations=[1, 2])
    save_network(net, tmp_path / "pc", {"method": "pixel-constrained-cnn"})
    data = make_images(tmp_path / "d", n_per_class=1, size=16)
    out = tmp_path / "s.csv"
    assert main(["benchmark", "--methods", f"telea,pixel-constrained-cnn@{tmp_path / 'pc'}", "--data", str(data),
                 "--split", "all", "--masks", "blobs", "--samples", "3", "--out", str(out), "--quiet"]) == 0
    rows = pd.read_csv(out)
    stochastic = rows[rows["method"] != "telea"]
    assert rows.loc[rows["method"] == "telea", "diversity_hole"].isna().all()  # one deterministic fill
    assert (stochastic["samples"] == 3).all() and (stochastic["diversity_hole"] > 0).all()
    # the plain columns score the most likely sample, the _samples_mean columns all three
    assert (stochastic["mse_hole_01"] != stochastic["mse_hole_01_samples_mean"]).any()


def test_sample_study_ranks_samples_and_draws_grids(tmp_path, capsys):
    import json

    from inpaint_core.checkpoints import save_network
    from inpaint_core.methods.pixel_constrained_cnn import PixelConstrainedNet

    torch.manual_seed(0)
    net = PixelConstrainedNet(size=16, levels=4, hidden=6, layers=2, cond_width=4, dilations=[1, 2])
    save_network(net, tmp_path / "pc", {"method": "pixel-constrained-cnn"})
    data = make_images(tmp_path / "d", n_per_class=2, size=16)
    out, grid, prog = tmp_path / "s.csv", tmp_path / "g.png", tmp_path / "p.png"
    assert main(["sample-study", "--method", f"pixel-constrained-cnn@{tmp_path / 'pc'}", "--data", str(data),
                 "--split", "all", "--masks", "top:0.5", "-n", "3", "--samples", "4", "--out", str(out),
                 "--grid", str(grid), "--grid-rows", "2", "--progression", str(prog), "--frames", "3",
                 "--scale", "1", "--quiet"]) == 0
    rows = pd.read_csv(out)
    assert len(rows) == 12 and (rows.groupby("index")["rank"].apply(list) == [[0, 1, 2, 3]] * 3).all()
    for _, group in rows.groupby("index"):
        assert group["log_likelihood"].is_monotonic_decreasing
    summary = json.loads(out.with_suffix(".json").read_text())
    assert -1 <= summary["spearman_loglik_vs_mse_mean"] <= 1 and summary["hole_ratio"] == 0.5
    assert summary["diversity_hole"] > 0 and summary["ms_per_image"] > 0
    assert load_image(grid).rgb.shape == (2 * 18 + 2, 6 * 18 + 2, 3)  # masked, 4 samples, original
    assert load_image(prog).rgb.shape == (2 * 18 + 2, 5 * 18 + 2, 3)  # masked, 3 maps, the sample
    assert main(["sample-study", "--method", "telea", "--data", str(data), "--split", "all", "--quiet"]) == 2
    assert "does not sample with likelihoods" in capsys.readouterr().err


def test_paired_comparison_with_a_baseline_image_by_image():
    from inpaint_core import InpaintError
    from inpaint_core.benchmark import paired_against

    base = np.array([0.01, 0.02, 0.04, 0.03])
    rows = [("base", base), ("half", base / 2), ("mixed", base * [0.5, 0.5, 2.0, 1.0])]
    df = pd.DataFrame([{"method": m, "index": i, "mse_hole_01": v} for m, values in rows for i, v in enumerate(values)])
    table = paired_against(df, "base")
    half, mixed = table.loc["half"], table.loc["mixed"]
    assert (half.images, half.lower_pct, half.ci_low_pct, half.ci_high_pct, half.wins_pct) == (4, 50, 50, 50, 100)
    assert mixed.lower_pct == pytest.approx(100 * (1 - (0.005 + 0.01 + 0.08 + 0.03) / 0.1))  # -25%: worse on average
    assert mixed.wins_pct == 50 and mixed.ci_low_pct < mixed.lower_pct < mixed.ci_high_pct
    with pytest.raises(InpaintError, match="baseline 'telea'"):
        paired_against(df, "telea")


def test_damaged_results_rows_and_sidecar_are_measured_again(tmp_path):
    data = make_images(tmp_path / "d", n_per_class=3, size=32)
    spec = benchmark.BenchmarkSpec(["telea"], str(data), "all", None, "centre", None, 6, 0)
    out = tmp_path / "r.csv"
    full = benchmark.run_benchmark(spec, out, progress=False)
    text = out.read_text()
    out.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 20])  # the last row cut mid-way
    Path(str(out) + ".json").write_text('{"methods": ["tel')  # the sidecar cut mid-write
    again = benchmark.run_benchmark(spec, out, progress=False)
    assert len(again) == 6 and sorted(again["index"]) == list(range(6)) and again["ms"].notna().all()
    pd.testing.assert_series_equal(again.sort_values("index")["mse_hole_01"].reset_index(drop=True),
                                   full["mse_hole_01"].reset_index(drop=True))
    assert json.loads(Path(str(out) + ".json").read_text())["methods"] == ["telea"]


def test_run_refuses_empty_paths_and_unwritable_outputs(tmp_path, photo, capsys):
    save_image(tmp_path / "in.png", photo)
    _mask_file(tmp_path / "m.png", photo.shape[:2])
    assert main(["run", "--image", "", "-o", str(tmp_path / "o.png")]) == 2
    assert "need a path" in capsys.readouterr().err
    for target in (tmp_path / "o.xyz", tmp_path / ("x" * 300 + ".png")):
        code = main(["run", "--image", str(tmp_path / "in.png"), "--mask", str(tmp_path / "m.png"), "-o", str(target)])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: Cannot write") and "Traceback" not in err


def test_results_are_appended_and_a_row_cut_by_a_kill_is_measured_again(tmp_path):
    data = make_images(tmp_path / "d", n_per_class=3, size=32)
    out = tmp_path / "r.csv"
    spec = benchmark.BenchmarkSpec(["telea"], str(data), "all", None, "centre", None, 3, 0)
    benchmark.run_benchmark(spec, out, progress=False)
    first = out.read_bytes()
    more = benchmark.BenchmarkSpec(["telea", "biharmonic"], str(data), "all", None, "centre", None, 3, 0)
    benchmark.run_benchmark(more, out, progress=False)
    grown = out.read_bytes()
    assert grown.startswith(first) and len(grown) > len(first)  # appended, not rewritten
    out.write_bytes(grown[:-7])  # a kill in the middle of the last line
    again = benchmark.run_benchmark(more, out, progress=False)
    assert len(again) == 6 and again["peak_rss_mb"].notna().all() and out.read_bytes().endswith(b"\n")
    assert sorted(again[again["method"] == "biharmonic"]["index"]) == [0, 1, 2]


def test_results_file_appends_instead_of_rewriting(tmp_path, monkeypatch):
    """A whole-file rewrite per flush made a long sweep quadratic; now only a new column (or rows to
    drop) rewrites the file. The time per row is measured in benchmarks/results_writing.py."""
    rewrites = []
    real = benchmark.write_atomic
    monkeypatch.setattr(benchmark, "write_atomic", lambda df, path: (rewrites.append(len(df)), real(df, path)))
    row = {"method": "m", "index": 0, "image": "x.png", **{c: 0.5 for c in benchmark.METRIC_COLUMNS}, "ms": 1.0}
    results = benchmark.ResultsFile(tmp_path / "r.csv", pd.DataFrame())
    for _ in range(20):
        results.add([row] * 50)
        results.flush()
    results.add([{**row, "lpips": 0.1}])  # a new column: one rewrite, then appends again
    results.flush()
    results.add([row])
    results.flush()
    assert rewrites == [50, 1001]
    df = pd.read_csv(tmp_path / "r.csv")
    assert len(df) == 1002 and df["lpips"].notna().sum() == 1
