"""Where the TLF outputs are written and read (docs/DESIGN.md "Tables and figures")."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the TLF folder.
TLF_DIR_ENV = "CTWH_TLF_DIR"
#: Default TLF folder, next to the submission exports (build/submission).
DEFAULT_TLF_DIR = "build/tlf"


def tlf_dir(project_dir: str | os.PathLike[str] | None = None) -> Path:
    """Folder of the RTF/PDF outputs.

    Parameters
    ----------
    project_dir : path-like, optional
        The dbt project folder; default ``DBT_PROJECT_DIR`` or the working directory, or
        the nearest parent of it holding ``dbt_project.yml``
        (``expectations.gx_location.project_root``).

    Returns
    -------
    pathlib.Path
        ``$CTWH_TLF_DIR`` (default ``build/tlf``); a relative path is relative to the dbt
        project folder, as ``submission.export.submission_dir`` takes ``CTWH_SUBMISSION_DIR``.
    """
    from expectations.gx_location import project_root

    path = Path(os.environ.get(TLF_DIR_ENV) or DEFAULT_TLF_DIR).expanduser()
    if not path.is_absolute():
        path = project_root(project_dir) / path
    return path.resolve()
