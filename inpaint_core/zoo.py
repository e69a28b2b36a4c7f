"""The model zoo: a catalog of checkpoints and the chain that resolves one by name.

Resolution order for ``load_method(name, checkpoint=...)``: an explicit local folder, the
repository's ``zoo/``, the local Hugging Face cache, then the Hub. Every file found through the
catalog must match its sha256 before it is loaded.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checkpoints import CARD, CONFIG, WEIGHTS, sha256_file
from .errors import CheckpointError, InpaintError

if TYPE_CHECKING:
    from .methods.base import Method

CATALOG = "catalog.json"
#: Size budget stated in the catalog and enforced by ``inpaint zoo verify``.
BUDGET = {"max_file_mb": 20, "max_total_mb": 150}
IGNORED = (".training",)  # intermediate training state, never catalogued or pushed
#: The kinds of image a checkpoint is for, in the order pickers list them.
DOMAINS = ("photos", "faces", "objects", "digits")
#: The domain of each training data set (``dataset_id`` of a recipe).
DATASET_DOMAINS = {"photos": "photos", "bsds500": "photos", "sun-hays80": "photos", "celeba": "faces",
                   "cifar10": "objects", "mnist": "digits"}


def zoo_dir() -> Path:
    """``$INPAINT_ZOO_DIR`` or the ``zoo/`` folder of the repository this package was installed from."""
    return Path(os.environ.get("INPAINT_ZOO_DIR", Path(__file__).resolve().parents[1] / "zoo"))


@dataclass
class Entry:
    id: str
    method: str
    dataset: str
    resolution: int
    repo_id: str
    revision: str = "main"
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    default: bool = False
    domain: str = ""  # one of DOMAINS: the images the checkpoint is for
    #: Meant for people's own images of its domain (it beats the classical fills on that domain's benchmark),
    #: not only a reproduction of its paper's protocol; photo checkpoints are offered as tools anyway.
    tool: bool = False


def catalog_path(root: Path | None = None) -> Path:
    """The zoo folder's catalog; an installed wheel without the repository's ``zoo/`` reads the copy it
    ships (``inpaint_core/catalog.json``), and finds the checkpoints in the Hugging Face cache or the Hub."""
    path = (root or zoo_dir()) / CATALOG
    if root is None and "INPAINT_ZOO_DIR" not in os.environ and not path.exists():
        return Path(__file__).resolve().parent / CATALOG
    return path


def load_catalog(root: Path | None = None) -> list[Entry]:
    path = catalog_path(root)
    if not path.exists():
        return []
    try:
        raw = json.loads(path.read_text())
        return [Entry(**e) for e in raw["checkpoints"]]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CheckpointError(f"The zoo catalog {path} is malformed ({exc}); restore it from git.") from exc


def save_catalog(entries: list[Entry], root: Path | None = None) -> None:
    path = (root or zoo_dir()) / CATALOG
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"budget": BUDGET, "checkpoints": [asdict(e) for e in sorted(entries, key=lambda e: e.id)]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, indent=2) + "\n")
    tmp.replace(path)


def find_entry(checkpoint_id: str, entries: list[Entry] | None = None) -> Entry:
    entries = load_catalog() if entries is None else entries
    for entry in entries:
        if entry.id == checkpoint_id:
            return entry
    known = ", ".join(e.id for e in entries) or "none"
    raise CheckpointError(f"No checkpoint '{checkpoint_id}' in the zoo catalog (known: {known}). `inpaint zoo list`.")


def folder_files(folder: Path) -> dict[str, dict[str, Any]]:
    """sha256 and size of every file in a checkpoint folder (training state excluded)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not rel.startswith(IGNORED):
            out[rel] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return out


def verify_folder(entry: Entry, folder: Path) -> None:
    """Refuse a folder whose files are missing or do not match the catalog's sha256."""
    for name, info in entry.files.items():
        path = folder / name
        if not path.is_file():
            raise CheckpointError(f"Checkpoint '{entry.id}' is incomplete: {name} is missing in {folder}.")
        actual = sha256_file(path)
        if actual != info["sha256"]:
            raise CheckpointError(
                f"{name} of checkpoint '{entry.id}' at {folder} has sha256 {actual[:12]}…, but the catalog says "
                f"{info['sha256'][:12]}…: the file was altered or corrupted. Restore it (git checkout / "
                f"`inpaint zoo pull {entry.id} --force`)."
            )


def _hub_snapshot(entry: Entry, local_only: bool, force: bool = False) -> Path | None:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(entry.repo_id, revision=entry.revision, local_files_only=local_only,
                                      force_download=force))
    except Exception as exc:  # not in the cache, network errors, missing repo, ...
        if local_only:
            return None
        raise CheckpointError(f"Could not download '{entry.repo_id}' from the Hub: {exc}") from exc


def locate(entry: Entry) -> tuple[str, Path | None]:
    """Where a catalogued checkpoint is available without downloading: ('zoo'|'hf-cache'|'missing', path)."""
    local = zoo_dir() / entry.id
    if (local / WEIGHTS).is_file():
        return "zoo", local
    cached = _hub_snapshot(entry, local_only=True)
    if cached is not None and (cached / WEIGHTS).is_file():
        return "hf-cache", cached
    return "missing", None


def offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def resolve_entry(entry: Entry) -> Path:
    where, folder = locate(entry)
    if folder is None:
        if offline():
            raise CheckpointError(
                f"Checkpoint '{entry.id}' is not in {zoo_dir()} nor in the Hugging Face cache, and HF_HUB_OFFLINE is "
                f"set. Fetch Hub repo '{entry.repo_id}' while online with `inpaint zoo pull {entry.id}`."
            )
        folder = _hub_snapshot(entry, local_only=False)
    verify_folder(entry, folder)
    return folder


def resolve_checkpoint(method: str, checkpoint: str | Path | None = None) -> Path:
    """Find the checkpoint folder for ``method``: a local folder, a catalog id, or the method's default."""
    if checkpoint is not None and Path(checkpoint).is_dir():
        folder = Path(checkpoint)
        for name in (CONFIG, WEIGHTS):
            if not (folder / name).is_file():
                raise CheckpointError(f"'{folder}' is not a checkpoint folder: {name} is missing.")
        if folder.resolve().parent == zoo_dir().resolve():  # a zoo folder given by path is checked all the same
            entry = next((e for e in load_catalog() if e.id == folder.name), None)
            if entry is not None:
                verify_folder(entry, folder)
        return folder
    entries = load_catalog()
    if checkpoint is None:
        candidates = [e for e in entries if e.method == method]
        if not candidates:
            raise CheckpointError(
                f"Method '{method}' needs a checkpoint and the zoo has none for it. Train one with "
                f"`inpaint train {method} --data PATH --out zoo/ID`, or pass checkpoint=FOLDER."
            )
        candidates.sort(key=lambda e: not e.default)
        entry = candidates[0]
    else:
        entry = find_entry(str(checkpoint), entries)
        if entry.method != method:
            raise CheckpointError(f"Checkpoint '{entry.id}' belongs to method '{entry.method}', not '{method}'.")
    return resolve_entry(entry)


def register(folder: Path, method: str, dataset: str, resolution: int, metrics: dict[str, Any],
             repo_id: str | None = None, default: bool | None = None, domain: str = "") -> Entry:
    """Add or refresh a catalog entry from a checkpoint folder inside the zoo (hashes recomputed)."""
    folder = Path(folder)
    entries = load_catalog()
    old = next((e for e in entries if e.id == folder.name), None)
    others_default = any(e.default for e in entries if e.method == method and e.id != folder.name)
    entry = Entry(
        id=folder.name, method=method, dataset=dataset, resolution=resolution,
        repo_id=repo_id or (old.repo_id if old else f"inpaint-zoo/{folder.name}"),
        revision=old.revision if old else "main", files=folder_files(folder), metrics=metrics,
        default=default if default is not None else (old.default if old else not others_default),
        domain=domain or (old.domain if old else ""), tool=old.tool if old else False,
    )
    save_catalog([e for e in entries if e.id != entry.id] + [entry])
    return entry


def refresh_hashes(checkpoint_id: str) -> Entry:
    entries = load_catalog()
    entry = find_entry(checkpoint_id, entries)
    entry.files = folder_files(zoo_dir() / checkpoint_id)
    save_catalog(entries)
    return entry


def verify_all() -> list[str]:
    """Problems with the committed zoo: missing folders/files, hash or size mismatches, budget."""
    problems = []
    total = 0
    entries = load_catalog()
    for entry in entries:
        folder = zoo_dir() / entry.id
        if not folder.is_dir():
            problems.append(f"{entry.id}: folder {folder} is missing")
            continue
        for name, info in entry.files.items():
            path = folder / name
            if not path.is_file():
                problems.append(f"{entry.id}: {name} is missing")
                continue
            size = path.stat().st_size
            total += size
            if size != info["size"] or sha256_file(path) != info["sha256"]:
                problems.append(f"{entry.id}: {name} does not match its catalogued size/sha256")
            if size > BUDGET["max_file_mb"] * 2**20:
                problems.append(f"{entry.id}: {name} is {size / 2**20:.1f} MB, over {BUDGET['max_file_mb']} MB")
        extra = set(folder_files(folder)) - set(entry.files)
        problems += [f"{entry.id}: {name} is not in the catalog" for name in sorted(extra)]
        for required in (CONFIG, WEIGHTS, CARD):
            if required not in entry.files:
                problems.append(f"{entry.id}: the catalog lists no {required}")
    if total > BUDGET["max_total_mb"] * 2**20:
        problems.append(f"the zoo holds {total / 2**20:.1f} MB, over {BUDGET['max_total_mb']} MB")
    return problems


def load_method(name: str, checkpoint: str | Path | None = None, **options: Any) -> "Method":
    """Instantiate a method; learned methods resolve ``checkpoint`` (id, folder, or the default) through
    the zoo (here, above the registry, so that the registry never imports the zoo)."""
    from .methods.registry import get_method_class

    cls = get_method_class(name)
    if not cls.capabilities.needs_checkpoint:
        if checkpoint is not None:
            raise InpaintError(f"Method '{name}' takes no checkpoint.")
        return cls(**options)
    return cls(checkpoint=resolve_checkpoint(cls.checkpoint_family(), checkpoint), **options)
