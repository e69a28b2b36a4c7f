"""Continue a resumable run (``runs/ID``) for a while on a lent GPU machine, then bring its state home.

Such a machine has torch, Accelerate and OpenCV but no registry, and a call to it carries at most
64 MiB, so what the run needs is packed here first (``--pack DIR``, git-ignored): the recipe's data
archives (the Quick Draw one keeps only the strokes the masks use: the same masks in a third of the
bytes), the first three VGG-16 stages of the ``stlpips-pytorch`` wheel in fp16 (the wheel itself is
68 MB), and wheels of the pure-Python packages the machine lacks. There, ``--packed DIR`` links the
archives where the recipe looks for them and trains; nothing is published there: the state
(``--state-dir``) and the log (``--out``) come back, and the checkpoint is published at home by the
ordinary resume with the budget spent (``inpaint train ... --resume --max-minutes SPENT``), which
evaluates it with the full LPIPS networks. The commands are in runs/README.md.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import re
import shutil
import subprocess
import sys
import tarfile
import time
import traceback
from pathlib import Path

from safetensors.torch import load_file, save_file
from tqdm import tqdm

from inpaint_core import losses, training
from inpaint_core.archive import iter_archive_files
from inpaint_core.cli import _parse_options
from inpaint_core.lpips import LPIPS, lpips_network
from inpaint_core.training import Trainer, make_recipe

log = logging.getLogger("continue_on_device")
#: The parts of the LPIPS VGG-16 that the perceptual and style terms use (relu1_2 to relu3_3).
VGG_STAGES = ("scaling_layer.", "net.slice1.", "net.slice2.", "net.slice3.")
VGG_FILE = "vgg16-relu3_3.safetensors"
#: What the machine's Python 3.12 lacks, at the versions installed here.
WHEELS = ("pydantic==2.14.4", "pydantic_core==2.50.5", "annotated-types==0.8.0", "typing-inspection==0.4.5",
          "typing_extensions==4.16.0")


def slim_quickdraw(source: str | Path, target: Path) -> None:
    """The Quick Draw archive with each drawing's x and y alone (no timings, words or countries), as
    tar.xz: :class:`inpaint_core.maskgen.QuickDrawStrokes` reads the same strokes from it."""
    with tarfile.open(target, "w:xz", preset=9) as out:
        for name, data in iter_archive_files(source, suffixes=(".ndjson",)):
            lines = []
            for line in data.decode("utf-8").splitlines():
                drawing = json.loads(line).get("drawing") if line.strip() else None
                lines.append(json.dumps({"drawing": [s[:2] for s in drawing]}, separators=(",", ":")) if drawing else "")
            body = "\n".join(lines).encode()
            info = tarfile.TarInfo(name)
            info.size = len(body)
            out.addfile(info, io.BytesIO(body))


def pack(method: str, folder: Path, overrides: dict) -> None:
    """Everything the run needs on the machine, in ``folder``."""
    recipe = make_recipe(method, overrides)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    state = lpips_network("vgg").state_dict()
    save_file({k: v.half().contiguous() for k, v in state.items() if k.startswith(VGG_STAGES)}, str(folder / VGG_FILE))
    links = {}
    for path in recipe.data.split(","):
        links[path] = Path(path).name
        shutil.copyfile(path, folder / "data" / links[path])
    for path in sorted(set(re.findall(r"quickdraw:([^:+]+)", recipe.masks))):
        links[path] = Path(path).name + ".xz"  # read by content, whatever the name says
        slim_quickdraw(path, folder / "data" / links[path])
    (folder / "links.json").write_text(json.dumps(links, indent=1))
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                    "--python-version", "3.12", "--implementation", "cp", "--platform", "manylinux_2_17_x86_64",
                    "--platform", "manylinux2014_x86_64", "-d", str(folder / "whl"), *WHEELS], check=True)


def unpack(folder: Path) -> None:
    """Link the packed archives where the recipe reads them (relative to the working directory)."""
    for path, name in json.loads((folder / "links.json").read_text()).items():
        link = Path(path)
        if link.exists() and not link.is_symlink():  # the data set itself is here: nothing to link
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to((folder / "data" / name).resolve())


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


def train(args: argparse.Namespace, overrides: dict) -> None:
    """Train for ``--minutes`` from the state, bf16 first; a kernel that bf16 autocast breaks leaves
    the rest of the time to fp32."""
    unpack(args.packed)
    use_trimmed_vgg(args.packed / VGG_FILE)
    Trainer._finish = lambda self, net, state: self.out  # published at home, with the full LPIPS networks
    training.tqdm = lambda *a, **k: tqdm(*a, **{**k, "disable": True})  # the epochs' log lines are enough
    deadline = time.monotonic() + 60 * args.minutes
    for attempt in ("as asked", "without mixed precision"):
        spent = json.loads((args.state_dir / "state.json").read_text())["progress"]["seconds"] / 60
        budget = spent + (deadline - time.monotonic()) / 60
        log.info("%s: %.1f minutes spent, training to %.1f", attempt, spent, budget)
        try:
            Trainer(args.method, None, args.out, max_minutes=budget, overrides=overrides,
                    state_dir=args.state_dir, resume=True).run()
            return
        except RuntimeError:
            log.error("training failed %s:\n%s", attempt, traceback.format_exc())
            overrides["mixed_precision"] = "no"
    raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("method")
    parser.add_argument("--pack", type=Path, help="here: write what the machine needs into this folder, and stop")
    parser.add_argument("--packed", type=Path, help="there: the folder --pack wrote")
    parser.add_argument("--state-dir", type=Path, help="the run's resumable state, read and written in place")
    parser.add_argument("--out", type=Path, help="folder of the run's training_log.csv (appended)")
    parser.add_argument("--minutes", type=float, help="minutes to train there, on top of what the state has")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a recipe value")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    overrides = _parse_options(args.set)
    if args.pack:
        pack(args.method, args.pack, overrides)
    else:
        train(args, overrides)


if __name__ == "__main__":
    main()
