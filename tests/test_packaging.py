"""The package as others install it: one dependency list, and a built wheel that works outside the
repository (its own catalog, checkpoints from the Hugging Face cache, the offline message without one)."""

import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from inpaint_core import zoo

from .test_zoo import _fake_hf_cache

ROOT = Path(__file__).resolve().parents[1]


def _requirement_names(lines: list[str]) -> dict[str, str]:
    """name -> pin ('' when unpinned), names normalised as pip does."""
    out = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, pin = re.split(r"(==)", line, maxsplit=1) if "==" in line else (line, "", "")
            out[re.sub(r"[-_.]+", "-", name.strip().lower())] = pin.strip()
    return out


def test_requirements_txt_pins_exactly_the_dependencies_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    listed = _requirement_names((ROOT / "requirements.txt").read_text().splitlines())
    assert _requirement_names(declared) == listed
    assert listed["torch"] == "2.13.0"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel built from a copy of the sources (a build leaves a build/ folder where it runs)."""
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT / "inpaint_core", src / "inpaint_core", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (src / "zoo").mkdir()
    for name in ("pyproject.toml", "README.md", "zoo/catalog.json"):
        shutil.copy(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(src)], check=True, capture_output=True)
    return next(out.glob("inpaint_zoo-*.whl"))


def test_the_wheel_carries_the_catalog_and_no_checkpoints(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "inpaint_core/catalog.json" in names and "inpaint_core/methods/lama.py" in names
    assert not any(n.endswith(".safetensors") for n in names)
    catalog = zipfile.ZipFile(wheel).read("inpaint_core/catalog.json")
    assert catalog == (ROOT / "zoo" / "catalog.json").read_bytes()  # the file itself, not a link


def test_a_wheel_installed_outside_the_repository_fills_with_a_learned_checkpoint(wheel, tmp_path):
    """A fresh virtual environment holding only the wheel (the dependencies come from this test's
    environment through a path entry, so nothing is downloaded); run from a folder outside the
    repository, with a Hugging Face cache that holds one checkpoint and HF_HUB_OFFLINE=1."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # a plain path: no editable finder
    cache = tmp_path / "hf-cache"
    entry = zoo.find_entry("pconv-cifar10-32")
    _fake_hf_cache(cache, entry.repo_id, ROOT / "zoo" / entry.id)
    work = tmp_path / "elsewhere"
    work.mkdir()
    script = (
        "import inpaint_core, numpy as np\n"
        "from skimage import data\n"
        "from inpaint_core import load_method\n"
        "print(inpaint_core.__file__)\n"
        "photo = data.astronaut()[:128, :128]\n"
        "hole = np.zeros(photo.shape[:2], bool); hole[40:60, 50:80] = True\n"
        "out = load_method('pconv', 'pconv-cifar10-32').inpaint(photo, hole).image\n"
        "assert (out[~hole] == photo[~hole]).all() and (out[hole] != photo[hole]).any()\n"
        "print('filled')\n"
        "load_method('glcic', 'glcic-bsds500-64')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache),
           "INPAINT_CACHE_DIR": str(tmp_path / "inpaint-cache")}
    run = subprocess.run([str(python), "-c", script], cwd=work, env=env, capture_output=True, text=True)
    lines = run.stdout.splitlines()
    assert lines[0].startswith(str(site)), run.stderr  # the wheel's copy, not the repository's
    assert lines[1] == "filled", run.stderr
    # a checkpoint that is neither in a zoo folder nor in the cache: the offline message names what to do
    assert run.returncode != 0 and "inpaint zoo pull glcic-bsds500-64" in run.stderr
