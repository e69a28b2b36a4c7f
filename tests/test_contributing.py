"""docs/contributing.md is a walkthrough this test follows: its Python blocks run in order (a toy
method and its recipe registered, trained for a few steps, published to a private zoo, loaded, listed)."""

import re
from pathlib import Path

import pytest

from inpaint_core import recipes
from inpaint_core.methods import registry

DOC = Path(__file__).resolve().parents[1] / "docs" / "contributing.md"


@pytest.fixture
def private_zoo(tmp_path, monkeypatch):
    (tmp_path / "zoo").mkdir()
    monkeypatch.setenv("INPAINT_ZOO_DIR", str(tmp_path / "zoo"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # private array cache
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    registry.METHODS.classes.pop("tiny", None)
    recipes.RECIPES.classes.pop("tiny", None)


def test_the_add_a_method_walkthrough_runs(private_zoo):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 4
    namespace: dict = {"__name__": "walkthrough"}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 - the project's own documentation
    assert (private_zoo / "zoo" / "tiny-photos-32" / "model.safetensors").is_file()
