"""Key files of the deployment: created once with mode 0600, never overwritten."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["create_key_file"]


def create_key_file(path: Path, data: bytes) -> bool:
    """Write ``data`` to a new file readable by its owner only (folders made with mode 0700).

    Parameters
    ----------
    path : Path
        Where the key goes; an existing file is left as it is.
    data : bytes
        The key's bytes.

    Returns
    -------
    bool
        False when the file existed already (another process created it first: use theirs).
    """
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fp:
        fp.write(data)
    return True
