"""Checkpoints that average the networks of several trained checkpoints of one method:
``inpaint ensemble METHOD --members A B --out zoo/ID``.

An ensemble is one ``config.json`` + ``model.safetensors`` like any checkpoint, so the zoo, the Hub
and every method option (tiling, mirror) treat it as one network. Its ``recipe.json`` keeps each
member's recipe, which retrains that member, and its evaluation uses the members' held-out split.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .checkpoints import META_KEY, RECIPE, load_network, read_config
from .errors import InpaintError
from .learned import TorchMethod
from .methods.registry import get_method_class, list_methods
from .training import make_recipe, publish
from .zoo import load_catalog, resolve_checkpoint

#: Recipe values the members must share: an average of networks trained on different data or sizes
#: has no held-out split to be measured on.
SHARED = ("data", "dataset", "dataset_id", "size", "crops_per_image", "eval_images", "eval_masks")


def _builds_ensembles(cls: type) -> bool:
    """A learned method with an ensemble class, whose checkpoints are its own (``lama-patchmatch`` runs
    ``lama``'s, ensembles included)."""
    return issubclass(cls, TorchMethod) and cls.ensemble_class is not None and cls.checkpoint_family() == cls.name


def build_ensemble(method: str, members: list[str], out: str | Path, seed: int = 0) -> dict[str, float]:
    """Save the ensemble of ``members`` (zoo ids or checkpoint folders) into ``out`` and evaluate it
    with the masks of ``seed``; returns the validation metrics."""
    cls = get_method_class(method)
    if not _builds_ensembles(cls):
        able = ", ".join(m.name for m in list_methods() if _builds_ensembles(m)) or "none"
        raise InpaintError(f"Method '{method}' cannot join networks in an ensemble; methods that can: {able}.")
    if len(members) < 2:
        raise InpaintError(f"An ensemble needs two members or more, got {len(members)}.")
    catalogued = {e.id for e in load_catalog()}
    names, nets, configs, metas, recipes = [], [], [], [], []
    for member in members:
        folder = resolve_checkpoint(method, member)
        config = read_config(folder)
        if "members" in config:
            raise InpaintError(f"Member '{member}' is an ensemble itself; list its members instead.")
        if not (folder / RECIPE).is_file():
            raise InpaintError(f"Member '{member}' has no {RECIPE}, so the ensemble could not say how to retrain it.")
        names.append(member if member in catalogued else Path(member).name)
        nets.append(load_network(cls.network_class, folder))
        configs.append({k: v for k, v in config.items() if k != META_KEY})
        metas.append(config.get(META_KEY, {}))
        recipes.append(json.loads((folder / RECIPE).read_text()))
    for key in SHARED:
        values = [r.get(key) for r in recipes]
        if any(v != values[0] for v in values):
            raise InpaintError(f"The members differ in recipe value '{key}' ({', '.join(map(str, values))}); "
                               "an ensemble's networks must be trained on the same data at the same size.")

    ensemble = cls.ensemble_class(members=configs)
    for slot, net in zip(ensemble.members, nets):
        slot.load_state_dict(net.state_dict())
    out = Path(out)
    shared = make_recipe(method, {**{k: v for k, v in recipes[0].items() if k != "command"}, "seed": seed})
    record: dict[str, Any] = {
        **{k: recipes[0][k] for k in SHARED if k in recipes[0]}, "seed": seed,
        "command": f"inpaint ensemble {method} --members {' '.join(names)} --out zoo/{out.name} --seed {seed}",
        "members": [{"checkpoint": n, **r} for n, r in zip(names, recipes)],
    }
    trainings = [m.get("training", {}) for m in metas]
    combination = cls.ensemble_class.combination.format(n=len(names))
    devices = ", ".join(sorted({t.get("device", "?") for t in trainings}))
    meta = {
        "description": f"{cls.description} {combination[:1].upper()}{combination[1:]}: {', '.join(names)}.",
        "reductions": metas[0].get("reductions", ""),
        "training": {"minutes": round(sum(t.get("minutes", 0) for t in trainings), 1),
                     "steps": sum(t.get("steps", 0) for t in trainings),
                     "epochs": sum(t.get("epochs", 0) for t in trainings),
                     "device": f"{devices}, summed over {len(names)} members"},
        "members": [{"checkpoint": n, "training": m.get("training", {}),
                     "validation_metrics": m.get("validation_metrics", {})} for n, m in zip(names, metas)],
        **shared.card_meta(),
    }
    return publish(cls, ensemble, out, shared, meta, record=record)
