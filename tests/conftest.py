"""Shared fixtures. Every test runs offline, with private temp dirs for Gradio and the HF cache."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

_PRIVATE = Path(tempfile.mkdtemp(prefix="inpaint-tests-"))
atexit.register(shutil.rmtree, _PRIVATE, ignore_errors=True)  # nothing a test run writes outlives it
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["GRADIO_TEMP_DIR"] = str(_PRIVATE / "gradio")
os.environ["TMPDIR"] = str(_PRIVATE / "tmp")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HOME"] = str(_PRIVATE / "hf")
os.environ["INPAINT_CACHE_DIR"] = str(_PRIVATE / "arrays")  # decoded training arrays of test data
os.environ["INPAINT_INDEX_DIR"] = str(_PRIVATE / "indexes")  # retrieval databases: none unless a test builds one
(_PRIVATE / "tmp").mkdir(parents=True, exist_ok=True)
tempfile.tempdir = None  # re-read TMPDIR


def refuse_unpickling(load):
    """``load`` (torch.load) that fails unless called with weights_only=True: nothing may be unpickled."""

    @functools.wraps(load)
    def guarded(*args, **kwargs):
        if kwargs.get("weights_only") is not True:
            raise AssertionError("torch.load was called without weights_only=True: nothing may be unpickled")
        return load(*args, **kwargs)

    return guarded


def _guard_torch_load() -> None:
    import torch

    torch.load = refuse_unpickling(torch.load)


_guard_torch_load()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def photo() -> np.ndarray:
    """A real photo that scikit-image ships, cropped small for speed."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[100:228, 150:278])
