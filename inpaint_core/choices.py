"""What a person can pick: every registered method, learned ones once per checkpoint, each with the
kind of image it is for, ordered so that the tools for photos come first (best on the photo
leaderboard first), then each other kind of image: its tools (the face network that beats the
classical fills on full-size faces), then its research reproductions (faces, CIFAR-10 objects, digits).

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
#: The same for a catalogued tool of a domain other than photos (``Entry.tool``).
TOOL_NOTES = {"faces": "for aligned face portraits (a face filling the frame upright, as CelebA's crops)"}


@dataclass(frozen=True)
class MethodChoice:
    """One entry of a method picker."""

    label: str  # what the picker shows
    key: str  # benchmark label: NAME or NAME@CHECKPOINT
    method: str
    checkpoint: str | None
    domain: str
    description: str
    tool: bool = True  # meant for people's images of its domain, not a research reproduction

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
    """The picker's entries: photo tools first in leaderboard order, then each other domain's tools and
    research reproductions."""
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
            tool = domain == "photos" or entry.tool
            label, note = f"{cls.name} · {entry.id}", DOMAIN_NOTES.get(domain, domain)
            if domain != "photos":
                label += f" — {domain}" if tool else f" — {domain} (research)"
                note = TOOL_NOTES.get(domain, domain) if tool else note
            choices.append(MethodChoice(label, f"{cls.name}@{entry.id}", cls.name, entry.id, domain,
                                        f"{cls.description} Checkpoint `{entry.id}` ({note}): trained on "
                                        f"{entry.dataset}, {entry.resolution} px.", tool))
    if not include_research:
        choices = [c for c in choices if c.for_photos]
    try:
        ranked = ranked_methods()
    except InpaintError as exc:
        log.warning("%s", exc)
        ranked = []
    rank = {key: i for i, key in enumerate(ranked)}
    order = {domain: i for i, domain in enumerate(DOMAINS)}
    return sorted(choices, key=lambda c: (order.get(c.domain, len(order)), not c.tool, rank.get(c.key, len(rank)),
                                          c.label))
