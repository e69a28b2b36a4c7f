"""Every learned method's training step runs where its inputs are: on the ``meta`` device, a tensor
that a network, a loss or a GAN step creates on the CPU instead of on its inputs' device meets a meta
tensor and raises, as it would next to a CUDA tensor. Weights, inputs and optimiser states all live on
``meta`` (no memory, no arithmetic): the default recipes' full-size networks cost nothing here."""

from __future__ import annotations

import pytest
import torch

from inpaint_core.methods import lama
from inpaint_core.recipes import SGDRecipe, glcic, list_recipes

from .helpers import cpu_accelerator

TRAINED = sorted(r.method for r in list_recipes() if issubclass(r, SGDRecipe))


def test_every_trainable_method_is_checked():
    assert {"glcic", "lama", "pconv", "sim-k", "wgan-context-encoder", "l2-context-encoder"} <= set(TRAINED)


@pytest.mark.parametrize("name", TRAINED)
def test_a_training_step_runs_on_the_inputs_device(name, monkeypatch):
    if name == "lama":  # OpenCV fills on the CPU and copies back to the input's device: no meta data to copy
        monkeypatch.setitem(lama.PREFILLS, "telea", lambda images, masks, generator=None: images)
    if name == "glcic":  # the local window is placed from the mask's values, which meta tensors do not have
        monkeypatch.setattr(glcic, "local_boxes", lambda masks, side: [(0, 0)] * len(masks))
    recipe = next(r for r in list_recipes() if r.method == name)()
    recipe.size = min(recipe.size, 64)
    nets = {k: v.to("meta") for k, v in recipe.build_networks().items()}
    opts = recipe.build_optimizers(nets)
    channels = 3 + 3 * recipe.network.get("references", 0)  # Sim-k: references stacked on channels
    images = torch.empty(4, channels, recipe.size, recipe.size, device="meta")
    masks = torch.empty(4, 1, recipe.size, recipe.size, device="meta")
    phases = getattr(recipe, "completion_steps", 0), getattr(recipe, "discriminator_steps", 0)
    for step in sorted({0, getattr(recipe, "adversarial_from", 0), phases[0], sum(phases)}):
        logs = recipe.train_step(nets, opts, images, masks, step, cpu_accelerator())
        assert logs["loss"].device.type == "meta"
    for net in nets.values():
        assert all(p.device.type == "meta" for p in net.parameters())
