"""The fuzz suite (tests/fuzz_cases.py) in a subprocess: no traceback, no wrong result, within budgets."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_fuzzed_inputs_are_results_or_clean_errors():
    """A few hundred generated cases against the API and the CLI (INPAINT_FUZZ_FULL=1: the wide run)."""
    run = subprocess.run([sys.executable, "-m", "tests.fuzz_cases"], cwd=ROOT, capture_output=True, text=True,
                         timeout=1800, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["cases"] >= 300 and report["failures"] == [], report["failures"][:5]
    assert report["over_time_budget"] == [] and not report["over_memory_budget"], report
    for surface in ("api", "cli", "app"):  # both outcomes occur: the suite is neither all errors nor all results
        assert report["counts"][surface].get("correct") and report["counts"][surface].get("clean error")


@pytest.mark.parametrize("stream", ["api", "cli"])
def test_known_hostile_inputs_are_named_in_the_error(stream, tmp_path):
    from tests import fuzz_cases

    cases = dict(fuzz_cases.image_cases(False))
    messages = {"bomb-30000x30000": "INPAINT_MAX_PIXELS", "bomb-40000000x1": "INPAINT_MAX_SIDE",
                "bomb-text-chunk": "damaged or truncated", "tiff-float-nan": "NaN"}
    mask = dict(fuzz_cases.mask_cases((48, 56), False))["mask-png"]
    for name, needle in messages.items():
        if stream == "api":
            outcome, detail = fuzz_cases._classify(lambda: fuzz_cases_method().inpaint(cases[name], mask), lambda r: "")
        else:
            (tmp_path / "i.png").write_bytes(cases[name])
            (tmp_path / "m.png").write_bytes(mask)
            outcome, detail = fuzz_cases.run_cli(["run", "--image", str(tmp_path / "i.png"), "--mask",
                                                  str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png")])
        assert outcome == fuzz_cases.Outcome.CLEAN and needle in detail, (name, outcome, detail)


def fuzz_cases_method():
    from inpaint_core import load_method

    return load_method("telea")
