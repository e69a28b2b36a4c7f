"""Generic trainer for learned methods: ``inpaint train METHOD --data PATH --out zoo/ID``.

It runs a method's recipe (:mod:`inpaint_core.recipes`: values validated by its schema, networks,
losses and steps) on one process or, through Accelerate, on many (``torchrun``, ``accelerate launch``).

Resumable (networks, optimisers, EMA, RNG and position saved as safetensors + JSON in
``OUT/.training/``), bounded by epochs or minutes, logging losses and validation loss to
``OUT/training_log.csv``, and finishing with an evaluation on the held-out split whose numbers go
into ``config.json``, the model card and the zoo catalog.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import json
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from accelerate import Accelerator, DataLoaderConfiguration
from pydantic import ValidationError
from safetensors.torch import load_file, save_file
from torch import nn
from torch.optim.swa_utils import AveragedModel
from torch.utils.data import DataLoader
from tqdm import tqdm

from .batches import EpochOrder, TrainingSet, masks_tensor
from .checkpoints import (META_KEY, RECIPE, WEIGHTS, load_network, read_config, save_network, sha256_file, update_meta,
                          write_card)
from .datasets import cached_array, describe_split, load_split
from .errors import InpaintError
from .learned import TorchMethod
from .maskgen import make_mask_generator
from .methods.registry import get_method_class
from .recipes import FittedRecipe, Recipe, SGDRecipe, get_recipe
from .tensors import batch_tensor
from .threads import env_threads
from .zoo import resolve_checkpoint

log = logging.getLogger(__name__)
STATE_DIR = ".training"
#: When a run stops: a resume says it anew rather than inheriting the budget it was stopped by.
STOPPING_KEYS = ("epochs", "max_minutes", "max_steps")
#: Recipe keys that define the validation set; a resume that changes one restarts the early stopping.
VALIDATION_KEYS = ("data", "size", "masks", "val_images", "crops_per_image", "crop_min_scale", "seed")


def git_revision() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _flatten_optimizer(prefix: str, opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    state = opt.state_dict()
    tensors, plain = {}, {"param_groups": state["param_groups"], "state": {}}
    for idx, values in state["state"].items():
        plain["state"][str(idx)] = {}
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"{prefix}.{idx}.{key}"] = value.contiguous()
            else:
                plain["state"][str(idx)][key] = value
    return tensors, plain


def _restore_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], plain: dict) -> None:
    state: dict[int, dict[str, Any]] = {}
    for idx, values in plain["state"].items():
        state[int(idx)] = dict(values)
    for name, value in tensors.items():
        if name.startswith(prefix + "."):
            idx, key = name[len(prefix) + 1 :].split(".", 1)
            state.setdefault(int(idx), {})[key] = value
    opt.load_state_dict({"state": state, "param_groups": plain["param_groups"]})


def make_recipe(method: str, values: dict[str, Any]) -> Recipe:
    """``method``'s recipe with ``values`` over its defaults; a key it does not have or a value of the
    wrong kind is an error that names the key and what the recipe accepts."""
    cls = get_recipe(method)
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        unknown = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden"]
        if unknown:
            raise InpaintError(f"'{method}' recipes have no key {', '.join(unknown)}; the keys are: "
                               f"{', '.join(sorted(cls.model_fields))}.") from None
        problems = "; ".join((f"{'.'.join(map(str, e['loc']))}: " if e["loc"] else "")
                             + e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise InpaintError(f"'{method}' recipe values rejected: {problems}.") from None


def recipe_record(recipe: Recipe) -> dict[str, Any]:
    """The values ``recipe.json`` keeps: all but the ``None``s that are the defaults too (a ``None`` over
    a default that is not, such as whole images instead of crops, must survive a retrain from the file)."""
    defaults = type(recipe)().model_dump(mode="json")
    return {k: v for k, v in recipe.model_dump(mode="json").items() if v is not None or defaults[k] is not None}


def retrain_command(recipe: Recipe, checkpoint_id: str) -> str:
    """The one command that retrains a checkpoint: recipe values that differ from the recipe's
    defaults become ``--set`` options."""
    values, defaults = recipe.model_dump(mode="json"), type(recipe)().model_dump(mode="json")
    parts = [f"inpaint train {recipe.method} --data {recipe.data} --out zoo/{checkpoint_id} --seed {recipe.seed}"]
    for flag, key in (("--epochs", "epochs"), ("--max-minutes", "max_minutes")):
        if values[key] is not None and (key != "epochs" or not isinstance(recipe, FittedRecipe)):
            parts.append(f"{flag} {values[key]}")
    skip = {"data", "seed", "epochs", "max_minutes", "command"}
    for key, value in sorted(values.items()):
        if key not in skip and defaults[key] != value:
            parts.append(f"--set '{key}={json.dumps(value)}'")
    return " ".join(parts)


class Trainer:
    def __init__(self, method: str, data: str | None, out: str | Path, *, epochs: int | None = None,
                 max_minutes: float | None = None, seed: int = 0, overrides: dict[str, Any] | None = None,
                 state_dir: str | Path | None = None, recipe_file: str | Path | None = None,
                 resume: bool = False) -> None:
        """The recipe's values: its defaults, replaced by those a resumed run recorded in its state (so
        a run trained with ``--set`` values continues with them; how long to train is the resume's own
        say), then by ``recipe_file`` (a checkpoint's ``recipe.json``), then by ``overrides`` (``--set``)
        and the named arguments."""
        self.out = Path(out)
        # a run that must outlive this machine keeps its state in a tracked folder (``--state-dir runs/ID``)
        self.state_dir = Path(state_dir) if state_dir else self.out / STATE_DIR
        self.resume = resume
        values = self._recorded_recipe() if resume else {}
        if recipe_file:
            values.update(json.loads(Path(recipe_file).read_text()))
        values.pop("command", None)
        self.overrides = dict(overrides or {})
        values.update(self.overrides)
        for key, value in (("data", data), ("epochs", epochs), ("max_minutes", max_minutes)):
            if value is not None:
                values[key] = value
        values["seed"] = seed
        self.recipe = make_recipe(method, values)
        self.cls: type[TorchMethod] = get_method_class(method)  # type: ignore[assignment]

    def _recorded_recipe(self) -> dict[str, Any]:
        path = self.state_dir / "state.json"
        recorded = json.loads(path.read_text()).get("recipe", {}) if path.exists() else {}
        return {k: v for k, v in recorded.items() if k not in STOPPING_KEYS}

    # -- state -------------------------------------------------------------------------------------
    def _save_state(self, nets, opts, ema: AveragedModel | None, progress: dict[str, Any],
                    accelerator: Accelerator) -> None:
        """Networks, optimisers, EMA, RNG and position as safetensors + JSON, written atomically by the
        main process (the weights are the same in every process)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tensors: dict[str, torch.Tensor] = {}
        plain: dict[str, Any] = {"progress": progress, "optimizers": {}, "recipe": self.recipe.model_dump(mode="json")}
        for name, net in nets.items():
            tensors.update({f"net.{name}.{k}": v.detach().cpu().contiguous()
                            for k, v in accelerator.unwrap_model(net).state_dict().items()})
        for name, opt in opts.items():
            t, p = _flatten_optimizer(f"opt.{name}", opt)
            tensors.update({k: v.cpu() for k, v in t.items()})
            plain["optimizers"][name] = p
        if ema is not None:
            tensors.update({f"ema.{k}": v.detach().cpu().contiguous() for k, v in ema.module.state_dict().items()})
        tensors["rng.torch"] = torch.get_rng_state()
        for suffix in (".safetensors", ".json"):
            (self.state_dir / f"state{suffix}.tmp").unlink(missing_ok=True)
        save_file(tensors, str(self.state_dir / "state.safetensors.tmp"))
        (self.state_dir / "state.json.tmp").write_text(json.dumps(plain))
        os.replace(self.state_dir / "state.safetensors.tmp", self.state_dir / "state.safetensors")
        os.replace(self.state_dir / "state.json.tmp", self.state_dir / "state.json")

    def _load_state(self, accelerator: Accelerator, nets, opts, ema: AveragedModel | None) -> dict[str, Any]:
        tensors = load_file(str(self.state_dir / "state.safetensors"))
        plain = json.loads((self.state_dir / "state.json").read_text())
        for name, net in nets.items():
            prefix = f"net.{name}."
            accelerator.unwrap_model(net).load_state_dict(
                {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}, strict=True)
        for name, opt in opts.items():
            _restore_optimizer(f"opt.{name}", opt, tensors, plain["optimizers"][name])
        progress = plain["progress"]
        if ema is not None:
            ema.module.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("ema.")}, strict=True)
            ema.n_averaged.fill_(progress["step"])
        torch.set_rng_state(tensors["rng.torch"])
        before, now = plain.get("recipe", {}), self.recipe.model_dump(mode="json")
        changed = [k for k in VALIDATION_KEYS if before.get(k) != now.get(k)]
        if changed:  # the best loss so far was measured on another validation set: early stopping would
            # hand back the weights from before the change
            log.info("validation set changed (%s): the best weights are chosen afresh", ", ".join(changed))
            progress["best_val"] = float("inf")
        return progress

    def _initialize(self, net: nn.Module, checkpoint: str) -> None:
        """Start ``net`` from a trained checkpoint's weights (same architecture; the data may differ), and
        record which weights those were: the recipe names a zoo id, and an id outlives its weights."""
        folder = resolve_checkpoint(self.cls.name, checkpoint)
        digest = sha256_file(folder / WEIGHTS)
        if self.recipe.init_sha256 not in (None, digest):
            raise InpaintError(f"init_from={checkpoint}: its weights (sha256 {digest[:12]}) are not the ones this "
                               f"recipe started from ({self.recipe.init_sha256[:12]}); the checkpoint was republished "
                               f"since. Give the folder of that version as init_from (the repository's history of "
                               f"zoo/{Path(checkpoint).name} has it), or --set init_sha256=null to start from the "
                               "current weights.")
        self.recipe.init_sha256 = digest
        trained = load_network(self.cls.network_class, folder)
        try:
            net.load_state_dict(trained.state_dict())
        except RuntimeError as exc:
            raise InpaintError(f"init_from={checkpoint}: its network does not fit this recipe's network values "
                               f"({type(net).__name__}: {str(exc).splitlines()[0]}). Give the values it was trained "
                               "with (its recipe.json's 'network').") from None
        log.info("started from the weights of %s", checkpoint)

    def _set_lr(self, opts: dict[str, torch.optim.Optimizer], step: int) -> None:
        """Each step's learning rate comes from the recipe: ``lr_NAME`` or ``lr``, replaced from
        ``lr_schedule`` = {network: [[from_step, lr], ...]} on. A restored optimiser's own rate is never
        used, so ``--set lr=...`` on a resume takes effect and a retrain reproduces the decays."""
        for name, opt in opts.items():
            lr = self.recipe.network_lr(name)
            for start, scheduled in self.recipe.lr_schedule.get(name, []):
                if step >= start:
                    lr = scheduled
            for group in opt.param_groups:
                group["lr"] = float(lr)

    # -- loop ---------------------------------------------------------------------------------------
    def _accelerator(self) -> Accelerator:
        """One process, or one of N under ``accelerate launch``/``torchrun``: each process gets its share
        of every batch (``split_batches``), so N processes with batch B/N each train on the same batches as
        one process with batch B; bf16 autocast on a GPU unless the recipe says ``mixed_precision: no``."""
        cuda = torch.cuda.is_available()
        precision = getattr(self.recipe, "mixed_precision", "no") if cuda else "no"
        accelerator = Accelerator(cpu=not cuda, mixed_precision=precision,
                                  dataloader_config=DataLoaderConfiguration(split_batches=True))
        threads = env_threads() or max(1, (os.cpu_count() or 1) // accelerator.num_processes)
        torch.set_num_threads(threads)
        return accelerator

    def _loader(self, train: np.ndarray, gen, accelerator: Accelerator) -> tuple[DataLoader, EpochOrder]:
        r = self.recipe
        if r.batch_size % accelerator.num_processes:
            raise InpaintError(f"batch_size {r.batch_size} does not split over {accelerator.num_processes} "
                               "processes: use a multiple of the process count.")
        order = EpochOrder(len(train), r.seed)
        loader = DataLoader(TrainingSet(train, gen, r.seed, r.flip), batch_size=r.batch_size, sampler=order,
                            drop_last=True, num_workers=r.workers)
        return loader, order

    def run(self, progress: bool = True) -> Path:
        """Train, continuing from the state when the trainer was made with ``resume`` and there is one."""
        resume = self.resume and (self.state_dir / "state.json").exists()
        r = self.recipe
        seed = r.seed
        accelerator = self._accelerator()
        main_process = accelerator.is_main_process
        torch.manual_seed(seed)
        crops, scale = r.crops_per_image, r.crop_min_scale
        with accelerator.main_process_first():  # one process fills the array cache, the others map it
            train = cached_array(r.data, "train", r.size, crops=crops, min_scale=scale, mmap=True)
            val = cached_array(r.data, "val", r.size, crops=crops, min_scale=scale, mmap=True)
        if isinstance(r, FittedRecipe):  # statistical models: a closed-form / EM fit, no SGD loop
            started = time.perf_counter()
            net = r.fit(np.asarray(train))
            seconds = time.perf_counter() - started
            log.info("fitted %s on %d images in %.1f s", self.cls.name, len(train), seconds)
            return self._finish(net, {"seconds": seconds, "step": 0, "epoch": 1, "best_val": float("nan")})
        if not isinstance(r, SGDRecipe):
            raise InpaintError(f"Recipe {type(r).__name__} is neither fitted nor trained by steps.")
        train, val = r.training_arrays(train, val)
        val_sub = val[np.random.default_rng(seed).permutation(len(val))[: r.val_images]]
        gen = make_mask_generator(r.masks)
        nets = r.build_networks()
        main_name = r.inference_network
        if r.init_from and not resume:
            self._initialize(nets[main_name], r.init_from)
            r.initialized(nets[main_name])
        opts = r.build_optimizers(nets)
        ema = None
        if r.ema:  # warm-up: early averages do not drag the initial weights along
            decay = r.ema
            ema = AveragedModel(nets[main_name], avg_fn=lambda e, m, n: e.lerp(m, 1 - min(decay, (1 + float(n)) / (10 + float(n)))))
            ema.requires_grad_(False)
        loader, order = self._loader(train, gen, accelerator)
        names = list(nets)
        prepared = accelerator.prepare(*nets.values(), *opts.values(), loader)
        nets = dict(zip(names, prepared[: len(names)]))
        opts = dict(zip(opts, prepared[len(names) : -1]))
        loader = prepared[-1]
        main = accelerator.unwrap_model(nets[main_name])
        device = accelerator.device
        if ema is not None:
            ema.to(device)
        val_masks = masks_tensor(gen, len(val_sub), r.size, np.random.default_rng(seed + 1)).to(device)
        val_images = batch_tensor(val_sub).to(device)

        state = {"epoch": 0, "batch": 0, "step": 0, "seconds": 0.0, "best_val": float("inf")}
        log_path = self.out / "training_log.csv"
        if resume:
            state = self._load_state(accelerator, nets, opts, ema)
            log.info("resumed at epoch %d, batch %d, step %d", state["epoch"], state["batch"], state["step"])
        elif main_process:  # a fresh run: nothing of an earlier run in this folder (log, best weights, state) carries over
            log_path.unlink(missing_ok=True)
            shutil.rmtree(self.state_dir, ignore_errors=True)
        accelerator.wait_for_everyone()
        self.out.mkdir(parents=True, exist_ok=True)
        best = copy.deepcopy(self._evaluation_net(main, ema))  # a copy: loading the best must not reset the EMA
        best_path = self.state_dir / "best.safetensors"
        if best_path.exists():
            best.load_state_dict(load_file(str(best_path)))

        bs, epochs = r.batch_size, r.epochs or 10**9
        budget = 60 * r.max_minutes if r.max_minutes else float("inf")
        started = time.perf_counter() - state["seconds"]
        last_save = time.perf_counter()
        # a resume whose budget is already spent publishes the state as it is, without another step (the
        # budget given as the state's own minutes: seconds/60*60 may round a hair above the seconds)
        out_of_time = state["seconds"] >= budget - 1e-3 or state["step"] >= (r.max_steps or float("inf"))
        devices = state.setdefault("devices", [])  # a run continued elsewhere (on a GPU) says so on its card
        if not out_of_time and self._device_note() not in devices:
            devices.append(self._device_note())
        per_epoch = len(train) // bs
        with open(log_path, "a", newline="") if main_process else contextlib.nullcontext() as log_file:
            writer = csv.writer(log_file) if main_process else None
            if main_process and log_file.tell() == 0:
                writer.writerow(["epoch", "step", "minutes", "train_loss", "val_loss"])
            while state["epoch"] < epochs and not out_of_time:
                # the prepared loader counts epochs from 0 in each run, and its set_epoch does not reach a
                # sampler under both a process shard and a skip (a resume mid-epoch on N processes): set both
                batches = accelerator.skip_first_batches(loader, state["batch"]) if state["batch"] else loader
                batches.set_epoch(state["epoch"])
                order.set_epoch(state["epoch"])
                bar = tqdm(batches, desc=f"epoch {state['epoch'] + 1}/{epochs}", initial=state["batch"],
                           total=per_epoch, disable=not (progress and main_process), leave=False)
                losses = []
                for x, m in bar:
                    for net in nets.values():
                        net.train()
                    self._set_lr(opts, state["step"])
                    logs = r.train_step(nets, opts, x, m, state["step"], accelerator)
                    if ema is not None:
                        ema.update_parameters(main)
                    loss = float(logs["loss"])
                    if accelerator.num_processes > 1:  # the loss of the whole batch: the mean of the shares
                        loss = float(accelerator.reduce(torch.tensor([loss], device=device), "mean"))
                    losses.append(loss)
                    state["step"] += 1
                    state["batch"] += 1
                    bar.set_postfix(loss=f"{loss:.5f}")
                    state["seconds"] = time.perf_counter() - started
                    out_of_time = state["seconds"] > budget or state["step"] >= (r.max_steps or float("inf"))
                    if accelerator.num_processes > 1 and budget < float("inf"):  # stop together, or hang
                        flag = torch.tensor([float(out_of_time)], device=device)
                        out_of_time = bool(accelerator.reduce(flag, "max"))
                    if out_of_time:
                        break
                    if main_process and time.perf_counter() - last_save > 120:
                        self._save_state(nets, opts, ema, state, accelerator)
                        last_save = time.perf_counter()
                if not out_of_time:
                    state["epoch"] += 1
                    state["batch"] = 0
                if main_process:
                    self._end_epoch(state, losses, main, ema, best, best_path, val_images, val_masks, writer, progress)
                    log_file.flush()
                    self._save_state(nets, opts, ema, state, accelerator)
                    last_save = time.perf_counter()
                accelerator.wait_for_everyone()
        if main_process:
            self._finish(best.cpu().eval(), state)
        accelerator.wait_for_everyone()
        return self.out

    def _end_epoch(self, state, losses, main, ema, best, best_path, val_images, val_masks, writer, progress) -> None:
        """Validation loss, the log row, and the best weights (main process only)."""
        r = self.recipe
        evaluated = self._evaluation_net(main, ema).eval()
        val_loss = r.validation_loss(evaluated, val_images, val_masks)
        mean_loss = float(np.mean(losses)) if losses else float("nan")
        writer.writerow([state["epoch"], state["step"], round(state["seconds"] / 60, 2),
                         mean_loss if losses else "", val_loss])
        if progress:
            log.info("epoch %d step %d: train %.5f val %.5f (%.1f min)", state["epoch"], state["step"], mean_loss,
                     val_loss, state["seconds"] / 60)
        # early stopping keeps the best validation weights; without it (a loss the validation loss does not
        # measure, such as perceptual terms) the last ones are kept
        if val_loss < state["best_val"] or not r.early_stopping:
            state["best_val"] = min(val_loss, state["best_val"])
            state["kept_val"] = val_loss  # the card's figure is that of the weights it publishes
            best.load_state_dict(evaluated.state_dict())
            self.state_dir.mkdir(parents=True, exist_ok=True)
            save_file({k: v.detach().cpu().contiguous() for k, v in best.state_dict().items()}, str(best_path))

    def evaluate_only(self) -> Path:
        """Re-run the final evaluation of an existing checkpoint (e.g. after a faster fill landed)."""
        config = read_config(self.out)
        if "members" in config:
            raise InpaintError(f"'{self.out}' is an ensemble: rebuild it with the `inpaint ensemble` command in its "
                               f"{RECIPE}, which evaluates it again.")
        meta = config.get(META_KEY, {})
        training = meta.get("training", {})
        state = {"seconds": 60 * training.get("minutes", 0.0), "step": training.get("steps", 0),
                 "epoch": training.get("epochs", 0),
                 "best_val": meta.get("validation_metrics", {}).get("best_val_loss", float("nan"))}
        saved = json.loads((self.out / RECIPE).read_text())  # its values, but for what this command overrides
        self.recipe = make_recipe(self.recipe.method, {**saved, **self.overrides})
        return self._finish(load_network(self.cls.network_class, self.out), state)

    @staticmethod
    def _evaluation_net(main: nn.Module, ema: AveragedModel | None) -> nn.Module:
        return ema.module if ema is not None else main

    @staticmethod
    def _device_note() -> str:
        processes = int(os.environ.get("WORLD_SIZE", "1"))
        threads = torch.get_num_threads()
        device = (torch.cuda.get_device_name() if torch.cuda.is_available()
                  else f"cpu ({threads} thread{'s' if threads > 1 else ''})")
        return device + (f" x {processes} processes" if processes > 1 else "")

    def _finish(self, net: torch.nn.Module, state: dict[str, Any]) -> Path:
        r = self.recipe
        r.command = retrain_command(r, self.out.name)
        training = {"minutes": round(state["seconds"] / 60, 1), "steps": state["step"], "epochs": state["epoch"],
                    "device": ", then ".join(state.get("devices") or [self._device_note()])}
        publish(self.cls, net, self.out, r, {"training": training, **r.card_meta()},
                state.get("kept_val", state["best_val"]))
        return self.out


def publish(cls: type[TorchMethod], net: torch.nn.Module, out: Path, recipe: Recipe, meta: dict[str, Any],
            best_val: float = float("nan"), record: dict[str, Any] | None = None) -> dict[str, float]:
    """Save ``net`` with ``recipe.json`` (``record``, or the recipe's values), evaluate what was saved
    (fp16 weights included, not the in-memory network) on the recipe's held-out split, and put the
    numbers into ``config.json``, the model card and, for a folder inside the zoo, the catalog."""
    from .benchmark import SUMMARY_METRICS, evaluate_method
    from .zoo import DATASET_DOMAINS, register, zoo_dir

    r = recipe
    crops = r.crops_per_image
    images = load_split(r.data, "val", r.size, crops=crops)
    n_eval = min(r.eval_images, len(images))
    crop_note = f", {crops} random {r.size} px crops each" if crops else ""
    meta = {
        "method": cls.name, "description": cls.description, "paper": cls.paper,
        "dataset": r.dataset, "dataset_id": r.dataset_id, "resolution": r.size,
        # crops of photos at native pixel scale teach texture; whole resized images teach objects at one size
        "training_scale": "texture" if crops else "object",
        "validation_split": f"{describe_split(images)} ({len(images) // (crops or 1)} images{crop_note}); "
                            f"metrics on {n_eval}",
        "evaluation_protocol": f"masks={r.eval_masks}, seed={r.seed}, {n_eval} validation images, "
                               "MSE/L2 on [0,1] (L2 also on [0,255]), MAEM in %, ST-LPIPS (AlexNet), "
                               "ms per image on this CPU",
        "seed": r.seed, "git_revision": git_revision(), "reductions": r.reductions, **meta,
    }
    save_network(net, out, meta, fp16=r.fp16)
    record = record or recipe_record(r)
    (out / RECIPE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    saved = cls(checkpoint=out)
    rows = list(evaluate_method(saved, images, r.eval_masks, n=n_eval, seed=r.seed, metrics=("lpips",)))
    metrics = {k: float(np.mean([row[k] for row in rows])) for k in SUMMARY_METRICS if k in rows[0]}
    # an exact fill has an infinite PSNR, and then the mean has no value (JSON has no Infinity)
    metrics = {k: v if np.isfinite(v) else None for k, v in metrics.items()}
    metrics.update(saved.validation_report(cached_array(r.data, "val", r.size, crops=crops)))
    if np.isfinite(best_val):
        metrics["best_val_loss"] = best_val
    update_meta(out, validation_metrics=metrics)
    write_card(out, out.name, f"inpaint-zoo/{out.name}")
    if out.resolve().parent == zoo_dir().resolve():
        register(out, cls.name, r.dataset, r.size, metrics, domain=DATASET_DOMAINS.get(r.dataset_id or "", ""))
    log.info("held-out metrics of %s: %s", out, json.dumps(metrics, indent=2))
    return metrics
