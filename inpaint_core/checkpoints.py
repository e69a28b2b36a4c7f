"""Checkpoint folders laid out like Hugging Face model repos: ``config.json`` + ``model.safetensors``
+ ``README.md`` (model card). Saving and loading go through ``PyTorchModelHubMixin`` and
``safetensors``; loading is strict and never unpickles anything."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from .errors import CheckpointError

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
CARD = "README.md"
RECIPE = "recipe.json"
META_KEY = "inpaint_zoo"  # config.json key holding everything that is not a constructor argument


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_config(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / CONFIG
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise CheckpointError(f"'{folder}' has no {CONFIG}: it is not a checkpoint folder.") from exc
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc}).") from exc


def save_network(net: Any, folder: str | Path, meta: dict[str, Any], fp16: bool = True) -> Path:
    """Save ``net`` (a ``PyTorchModelHubMixin`` module) with its constructor config plus ``meta``."""
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    to_save = copy.deepcopy(net).cpu()
    if fp16:
        to_save = to_save.to(torch.float16)
    config = {**(net._hub_mixin_config or {}), META_KEY: meta}
    (folder / CARD).unlink(missing_ok=True)  # the card is written by write_card from the final config
    to_save.save_pretrained(folder, config=config)
    (folder / CARD).unlink(missing_ok=True)
    update_meta(folder, weights_sha256=sha256_file(folder / WEIGHTS))  # checked on every load of the folder
    return folder


def update_meta(folder: str | Path, **changes: Any) -> None:
    """Merge ``changes`` into the ``inpaint_zoo`` section of ``config.json`` (e.g. final metrics)."""
    path = Path(folder) / CONFIG
    config = read_config(folder)
    config.setdefault(META_KEY, {}).update(changes)
    path.write_text(json.dumps(config, sort_keys=True, indent=2))


def load_network(network_class: type, folder: str | Path) -> Any:
    """Instantiate ``network_class`` from ``config.json`` and load ``model.safetensors`` strictly."""
    folder = Path(folder)
    if not (folder / WEIGHTS).is_file():
        raise CheckpointError(f"'{folder}' has no {WEIGHTS}; weights are only loaded from safetensors.")
    from safetensors import SafetensorError

    recorded = read_config(folder).get(META_KEY, {}).get("weights_sha256")
    if recorded and sha256_file(folder / WEIGHTS) != recorded:
        raise CheckpointError(
            f"{folder / WEIGHTS} is damaged: its sha256 differs from the one recorded in {CONFIG} when it was saved. "
            "Restore it (git checkout, `inpaint zoo pull ID --force`) or retrain."
        )
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            net = network_class.from_pretrained(str(folder), strict=True)
    except SafetensorError as exc:
        raise CheckpointError(
            f"{folder / WEIGHTS} is damaged ({exc}): the file was truncated or altered. Restore it (git checkout, "
            "`inpaint zoo pull ID --force`) or retrain."
        ) from exc
    except (RuntimeError, TypeError, ValueError) as exc:
        raise CheckpointError(
            f"Checkpoint '{folder}' does not fit {network_class.__name__}: {exc}. "
            "It was saved by another architecture or version; retrain it or pick the matching method."
        ) from exc
    return net.eval()


def write_card(folder: str | Path, checkpoint_id: str, repo_id: str | None = None) -> str:
    """(Re)generate the model card from ``config.json`` (metrics, data, recipe, training time)."""
    from huggingface_hub import ModelCard, ModelCardData

    folder = Path(folder)
    meta = read_config(folder).get(META_KEY, {})
    recipe = json.loads((folder / RECIPE).read_text()) if (folder / RECIPE).exists() else {}
    data = ModelCardData(
        library_name="inpaint-zoo",
        license="mit",
        tags=["image-inpainting", "pytorch", "safetensors", meta.get("method", "")],
        datasets=[d for d in [meta.get("dataset_id")] if d],
        pipeline_tag="image-to-image",
    )
    metrics = meta.get("validation_metrics", {})
    rows = "\n".join(f"| {k} | {v:.6g} |" if isinstance(v, (int, float)) else f"| {k} | {'-' if v is None else v} |"
                     for k, v in metrics.items())
    train = meta.get("training", {})
    photo = meta.get("photo_leaderboard")
    photo_section = "" if not photo else f"""
## Photo leaderboard

Rank {photo['rank']} of {photo['of']} on the photo protocol ({photo['protocol']}):
ST-LPIPS {photo['lpips']:.4f}, hole MSE {photo['mse_hole_01']:.4f}, FID {photo['fid']:.1f} over {photo['fid_images']} images,
{photo['ms']:.0f} ms per photo. Reproduce with `{photo['command']}`.
"""
    content = f"""---
{data.to_yaml()}
---

# {checkpoint_id}

**Method:** `{meta.get('method', '?')}` — {meta.get('description', '')}

**Paper:** {meta.get('paper', '')}

**Data:** {meta.get('dataset', '?')} at {meta.get('resolution', '?')} px; validation: {meta.get('validation_split', '?')}.

## Validation metrics

Protocol: {meta.get('evaluation_protocol', '?')}

| metric | value |
|---|---|
{rows}
{photo_section}
## Training

- time on this recipe's machine: {train.get('minutes', '?')} min ({train.get('device', 'cpu')}), {train.get('steps', '?')} steps, {train.get('epochs', '?')} epochs
- seed: {meta.get('seed', '?')}; git revision: {meta.get('git_revision', '?')}
- reduced relative to the paper: {meta.get('reductions', 'n/a')}

Recipe (`recipe.json`, retrain with `{recipe.get('command', 'inpaint train ' + str(meta.get('method', '')))}`):

```json
{json.dumps(recipe, indent=2, sort_keys=True)}
```

## Use

```python
from inpaint_core import load_method
method = load_method("{meta.get('method', '?')}", checkpoint="{checkpoint_id}")
result = method.inpaint(image, mask)  # uint8 HxWx3 image, bool HxW mask (True = hole)
```
{f"Hub repo: `{repo_id}`" if repo_id else ""}
"""
    card = ModelCard(content)
    card.save(folder / CARD)
    return str(card)
