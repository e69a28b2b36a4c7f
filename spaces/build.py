"""Assemble a ready-to-upload Space folder: ``python spaces/build.py gradio-app OUT``.

Copies the Space's own files, the package, the demos, the zoo catalog (weights come from the Hub
repos the catalog names) and the photo leaderboard (the dashboard's default view, the app's default
method), and writes the ``models:`` list of the front matter from the catalog.
Upload with ``hf upload USER/SPACE OUT --repo-type space``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def catalog_repos() -> list[str]:
    catalog = json.loads((ROOT / "zoo" / "catalog.json").read_text())
    return sorted({entry["repo_id"] for entry in catalog["checkpoints"]})


def with_models(readme: str, repos: list[str]) -> str:
    """Replace the front matter's ``models:`` list by ``repos``."""
    block = "models:\n" + "".join(f"- {r}\n" for r in repos)
    return re.sub(r"models:\n(?:- .*\n)*", block, readme, count=1)


def build(space: str, out: Path) -> Path:
    source = ROOT / "spaces" / space
    if not source.is_dir():
        raise SystemExit(f"no Space named {space!r} in spaces/")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source, out)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "inpaint_core", out / "inpaint_core", ignore=ignore)
    shutil.copytree(ROOT / "demos", out / "demos", ignore=ignore)
    (out / "zoo").mkdir()
    shutil.copy(ROOT / "zoo" / "catalog.json", out / "zoo" / "catalog.json")
    for entry in json.loads((ROOT / "zoo" / "catalog.json").read_text())["checkpoints"]:
        (out / "zoo" / entry["id"]).mkdir()  # cards and configs only: the dashboard's Zoo page reads them
        for name in ("README.md", "config.json"):
            if (ROOT / "zoo" / entry["id"] / name).exists():
                shutil.copy(ROOT / "zoo" / entry["id"] / name, out / "zoo" / entry["id"] / name)
    board = ROOT / "docs" / "results" / "photo"
    if board.is_dir():
        (out / "docs" / "results" / "photo").mkdir(parents=True)
        for path in board.glob("*"):
            if path.suffix in (".json", ".md", ".csv"):
                shutil.copy(path, out / "docs" / "results" / "photo" / path.name)
    readme = out / "README.md"
    if "models:" in readme.read_text():
        readme.write_text(with_models(readme.read_text(), catalog_repos()))
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    print(build(sys.argv[1], Path(sys.argv[2])))
