"""The Hugging Face Space folders: front matter, entry point, and the build that assembles them."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def front_matter(path: Path) -> dict:
    text = path.read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_gradio_space_front_matter():
    meta = front_matter(ROOT / "spaces" / "gradio-app" / "README.md")
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == "6.31.0" and meta["python_version"] == "3.11"
    assert (ROOT / "spaces" / "gradio-app" / meta["app_file"]).is_file()
    sys.path.insert(0, str(ROOT / "spaces"))
    from build import catalog_repos

    assert set(meta["models"]) <= set(catalog_repos()) and meta["models"]
    reqs = (ROOT / "spaces" / "gradio-app" / "requirements.txt").read_text()
    assert "gradio==6.31.0" in reqs and "torch==2.13.0" in reqs


def test_gradio_space_entry_imports():
    spec = importlib.util.spec_from_file_location("space_app", ROOT / "spaces" / "gradio-app" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.demo.title == "inpaint-zoo"


def test_build_assembles_a_self_contained_space(tmp_path):
    out = tmp_path / "space"
    subprocess.run([sys.executable, str(ROOT / "spaces" / "build.py"), "gradio-app", str(out)], check=True)
    assert (out / "inpaint_core" / "__init__.py").is_file() and (out / "demos" / "gradio_app.py").is_file()
    assert (out / "zoo" / "catalog.json").is_file() and not list((out / "zoo").glob("*/model.safetensors"))
    # the photo leaderboard travels along: the dashboard's default view and the app's default method
    assert (out / "docs" / "results" / "photo" / "leaderboard.json").is_file()
    assert not list((out / "docs").rglob("*.npz"))
    sys.path.insert(0, str(ROOT / "spaces"))
    from build import catalog_repos

    assert front_matter(out / "README.md")["models"] == catalog_repos()


def test_dashboard_docker_space():
    space = ROOT / "spaces" / "dashboard"
    meta = front_matter(space / "README.md")
    assert meta["sdk"] == "docker" and meta["app_port"] == 8501
    dockerfile = (space / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD"))
    entry = next(part.strip('",') for part in cmd.split() if part.strip('",').endswith(".py"))
    assert (ROOT / entry).is_file()  # build.py copies demos/ next to the Dockerfile
    assert "0.0.0.0" in cmd and "8501" in cmd and "HEALTHCHECK" in dockerfile and "_stcore/health" in dockerfile
    assert "streamlit" in (space / "requirements.txt").read_text()
