"""Publishing a zoo checkpoint to the Hugging Face Hub (``inpaint zoo push``)."""

from __future__ import annotations

from .checkpoints import CARD
from .errors import CheckpointError
from .zoo import IGNORED, find_entry, zoo_dir


def push(checkpoint_id: str, repo_id: str, overwrite_card: bool = False) -> str:
    """Upload ``zoo/ID`` with its card; refuses to replace a different card on the Hub silently."""
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError

    entry = find_entry(checkpoint_id)
    folder = zoo_dir() / checkpoint_id
    api = HfApi()
    api.create_repo(repo_id, exist_ok=True)
    try:
        remote = hf_hub_download(repo_id, CARD, revision=entry.revision)
        with open(remote, encoding="utf-8") as handle:
            remote_card = handle.read()
        if remote_card != (folder / CARD).read_text(encoding="utf-8") and not overwrite_card:
            raise CheckpointError(
                f"The Hub repo {repo_id} has a different model card. Review it, then push with --overwrite-card "
                f"(or regenerate yours with `inpaint zoo card {checkpoint_id}`)."
            )
    except (EntryNotFoundError, RepositoryNotFoundError):
        pass
    info = api.upload_folder(repo_id=repo_id, folder_path=str(folder), ignore_patterns=[f"{p}/*" for p in IGNORED],
                             commit_message=f"inpaint-zoo: upload {checkpoint_id}")
    return str(info)
