"""Bounds on model archives and folders: member count, unpacked size, compression ratio, links.

Every skops file (a zip archive), MLflow model zip and MLflow model folder is measured from its
directory entries *before* anything is unpacked or loaded, so a zip bomb (a small file that
unpacks to gigabytes) or a folder full of links is refused with a message naming the limit.
Python's ``zipfile`` never reads past a member's declared size, so the declared sizes bound what
a later load can inflate.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from fairgate.errors import ModelLoadError

__all__ = [
    "PICKLE_MAGIC",
    "ArchiveLimits",
    "check_folder",
    "check_zip",
    "looks_like_pickle",
    "safe_extract",
]

PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
"""The first bytes of pickle protocols 2-5 (joblib files start the same way)."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits on an archive or folder.

    Attributes
    ----------
    max_unpacked_bytes : int
        Largest total unpacked size (default 1 GiB).
    max_members : int
        Most files in the archive or folder (default 10,000).
    max_ratio : float
        Largest unpacked/packed ratio of an archive over ``ratio_floor_bytes`` (default 100;
        models saved by skops are stored uncompressed, deflated arrays shrink 2-10x).
    ratio_floor_bytes : int
        Archives that unpack to less than this are not held to ``max_ratio`` (default 16 MiB).
    """

    max_unpacked_bytes: int = 1 << 30
    max_members: int = 10_000
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 16 << 20


def looks_like_pickle(path: str | Path) -> bool:
    """Whether a file starts like pickle data (protocols 2-5), whatever its name says."""
    with open(path, "rb") as fh:
        head = fh.read(2)
    return head in PICKLE_MAGIC


def check_zip(path: str | Path, limits: ArchiveLimits | None = None) -> int:
    """Check a zip archive's entries against ``limits`` without unpacking it.

    Parameters
    ----------
    path : str or Path
        The archive.
    limits : ArchiveLimits, optional
        Default :class:`ArchiveLimits`.

    Returns
    -------
    int
        The declared unpacked size in bytes.

    Raises
    ------
    ModelLoadError
        Not a zip archive (pickle bytes are named as such), too many members, too large
        unpacked, too high a compression ratio, or members with absolute or ``..`` paths.
    """
    path = Path(path)
    limits = limits or ArchiveLimits()
    if looks_like_pickle(path):
        raise ModelLoadError(
            f"{path.name}: the file holds pickle bytes, not a skops archive; pickle runs code "
            "when loaded. Save the model with skops.io.dump (or export it to ONNX) and file it "
            "again.",
            details={"file": path.name, "found": "pickle"},
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelLoadError(
            f"{path.name}: the file could not be loaded: not a readable zip archive ({exc}); it is "
            "corrupt or not a skops model. Save it again and file the new file.",
            details={"file": path.name, "found": "corrupt"},
        ) from exc
    if len(members) > limits.max_members:
        raise ModelLoadError(
            f"{path.name}: the archive has {len(members):,} members, over the limit of "
            f"{limits.max_members:,}; file a smaller model.",
            details={"file": path.name, "members": len(members)},
        )
    unpacked = sum(m.file_size for m in members)
    packed = max(1, path.stat().st_size)
    if unpacked > limits.max_unpacked_bytes:
        raise ModelLoadError(
            f"{path.name}: the archive unpacks to {unpacked:,} bytes, over the limit of "
            f"{limits.max_unpacked_bytes:,}; file a smaller model.",
            details={"file": path.name, "unpacked_bytes": unpacked},
        )
    if unpacked > limits.ratio_floor_bytes and unpacked / packed > limits.max_ratio:
        raise ModelLoadError(
            f"{path.name}: the archive's {packed:,} bytes unpack to {unpacked:,} "
            f"({unpacked / packed:,.0f} times larger, over the limit of {limits.max_ratio:g}); "
            "this looks like a zip bomb and is refused. Save the model without extreme "
            "compression.",
            details={"file": path.name, "unpacked_bytes": unpacked, "packed_bytes": packed},
        )
    for member in members:
        parts = Path(member.filename).parts
        if member.filename.startswith(("/", "\\")) or ".." in parts:
            raise ModelLoadError(
                f"{path.name}: the member {member.filename!r} points outside the archive; "
                "such archives are refused.",
                details={"file": path.name, "member": member.filename},
            )
        if stat.S_ISLNK(member.external_attr >> 16):
            raise ModelLoadError(
                f"{path.name}: the member {member.filename!r} is a symbolic link; model archives "
                "may hold only regular files.",
                details={"file": path.name, "member": member.filename},
            )
    return unpacked


def check_folder(path: str | Path, limits: ArchiveLimits | None = None) -> int:
    """Check a model folder (MLflow): no links, member count and total size within ``limits``.

    Returns
    -------
    int
        The total size in bytes.

    Raises
    ------
    ModelLoadError
    """
    path = Path(path)
    limits = limits or ArchiveLimits()
    total = 0
    count = 0
    for root, dirs, files in os.walk(path, followlinks=False):
        for name in [*dirs, *files]:
            entry = Path(root) / name
            if entry.is_symlink():
                raise ModelLoadError(
                    f"{path.name}: {entry.relative_to(path)} is a symbolic link; a model folder "
                    "may hold only regular files and folders.",
                    details={"file": path.name, "member": str(entry.relative_to(path))},
                )
        for name in files:
            count += 1
            total += (Path(root) / name).stat().st_size
            if count > limits.max_members or total > limits.max_unpacked_bytes:
                raise ModelLoadError(
                    f"{path.name}: the model folder is over the limit of "
                    f"{limits.max_members:,} files or {limits.max_unpacked_bytes:,} bytes; file "
                    "a smaller model.",
                    details={"file": path.name},
                )
    return total


def safe_extract(
    archive_path: str | Path, dest: str | Path, limits: ArchiveLimits | None = None
) -> Path:
    """Unpack a checked zip archive into ``dest`` (regular files only, nothing outside it).

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    ModelLoadError
    """
    archive_path, dest = Path(archive_path), Path(dest)
    check_zip(archive_path, limits)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    with zipfile.ZipFile(archive_path) as archive:
        for member in archive.infolist():
            target = (dest / member.filename).resolve()
            if root != target and root not in target.parents:
                raise ModelLoadError(
                    f"{archive_path.name}: the member {member.filename!r} points outside the "
                    "archive; such archives are refused."
                )
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, open(target, "wb") as out:
                while block := src.read(1 << 20):
                    out.write(block)
    return dest
