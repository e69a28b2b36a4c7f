"""Every learned method's training step runs where its inputs are: on the ``meta`` device, a tensor
that a network, a loss or a GAN step creates on the CPU instead of on its inputs' device meets a meta
tensor and raises, as it would next to a CUDA tensor. Weights, inputs and optimiser states all live on
``meta`` (no memory, no arithmetic): the default recipes' full-size networks cost nothing here."""

from __future__ import annotations

import pytest
import torch

from inpaint_core.learned import TorchMethod
from inpaint_core.methods import glcic, lama
from inpaint_core.methods.registry import list_methods

from .helpers import cpu_accelerator

TRAINED = sorted(c.name for c in list_methods() if issubclass(c, TorchMethod) and not getattr(c, "fit_network", None))


def test_every_trainable_method_is_checked():
    assert {"glcic", "lama", "pconv", "sim-k", "wgan-context-encoder", "l2-context-encoder"} <= set(TRAINED)


@pytest.mark.parametrize("name", TRAINED)
def test_a_training_step_runs_on_the_inputs_device(name, monkeypatch):
    cls = next(c for c in list_methods() if c.name == name)
    if cls is lama.LaMa:  # OpenCV fills on the CPU and copies back to the input's device: no meta data to copy
        monkeypatch.setattr(lama, "telea_prefill", lambda images, masks, radius=3: images)
    if cls is glcic.GLCIC:  # the local window is placed from the mask's values, which meta tensors do not have
        monkeypatch.setattr(glcic, "local_boxes", lambda masks, side: [(0, 0)] * len(masks))
    recipe = {**cls.recipe, "size": min(cls.recipe["size"], 64)}
    nets = {k: v.to("meta") for k, v in cls.build_networks(recipe).items()}
    opts = cls.build_optimizers(nets, recipe)
    channels = 3 + 3 * recipe.get("network", {}).get("references", 0)  # Sim-k: references stacked on channels
    size = recipe["size"]
    images = torch.empty(4, channels, size, size, device="meta")
    masks = torch.empty(4, 1, size, size, device="meta")
    for step in sorted({0, recipe.get("adversarial_from", 0), recipe.get("completion_steps", 0),
                        recipe.get("completion_steps", 0) + recipe.get("discriminator_steps", 0)}):
        logs = cls.train_step(nets, opts, images, masks, step, recipe, cpu_accelerator())
        assert logs["loss"].device.type == "meta"
    for net in nets.values():
        assert all(p.device.type == "meta" for p in net.parameters())
