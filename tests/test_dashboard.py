"""The Streamlit dashboard with streamlit.testing (AppTest) and in headless Chromium."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inpaint_core.benchmark import BenchmarkSpec, run_benchmark

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "demos" / "dashboard.py")


@pytest.fixture
def results(tmp_path, monkeypatch):
    folder = tmp_path / "results"
    monkeypatch.setenv("INPAINT_RESULTS_DIR", str(folder))
    return folder


def _app():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(APP, default_timeout=180)


def _run_small(at, methods=("telea", "biharmonic"), n=3, seed=7, masks="rectangles", spec=""):
    at.run()
    at.sidebar.radio[0].set_value("Run").run()
    at.multiselect[0].set_value(list(methods))
    at.selectbox[1].set_value(masks)
    at.text_input[1].set_value(spec)
    at.number_input[1].set_value(n)
    at.number_input[2].set_value(seed)
    at.button[0].click().run()
    assert not at.exception, at.exception


def test_run_page_matches_the_harness(results, tmp_path):
    at = _app()
    _run_small(at)
    shown = at.dataframe[0].value
    direct = run_benchmark(BenchmarkSpec(["telea", "biharmonic"], "bundled", "val", 64, "rect", None, 3, 7),
                           tmp_path / "direct.csv", progress=False)
    for method in ("telea", "biharmonic"):
        rows = direct[direct["method"] == method]
        for column, label in (("l1_hole_01", "L1 in hole [0,1]"), ("psnr_full_db", "PSNR dB"), ("ssim_full", "SSIM"),
                              ("maem_hole_pct", "MAEM %"), ("mse_hole_01", "MSE in hole [0,1]")):
            assert shown.loc[method, label] == pytest.approx(rows[column].mean(), rel=1e-12)
    saved = pd.read_csv(results / "benchmark.csv")
    assert len(saved) == 6 and (results / "benchmark.csv.json").exists()


def test_the_run_page_takes_any_mask_spec_and_names_a_wrong_one(results):
    """The mask families the picker lists come from the library's one list; a typed spec (a mixture)
    runs, and a wrong one is an error naming the families before anything runs."""
    from inpaint_core.maskgen import MASK_MENU

    at = _app()
    _run_small(at, n=2, masks="any mask spec (typed below)", spec="blobs+top:0.5")
    assert json.loads((results / "benchmark.csv.json").read_text())["masks"] == "blobs+top:0.5"
    assert set(MASK_MENU) < set(at.selectbox[1].options)
    at = _app()
    _run_small(at, n=2, masks="any mask spec (typed below)", spec="blob")
    assert "Unknown mask family 'blob'" in at.error[0].value


@pytest.mark.parametrize("filled", [False, True])
def test_every_page_renders(results, filled):
    at = _app()
    if filled:
        _run_small(at, n=2)
    else:
        at.run()
    for page in ("Compare", "Examples", "Zoo", "Run", "Leaderboard"):
        at.sidebar.radio[0].set_value(page).run()
        assert not at.exception, (page, at.exception)
    at.sidebar.radio[0].set_value("Compare").run()
    if filled:
        assert len(at.dataframe) >= 1 and not at.info
    else:
        assert "No results yet" in at.info[0].value


def test_leaderboard_is_the_default_view_ranked_by_the_chosen_metric(results, tmp_path, monkeypatch):
    board = tmp_path / "board"
    board.mkdir()
    row = {"images": 200, "l1_hole_01": 0.1, "ms": 10.0, "fid_images": 200}
    methods = [{"method": "patchmatch", "lpips": 0.04, "mse_hole_01": 0.016, "psnr_full_db": 25.0, "ssim_full": 0.80,
                "fid": 20.0, **row},
               {"method": "telea", "lpips": 0.06, "mse_hole_01": 0.015, "psnr_full_db": 26.0, "ssim_full": 0.85,
                "fid": 30.0, **row}]
    buckets = {"irregular": [{"bucket": "(0.1,0.2]", "method": m["method"], "images": 50, "lpips": m["lpips"],
                              "mse_hole_01": m["mse_hole_01"]} for m in methods], "object": []}
    (board / "leaderboard.json").write_text(json.dumps({"protocol": "test protocol", "command": "inpaint leaderboard",
                                                        "ranked_by": "lpips", "methods": methods, "buckets": buckets}))
    monkeypatch.setenv("INPAINT_LEADERBOARD_DIR", str(board))
    at = _app()
    at.run()
    assert not at.exception and at.header[0].value == "Photo leaderboard"
    assert list(at.dataframe[0].value.index) == ["patchmatch", "telea"]
    at.selectbox(key="leaderboard_rank").set_value("psnr_full_db").run()
    assert list(at.dataframe[0].value.index) == ["telea", "patchmatch"]  # higher PSNR first
    monkeypatch.setenv("INPAINT_LEADERBOARD_DIR", str(tmp_path / "none"))
    at = _app()
    at.run()
    assert "No leaderboard" in at.info[0].value


def test_compare_ranks_by_lpips_with_fid_beside_it(results):
    run_benchmark(BenchmarkSpec(["mean-colour", "telea"], "bundled", "val", 64, "object", None, 3, 0,
                                metrics=("lpips", "fid")), results / "perceptual.csv", progress=False)
    at = _app()
    at.run()
    at.sidebar.radio[0].set_value("Compare").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.index) == ["telea", "mean-colour"] and (table["FID images"] == 3).all()
    assert table["LPIPS (ST, AlexNet)"].is_monotonic_increasing


def test_corrupt_results_file_is_a_message(results):
    results.mkdir(parents=True)
    (results / "broken.csv").write_bytes(b"method,index\n\x00\xff\xfe,,,\n")
    at = _app()
    at.run()
    at.sidebar.radio[0].set_value("Compare").run()
    assert not at.exception and at.error and "broken.csv" in at.error[0].value


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("INPAINT_REQUIRE_BROWSER"),
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_dashboard_in_headless_chromium(results, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.test_gradio_app import BROWSER_ARGS

    run_benchmark(BenchmarkSpec(["telea", "biharmonic", "navier-stokes"], "bundled", "val", 64, "strokes", None, 6, 0),
                  results / "bundled-strokes.csv", progress=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "INPAINT_RESULTS_DIR": str(results)}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", APP, "--server.headless", "true",
                               "--server.port", str(port), "--server.address", "127.0.0.1",
                               "--browser.gatherUsageStats", "false"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for _ in range(60):
                try:
                    page.goto(f"http://127.0.0.1:{port}/", wait_until="networkidle")
                    break
                except Exception:
                    time.sleep(1)
            page.get_by_text("Compare", exact=True).first.click()
            page.wait_for_selector(".js-plotly-plot", timeout=60000)
            page.wait_for_timeout(1500)
            assert page.locator(".js-plotly-plot").count() >= 3
            shots = Path(os.environ.get("INPAINT_SCREENSHOT_DIR", tmp_path))
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert np.isfinite(pd.read_csv(results / "bundled-strokes.csv")["psnr_full_db"]).all()


def test_run_page_reads_only_configured_data_roots(results, tmp_path, monkeypatch):
    monkeypatch.setenv("INPAINT_DATA_ROOTS", str(tmp_path / "allowed"))
    at = _app()
    at.run()
    at.sidebar.radio[0].set_value("Run").run()
    at.text_input[0].set_value("/etc")
    at.multiselect[0].set_value(["telea"])
    at.button[0].click().run()
    assert not at.exception and "outside the folders this dashboard may read" in at.error[0].value
    assert not (results / "benchmark.csv").exists()


def test_streamlit_config_listens_locally_without_usage_stats():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1" and config["browser"]["gatherUsageStats"] is False
