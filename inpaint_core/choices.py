"""What a person can pick: every registered method, learned ones once per checkpoint, each with the
kind of image it is for, ordered so that the tools for photos come first (best on the photo
leaderboard first) and the research reproductions (faces, CIFAR-10 objects, digits) after them.

The app, the dashboard and the CLI read this one list, so a checkpoint that lands in the catalog
appears everywhere with the same name and the same warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .checkpoints import META_KEY, read_config
from .errors import InpaintError
from .leaderboard import ranked_methods
from .methods import list_methods
from .zoo import DOMAINS, Entry, load_catalog, locate

log = logging.getLogger(__name__)

#: What each domain's entries are for, as the picker says it.
DOMAIN_NOTES = {
    "photos": "for photos",
    "faces": "research reproduction: aligned faces only",
    "objects": "research reproduction: 32 px CIFAR-10-like objects only",
    "digits": "research reproduction: 28 px digits only",
}


@dataclass(frozen=True)
class MethodChoice:
    """One entry of a method picker."""

    label: str  # what the picker shows
    key: str  # benchmark label: NAME or NAME@CHECKPOINT
    method: str
    checkpoint: str | None
    domain: str
    description: str

    @property
    def for_photos(self) -> bool:
        return self.domain == "photos"


def _unavailable(cls: type, entry: Entry) -> str | None:
    """Why a catalogued checkpoint cannot run here without a download or a build step, or None."""
    where, folder = locate(entry)
    if folder is None:
        return "not downloaded"
    requirement = getattr(cls, "missing_requirement", None)
    return requirement(read_config(folder).get(META_KEY, {})) if requirement else None


def method_choices(include_research: bool = True) -> list[MethodChoice]:
    """The picker's entries: photo tools first in leaderboard order, then each research domain."""
    entries = load_catalog()
    choices = []
    for cls in list_methods():
        if not cls.capabilities.needs_checkpoint:
            choices.append(MethodChoice(cls.name, cls.name, cls.name, None, "photos", cls.description))
            continue
        for entry in (e for e in entries if e.method == cls.checkpoint_family()):
            reason = _unavailable(cls, entry)
            if reason:
                log.info("%s@%s left out of the picker: %s", cls.name, entry.id, reason)
                continue
            domain = entry.domain or "photos"
            note = DOMAIN_NOTES.get(domain, domain)
            label = f"{cls.name} · {entry.id}" + ("" if domain == "photos" else f" — {domain} (research)")
            choices.append(MethodChoice(label, f"{cls.name}@{entry.id}", cls.name, entry.id, domain,
                                        f"{cls.description} Checkpoint `{entry.id}` ({note}): trained on "
                                        f"{entry.dataset}, {entry.resolution} px."))
    if not include_research:
        choices = [c for c in choices if c.for_photos]
    try:
        ranked = ranked_methods()
    except InpaintError as exc:
        log.warning("%s", exc)
        ranked = []
    rank = {key: i for i, key in enumerate(ranked)}
    order = {domain: i for i, domain in enumerate(DOMAINS)}
    return sorted(choices, key=lambda c: (order.get(c.domain, len(order)), rank.get(c.key, len(rank)), c.label))
