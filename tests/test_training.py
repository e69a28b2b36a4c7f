"""The trainer end to end on a tiny generated data set: log, resumable state, card, catalog."""

import hashlib
import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from inpaint_core import load_method, zoo
from inpaint_core.errors import InpaintError
from inpaint_core.training import Trainer

from .helpers import make_images

TINY = {"network": {"width": 8, "bottleneck": 16}, "batch_size": 8, "val_images": 8, "eval_images": 6,
        "dataset": "synthetic squares", "ema": 0.9}


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # private array cache
    return make_images(tmp_path / "data", n_per_class=20, size=32)


def test_train_writes_a_complete_zoo_folder(data, tmp_path, monkeypatch):
    monkeypatch.setenv("INPAINT_ZOO_DIR", str(tmp_path / "zoo"))
    out = Trainer("l2-context-encoder", str(data), tmp_path / "zoo" / "ce-mini", epochs=2, seed=3,
                  overrides=TINY).run(progress=False)
    log = (out / "training_log.csv").read_text().splitlines()
    assert log[0] == "epoch,step,minutes,train_loss,val_loss" and len(log) == 3
    meta = json.loads((out / "config.json").read_text())["inpaint_zoo"]
    assert meta["training"]["epochs"] == 2 and meta["training"]["steps"] == 8  # 36 train images / 8 per batch
    assert 0 < meta["validation_metrics"]["mse_hole_01"] < 1 and meta["seed"] == 3
    assert json.loads((out / "recipe.json").read_text())["batch_size"] == 8
    assert "inpaint train l2-context-encoder" in (out / "README.md").read_text()
    entry = zoo.find_entry("ce-mini")
    assert entry.method == "l2-context-encoder" and entry.metrics["mse_hole_01"] == meta["validation_metrics"]["mse_hole_01"]
    assert zoo.verify_all() == []
    method = load_method("l2-context-encoder", checkpoint="ce-mini")
    img = np.full((32, 32, 3), 100, np.uint8)
    mask = np.zeros((32, 32), bool)
    mask[12:20, 12:20] = True
    assert method.inpaint(img, mask).image.shape == (32, 32, 3)
    # re-evaluating the saved checkpoint reproduces its numbers and keeps its training record
    Trainer("l2-context-encoder", None, out, seed=3).evaluate_only()
    again = json.loads((out / "config.json").read_text())["inpaint_zoo"]
    assert again["validation_metrics"]["mse_hole_01"] == meta["validation_metrics"]["mse_hole_01"]
    assert again["training"]["steps"] == 8 and zoo.verify_all() == []


def test_resume_continues_where_it_stopped(data, tmp_path):
    flips = {**TINY, "flip": True}  # random mirroring is part of what a resume must repeat
    full = Trainer("l2-context-encoder", str(data), tmp_path / "full", epochs=2, seed=0, overrides=flips)
    full.run(progress=False)
    part = Trainer("l2-context-encoder", str(data), tmp_path / "part", epochs=1, seed=0, overrides=flips)
    part.run(progress=False)
    state = json.loads((tmp_path / "part" / ".training" / "state.json").read_text())
    assert state["progress"]["epoch"] == 1 and state["progress"]["step"] == 4
    Trainer("l2-context-encoder", str(data), tmp_path / "part", epochs=2, seed=0, overrides=flips, resume=True).run(progress=False)
    a = load_file(tmp_path / "full" / ".training" / "state.safetensors")
    b = load_file(tmp_path / "part" / ".training" / "state.safetensors")
    assert set(a) == set(b)
    for key in a:  # resumed training reproduces the uninterrupted run exactly (CPU, same seed)
        assert np.array_equal(a[key].numpy(), b[key].numpy()), key
    plain = {**TINY, "flip": False}
    Trainer("l2-context-encoder", str(data), tmp_path / "plain", epochs=2, seed=0, overrides=plain).run(progress=False)
    c = load_file(tmp_path / "plain" / ".training" / "state.safetensors")
    assert not np.array_equal(a["net.net.encoder.0.weight"].numpy(), c["net.net.encoder.0.weight"].numpy())
    assert len((tmp_path / "part" / "training_log.csv").read_text().splitlines()) == 3
    # the best weights kept for early stopping are their own copy: restoring them never resets the running average
    Trainer("l2-context-encoder", str(data), tmp_path / "again", epochs=1, seed=0, overrides=flips).run(progress=False)
    best = tmp_path / "again" / ".training" / "best.safetensors"
    save_file({k: torch.zeros_like(v) for k, v in load_file(best).items()}, best)
    Trainer("l2-context-encoder", str(data), tmp_path / "again", epochs=2, seed=0, overrides=flips, resume=True).run(progress=False)
    again = load_file(tmp_path / "again" / ".training" / "state.safetensors")
    for key in (k for k in a if k.startswith("ema.")):
        assert np.array_equal(a[key].numpy(), again[key].numpy()), key


def test_a_resume_on_new_validation_masks_chooses_the_best_weights_afresh(data, tmp_path):
    out = tmp_path / "masks"
    Trainer("l2-context-encoder", str(data), out, epochs=1, seed=0, overrides={**TINY, "masks": "rect"}).run(progress=False)
    easy = json.loads((out / ".training" / "state.json").read_text())["progress"]["best_val"]
    Trainer("l2-context-encoder", str(data), out, epochs=2, seed=0, overrides={**TINY, "masks": "top:0.75"},
            resume=True).run(progress=False)
    last = float((out / "training_log.csv").read_text().splitlines()[-1].split(",")[-1])
    best = json.loads((out / ".training" / "state.json").read_text())["progress"]["best_val"]
    assert best == last > easy  # worse than the best before the change, yet the new run's weights are kept


def test_without_early_stopping_the_last_weights_are_kept(data, tmp_path):
    out = Trainer("l2-context-encoder", str(data), tmp_path / "last", epochs=3, seed=0,
                  overrides={**TINY, "early_stopping": False}).run(progress=False)
    state = load_file(out / ".training" / "state.safetensors")
    saved = load_file(out / "model.safetensors")
    for key, value in saved.items():  # the final running average, as stored (fp16)
        assert torch.equal(value, state[f"ema.{key}"].to(value.dtype)), key
    losses = [float(row.split(",")[-1]) for row in (out / "training_log.csv").read_text().splitlines()[1:]]
    card = json.loads((out / "config.json").read_text())["inpaint_zoo"]["validation_metrics"]["best_val_loss"]
    assert card == losses[-1]  # the kept weights' own loss, not the lowest of the run (an earlier epoch here)


def test_a_fresh_run_ignores_an_earlier_runs_state_in_the_same_folder(data, tmp_path):
    Trainer("l2-context-encoder", str(data), tmp_path / "f", epochs=1, seed=0, overrides=TINY).run(progress=False)
    wider = {**TINY, "network": {"width": 16, "bottleneck": 16}}  # best weights of the old shape are left behind
    out = Trainer("l2-context-encoder", str(data), tmp_path / "f", epochs=1, seed=0, overrides=wider).run(progress=False)
    assert json.loads((out / "config.json").read_text())["width"] == 16
    assert len((out / "training_log.csv").read_text().splitlines()) == 2


def test_learning_rate_set_on_a_resume_replaces_the_restored_one(data, tmp_path):
    Trainer("l2-context-encoder", str(data), tmp_path / "lr", epochs=1, seed=0, overrides=TINY).run(progress=False)
    Trainer("l2-context-encoder", str(data), tmp_path / "lr", epochs=2, seed=0,
            overrides={**TINY, "lr": 3e-5}, resume=True).run(progress=False)
    state = json.loads((tmp_path / "lr" / ".training" / "state.json").read_text())
    assert state["optimizers"]["net"]["param_groups"][0]["lr"] == 3e-5 and state["progress"]["epoch"] == 2


def test_learning_rate_schedule_decays_at_the_given_steps(data, tmp_path):
    schedule = {"lr_schedule": {"net": [[2, 1e-5], [6, 1e-6]]}}
    Trainer("l2-context-encoder", str(data), tmp_path / "s", epochs=1, seed=0,
            overrides={**TINY, **schedule}).run(progress=False)  # 4 steps: the decay at step 2 applies
    state = json.loads((tmp_path / "s" / ".training" / "state.json").read_text())
    assert state["optimizers"]["net"]["param_groups"][0]["lr"] == 1e-5
    Trainer("l2-context-encoder", str(data), tmp_path / "s", epochs=2, seed=0,
            overrides={**TINY, **schedule}, resume=True).run(progress=False)  # steps 4-7
    state = json.loads((tmp_path / "s" / ".training" / "state.json").read_text())
    assert state["optimizers"]["net"]["param_groups"][0]["lr"] == 1e-6


def test_time_budget_stops_training(data, tmp_path):
    out = Trainer("l2-context-encoder", str(data), tmp_path / "t", epochs=1000, max_minutes=0.0005, seed=0,
                  overrides=TINY).run(progress=False)
    meta = json.loads((out / "config.json").read_text())["inpaint_zoo"]
    assert meta["training"]["epochs"] < 1000 and meta["training"]["minutes"] < 1


def test_retrain_command_names_every_non_default_recipe_value():
    from inpaint_core.recipes import get_recipe
    from inpaint_core.training import retrain_command

    normal = get_recipe("mle-normal")(seed=2, eval_images=10, command="old")
    assert retrain_command(normal, "n") == (
        f"inpaint train mle-normal --data {normal.data} --out zoo/n --seed 2 --set 'eval_images=10'")
    cmd = retrain_command(get_recipe("l2-context-encoder")(seed=0, max_minutes=5), "c")
    assert cmd.endswith("--seed 0 --epochs 60 --max-minutes 5.0") and "--set" not in cmd


def test_a_run_resumes_from_a_state_folder_outside_the_checkpoint(data, tmp_path):
    """``--state-dir``: the state lives where it survives a machine (a tracked folder), and another
    machine continues from it into a fresh checkpoint folder."""
    state_dir = tmp_path / "runs" / "ce"
    Trainer("l2-context-encoder", str(data), tmp_path / "a", epochs=1, seed=0, overrides=TINY,
            state_dir=state_dir).run(progress=False)
    assert (state_dir / "state.safetensors").is_file() and not (tmp_path / "a" / ".training").exists()
    Trainer("l2-context-encoder", str(data), tmp_path / "b", epochs=2, seed=0, overrides=TINY,
            state_dir=state_dir, resume=True).run(progress=False)
    assert json.loads((state_dir / "state.json").read_text())["progress"]["epoch"] == 2


def test_a_resume_with_its_budget_spent_publishes_the_state_without_a_step(data, tmp_path):
    """A run continued elsewhere (a GPU) comes home as a state; resuming it with the minutes it already
    trained publishes those weights as they are, and the card names every device it trained on."""
    state_dir = tmp_path / "runs" / "ce"
    Trainer("l2-context-encoder", str(data), tmp_path / "a", epochs=1, seed=0, overrides=TINY,
            state_dir=state_dir).run(progress=False)
    state = json.loads((state_dir / "state.json").read_text())
    state["progress"]["devices"] = ["NVIDIA H100 80GB HBM3", *state["progress"]["devices"]]
    (state_dir / "state.json").write_text(json.dumps(state))
    spent = state["progress"]["seconds"] / 60
    before = load_file(str(state_dir / "best.safetensors"))
    out = Trainer("l2-context-encoder", str(data), tmp_path / "b", epochs=5, max_minutes=spent, seed=0,
                  overrides=TINY, state_dir=state_dir, resume=True).run(progress=False)
    meta = json.loads((out / "config.json").read_text())["inpaint_zoo"]
    assert meta["training"]["steps"] == state["progress"]["step"] and meta["training"]["epochs"] == 1
    assert meta["training"]["device"].startswith("NVIDIA H100 80GB HBM3, then cpu")
    published = load_method("l2-context-encoder", out).net.state_dict()
    for key, value in before.items():
        torch.testing.assert_close(published[key].float(), value.float(), atol=1e-3, rtol=1e-3)  # fp16 storage


def test_a_recipe_key_typo_is_an_error_naming_the_keys(data, tmp_path):
    from inpaint_core.errors import InpaintError

    with pytest.raises(InpaintError, match=r"no key batchsize, lr_scheduel; the keys are: .*batch_size"):
        Trainer("l2-context-encoder", str(data), tmp_path / "x", overrides={"batchsize": 8, "lr_scheduel": []})
    with pytest.raises(InpaintError, match=r"rejected: batch_size=-1 \(must be > 0\); ema=1.5"):
        Trainer("l2-context-encoder", str(data), tmp_path / "x", overrides={"batch_size": -1, "ema": 1.5})
    with pytest.raises(InpaintError, match=r"rejected: betas: .*"):
        Trainer("glcic", str(data), tmp_path / "x", overrides={"betas": "fast"})
    with pytest.raises(InpaintError, match=r"'telea' has nothing to train; methods with a recipe: glcic, "):
        Trainer("telea", str(data), tmp_path / "x")


def test_loader_workers_draw_the_same_masks_and_mirrors(data, tmp_path):
    """Masks and flips are functions of (seed, epoch, index): drawn in 2 loader workers, they train the
    same weights as drawn in the training process."""
    flips = {**TINY, "flip": True}
    Trainer("l2-context-encoder", str(data), tmp_path / "main", epochs=2, seed=0, overrides=flips).run(progress=False)
    Trainer("l2-context-encoder", str(data), tmp_path / "workers", epochs=2, seed=0,
            overrides={**flips, "workers": 2}).run(progress=False)
    a = load_file(tmp_path / "main" / ".training" / "state.safetensors")
    b = load_file(tmp_path / "workers" / ".training" / "state.safetensors")
    for key in (k for k in a if k != "rng.torch"):
        assert torch.equal(a[key], b[key]), key


def test_every_zoo_recipe_is_valid_for_its_method_and_retrains_from_its_file(data, tmp_path):
    """Each checkpoint's recipe.json passes its recipe's schema; `--recipe FILE` starts from its values."""
    from inpaint_core.checkpoints import META_KEY, read_config
    from inpaint_core.training import make_recipe

    checked = 0
    for folder in sorted(p.parent for p in zoo.zoo_dir().glob("*/recipe.json")):
        saved = json.loads((folder / "recipe.json").read_text())
        if "members" in saved:  # an ensemble: its members' recipes are checked as checkpoints of their own
            continue
        method = read_config(folder)[META_KEY]["method"]
        recipe = make_recipe(method, {k: v for k, v in saved.items() if k != "command"})
        assert recipe.data == saved["data"] and saved["command"].startswith(f"inpaint train {method} ")
        checked += 1
    assert checked >= 20
    no_average = {**TINY, "ema": None}  # a None over a default that is not: the file must keep it
    out = Trainer("l2-context-encoder", str(data), tmp_path / "a", epochs=1, seed=0, overrides=no_average).run(progress=False)
    again = Trainer("l2-context-encoder", None, tmp_path / "b", recipe_file=out / "recipe.json", seed=0)
    assert again.recipe.network == TINY["network"] and again.recipe.batch_size == 8 and again.recipe.data == str(data)
    assert type(again.recipe)().ema is not None and again.recipe.ema is None
    assert "max_steps" not in json.loads((out / "recipe.json").read_text())  # a None that is the default is left out


def test_init_from_starts_a_run_at_a_trained_checkpoint(data, tmp_path):
    """Fine-tuning: with a vanishing learning rate the new run ends where the checkpoint it started from
    is; the recipe records which weights those were, and a retrain from a republished checkpoint is
    refused; a network of other values is refused with the key to fix."""
    first = Trainer("l2-context-encoder", str(data), tmp_path / "first", epochs=2, seed=3, overrides=TINY).run(progress=False)
    tuned = Trainer("l2-context-encoder", str(data), tmp_path / "tuned", epochs=1, seed=4,
                    overrides={**TINY, "init_from": str(first), "lr": 1e-12}).run(progress=False)
    a, b = load_file(str(first / "model.safetensors")), load_file(str(tuned / "model.safetensors"))
    fresh = load_file(str(Trainer("l2-context-encoder", str(data), tmp_path / "fresh", epochs=1, seed=4,
                                  overrides={**TINY, "lr": 1e-12}).run(progress=False) / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(b[key].float(), a[key].float(), atol=1e-3, rtol=0)
    assert max(float((fresh[k].float() - a[k].float()).abs().max()) for k in a) > 0.01
    recorded = json.loads((tuned / "recipe.json").read_text())
    assert recorded["init_sha256"] == hashlib.sha256((first / "model.safetensors").read_bytes()).hexdigest()
    assert "init_sha256" in recorded["command"]
    Trainer("l2-context-encoder", str(data), first, epochs=1, seed=5, overrides=TINY).run(progress=False)  # republished
    with pytest.raises(InpaintError, match="republished"):
        Trainer("l2-context-encoder", None, tmp_path / "again", recipe_file=tuned / "recipe.json", epochs=1).run(progress=False)
    wider = {**TINY, "network": {"width": 16, "bottleneck": 16}, "init_from": str(first)}
    with pytest.raises(InpaintError, match="init_from=.*network"):
        Trainer("l2-context-encoder", str(data), tmp_path / "wider", epochs=1, overrides=wider).run(progress=False)


def test_a_resume_keeps_the_recipe_values_its_run_recorded(data, tmp_path):
    """A run trained with --set values continues without repeating them: the state recorded them."""
    values = {**TINY, "batch_size": 6, "max_steps": 6}
    Trainer("l2-context-encoder", str(data), tmp_path / "run", epochs=2, seed=0, overrides=values).run(progress=False)
    again = Trainer("l2-context-encoder", None, tmp_path / "run", epochs=2, seed=0, resume=True)
    assert again.recipe.batch_size == 6 and again.recipe.network == TINY["network"]
    assert again.recipe.max_steps is None  # how long to train is the resume's own say
    out = again.run(progress=False)
    assert json.loads((out / "config.json").read_text())["inpaint_zoo"]["training"]["steps"] == 2 * (36 // 6)
    assert Trainer("l2-context-encoder", None, tmp_path / "run", resume=True, overrides={"batch_size": 4}).recipe.batch_size == 4


@pytest.mark.parametrize("restart", [False, True])
def test_restart_at_prefill_keeps_the_features_and_zeroes_the_residual(data, tmp_path, restart):
    """A trained photo network moved to another prefill (Telea -> PatchMatch) keeps its features and, with
    ``restart_at_prefill``, starts at the new prefill's own fill: its residual's last layer is zero."""
    from inpaint_core.checkpoints import save_network
    from inpaint_core.methods.lama import PhotoNet

    torch.manual_seed(0)
    trained = PhotoNet(width=4, blocks=1)
    torch.nn.init.normal_(trained.merge_full[-1].weight, std=0.1)
    save_network(trained, tmp_path / "init", {"method": "lama", "resolution": 32, "training_scale": "texture"})
    values = {"network": {"width": 4, "blocks": 1, "prefill": "patchmatch"}, "size": 32, "crops_per_image": None,
              "perceptual_weight": 0, "style_weight": 0, "adversarial_weight": 0, "batch_size": 8, "val_images": 4,
              "eval_images": 2, "max_steps": 1, "lr": 1e-12, "init_from": str(tmp_path / "init"),
              "restart_at_prefill": restart, "masks": "object+strokes"}  # the recipe's Quick Draw strokes are shared data
    out = Trainer("lama", str(data), tmp_path / "moved", epochs=1, overrides=values).run(progress=False)
    weights, before = load_file(str(out / "model.safetensors")), trained.state_dict()
    torch.testing.assert_close(weights["enc_full.0.weight"].float(), before["enc_full.0.weight"], atol=1e-3, rtol=0)
    last = weights["merge_full.2.weight"].float()
    assert float(last.abs().max()) == 0.0 if restart else torch.allclose(last, before["merge_full.2.weight"], atol=1e-3)
