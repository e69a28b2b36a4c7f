"""Continue a resumable run (``runs/ID``) for a while on a lent GPU machine, then bring its state home.

Such a machine has torch, Accelerate and OpenCV but none of the registries, and a call to it carries at
most 64 MiB: the ``stlpips-pytorch`` wheel (68 MB) cannot travel, so the perceptual terms' VGG-16 stages
are read from a trimmed fp16 copy that ``--export-vgg`` writes here. Nothing is published there: the
state (``--state-dir``) and the log (``--out``) come back, and the checkpoint is published at home by the
ordinary resume with the budget spent (``inpaint train ... --resume --max-minutes SPENT``), which evaluates
it with the full LPIPS networks. The exact commands of each use are in docs/training.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import traceback
from pathlib import Path

from safetensors.torch import load_file, save_file
from tqdm import tqdm

from inpaint_core import losses, training
from inpaint_core.cli import _parse_options
from inpaint_core.lpips import LPIPS, lpips_network
from inpaint_core.training import Trainer

log = logging.getLogger("continue_on_device")
#: The parts of the LPIPS VGG-16 that the perceptual and style terms use (relu1_2 to relu3_3).
VGG_STAGES = ("scaling_layer.", "net.slice1.", "net.slice2.", "net.slice3.")


def export_vgg(path: Path) -> None:
    """The first three VGG-16 stages of the installed wheel, in fp16 (3.5 MB instead of 59)."""
    state = lpips_network("vgg").state_dict()
    save_file({k: v.half().contiguous() for k, v in state.items() if k.startswith(VGG_STAGES)}, str(path))


def use_trimmed_vgg(path: Path) -> None:
    """Make the perceptual losses build their VGG-16 from the trimmed copy."""
    def network(net: str) -> LPIPS:
        model = LPIPS(net)
        missing, unexpected = model.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()},
                                                    strict=False)
        if unexpected or any(k.startswith(VGG_STAGES) for k in missing):
            raise RuntimeError(f"{path} is not the trimmed VGG-16 (missing {missing}, unexpected {unexpected})")
        return model.eval().requires_grad_(False)

    losses.lpips_network = network


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("method", nargs="?")
    parser.add_argument("--state-dir", type=Path, help="the run's resumable state, read and written in place")
    parser.add_argument("--out", type=Path, help="folder of the run's training_log.csv (appended)")
    parser.add_argument("--minutes", type=float, help="minutes to train here, on top of what the state has")
    parser.add_argument("--vgg", type=Path, help="the trimmed VGG-16 written by --export-vgg")
    parser.add_argument("--export-vgg", type=Path, help="write the trimmed VGG-16 here and stop")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a recipe value")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.export_vgg:
        export_vgg(args.export_vgg)
        return
    use_trimmed_vgg(args.vgg)
    Trainer._finish = lambda self, net, state: self.out  # published at home, with the full LPIPS networks
    training.tqdm = lambda *a, **k: tqdm(*a, **{**k, "disable": True})  # the epochs' log lines are enough
    overrides = _parse_options(args.set)
    deadline = time.monotonic() + 60 * args.minutes
    for attempt in ("as asked", "without mixed precision"):
        spent = json.loads((args.state_dir / "state.json").read_text())["progress"]["seconds"] / 60
        budget = spent + (deadline - time.monotonic()) / 60
        log.info("%s: %.1f minutes spent, training to %.1f", attempt, spent, budget)
        try:
            Trainer(args.method, None, args.out, max_minutes=budget, overrides=overrides,
                    state_dir=args.state_dir).run(resume=True)
            return
        except RuntimeError:  # a kernel that bf16 autocast breaks: the rest of the time in fp32
            log.error("training failed %s:\n%s", attempt, traceback.format_exc())
            overrides["mixed_precision"] = "no"
    raise SystemExit(1)


if __name__ == "__main__":
    main()
