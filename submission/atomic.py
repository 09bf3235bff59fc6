"""A folder of outputs replaced at once: readers see the previous folder or the new one, whole.

Used by the submission exports (submission.export) and the TLF folder (tlf.outputs): the new
files are written into a staging folder beside the target, which is then renamed over it
(the old folder is first moved aside, then removed). A write killed half-way leaves a staging
folder, or an old folder moved aside but not yet replaced; `recover` tidies both before the
next write (docs/DESIGN.md "Submission exports", "Tables and figures").
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["recover", "replace", "staging_folder"]


def _prefixes(target: Path) -> tuple[str, str]:
    """Names of the staging and the moved-aside folders of ``target`` (hidden, beside it)."""
    return f".{target.name}.writing-", f".{target.name}.previous-"


def recover(target: Path) -> None:
    """Tidy what a killed write left beside ``target``.

    A staging folder is removed; a previous folder moved aside but not yet replaced (killed
    between the two renames) is put back. Writers of one target take turns (one dbt build at a
    time per checkout).
    """
    writing, previous_prefix = _prefixes(target)
    parent = target.parent
    for stale in sorted(parent.glob(f"{writing}*")):
        shutil.rmtree(stale)
    previous = sorted(parent.glob(f"{previous_prefix}*"))
    if previous and not target.exists():
        os.replace(previous.pop(), target)
    for stale in previous:
        shutil.rmtree(stale)


def staging_folder(target: Path) -> Path:
    """A new empty staging folder beside ``target``, readable by all (mkdtemp makes it private;
    the page and other readers list the published folder)."""
    writing, _ = _prefixes(target)
    staging = Path(tempfile.mkdtemp(prefix=writing, dir=target.parent))
    staging.chmod(0o755)
    return staging


def replace(staging: Path, target: Path) -> None:
    """Rename ``staging`` over ``target`` at once; the old folder is moved aside first, then removed."""
    _, previous_prefix = _prefixes(target)
    aside = None
    if target.exists():
        aside = Path(tempfile.mkdtemp(prefix=previous_prefix, dir=target.parent))
        aside.rmdir()
        os.replace(target, aside)
    os.replace(staging, target)  # the new folder appears whole
    if aside is not None:
        shutil.rmtree(aside)
