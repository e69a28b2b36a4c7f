"""Benchmark sweeps on a local Ray cluster (2 CPUs) give the local engine's rows, and a worker killed
with SIGKILL mid-run loses no row."""

from __future__ import annotations

import os
import signal
import tempfile

import pandas as pd
import pytest

from inpaint_core.benchmark import BenchmarkSpec, run_benchmark
from inpaint_core.ray_engine import RayEngine

from .helpers import make_images

METHODS = ["telea", "biharmonic", "pconv@pconv-cifar10-32"]
TIMING = ["ms", "peak_rss_mb"]


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    home = os.environ.get("HOME")
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths have a length limit
    os.environ["HOME"] = temp  # Ray writes its token under ~/.ray
    yield RayEngine(workers=2, temp_dir=temp)
    ray.shutdown()
    if home is not None:
        os.environ["HOME"] = home


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=TIMING).sort_values(["method", "index"]).reset_index(drop=True)


def test_ray_rows_equal_local_rows_and_a_killed_worker_loses_none(ray_cluster, tmp_path):
    data = make_images(tmp_path / "data", n_per_class=24, size=48)  # 44 training images
    spec = BenchmarkSpec(METHODS, data=str(data), split="train", masks="blobs", n=40)
    local = run_benchmark(spec, tmp_path / "local.csv", progress=False)
    assert len(local) == 120
    label, seen = "pconv@pconv-cifar10-32", []

    def kill_after_five(row):  # SIGKILL a worker after 5 pconv rows: Ray restarts it and retries its rows
        if row["method"] == label:
            seen.append(row["index"])
            if len(seen) == 5:
                os.kill(ray_cluster.pids[0], signal.SIGKILL)

    out = tmp_path / "ray.csv"
    remote = run_benchmark(spec, out, progress=False, engine=ray_cluster, on_row=kill_after_five)
    assert len(seen) == 40
    assert not remote.duplicated(["method", "index"]).any()
    pd.testing.assert_frame_equal(_sorted(remote), _sorted(local))
    # resuming a finished sweep measures nothing again
    again = run_benchmark(spec, out, progress=False, engine=ray_cluster)
    pd.testing.assert_frame_equal(_sorted(again), _sorted(remote))


def test_fid_asks_for_the_local_engine(ray_cluster, tmp_path):
    from inpaint_core.errors import InpaintError

    spec = BenchmarkSpec(["telea"], data="bundled", size=32, masks="blobs", n=2, metrics=("fid",))
    with pytest.raises(InpaintError, match="local engine"):
        run_benchmark(spec, tmp_path / "fid.csv", progress=False, engine=ray_cluster)
