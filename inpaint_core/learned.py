"""Base class for methods backed by trained PyTorch networks: a checkpoint's network and its fill.

A learned method sets ``network_class`` (a ``PyTorchModelHubMixin`` module saved in
``model.safetensors``). How it is trained (data, masks, losses, schedule) is its recipe in
:mod:`inpaint_core.recipes`, which the trainer (:mod:`inpaint_core.training`) runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from torch import nn

from .checkpoints import META_KEY, load_network, read_config
from .errors import CheckpointError
from .methods.base import Method



class TorchMethod(Method):
    network_class: ClassVar[type[nn.Module]]
    #: A module built as ``ensemble_class(members=[network config, ...])`` with the networks in ``.members``,
    #: called like one network, and a ``combination`` phrase saying how it joins them for the model card;
    #: a method that sets it can serve ensembles (``inpaint ensemble``).
    ensemble_class: ClassVar[type[nn.Module] | None] = None

    def __init__(self, checkpoint: Path | None = None, network: nn.Module | None = None, **defaults: Any) -> None:
        super().__init__(checkpoint, **defaults)
        config = read_config(checkpoint) if checkpoint else {}
        if network is None:
            if checkpoint is None:
                raise CheckpointError(f"'{self.name}' is a learned method: give it a checkpoint (a zoo id or a folder) "
                                      "or a network.")
            network = load_network(self.network_class_for(config), checkpoint)
        self.net = network.eval()
        self.meta = config.get(META_KEY, {})
        if self.meta.get("training_scale") == "object" and self.capabilities.native_size is None:
            self.object_size = int(self.meta["resolution"])

    @classmethod
    def network_class_for(cls, config: dict[str, Any]) -> type[nn.Module]:
        """The class a checkpoint's ``config.json`` describes: an ensemble lists its ``members``."""
        return cls.ensemble_class if cls.ensemble_class is not None and "members" in config else cls.network_class

    def validation_report(self, images: np.ndarray) -> dict[str, float]:
        """Extra held-out numbers for the model card (e.g. bits/dim of a density); none by default."""
        return {}
